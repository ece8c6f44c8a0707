// The codec server as the Temporal Web UI calls it: the CORS preflight a browser sends first, then
// `POST /codec/decode` with Content-Type and X-Namespace (and the bearer token the UI passes when
// configured). Only auditors and admins decode; only admins encode; other origins get no CORS.
import express from 'express';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../api/auth.js';
import { codecRouter } from '../../../api/codec-routes.js';
import type { ApiDeps } from '../../../api/deps.js';
import { problemMiddleware } from '../../../api/problem.js';
import { generateApiKey, hashApiKey } from '../../../config/api-keys.js';
import type { Role } from '../../../config/types.js';
import { buildKeyring } from '../../../lib/keys.js';
import { EncryptionCodec } from '../../../temporal/codec.js';
import { type Listening, listen } from '../api-auth/listen.js';

const UI = 'http://127.0.0.1:8233';
const keys: Record<string, string> = {};
const people: [string, Role][] = [
  ['audit@example.com', 'auditor'],
  ['admin@example.com', 'admin'],
  ['dana@example.com', 'approver'],
  ['ci@example.com', 'requester'],
];
const keyring = buildKeyring(Buffer.alloc(32, 9));
const codec = new EncryptionCodec(keyring.payload, keyring.payloadKeys);
let server: Listening;

beforeAll(async () => {
  const apiKeys = people.map(([principal, role]) => {
    keys[principal] = generateApiKey('t');
    return { principal, roles: [role], sha256: hashApiKey(keys[principal]!) };
  });
  const deps = {
    authenticate: createAuthenticator({ apiKeys }),
    config: { apiKeys },
    masterKey: Buffer.alloc(32, 9),
    publicUrl: 'http://localhost:8080',
    namespace: 'default',
    logger: pino({ level: 'silent' }),
  } as unknown as ApiDeps;
  const app = express();
  app.use(
    codecRouter(deps, {
      codec,
      codecOrigins: [UI],
      signing: keyring.signing,
      publishedKeys: keyring.signingKeys,
    }),
  );
  app.use(problemMiddleware({ log: () => {} }));
  server = await listen(app);
});
afterAll(() => server?.close());

const b64 = (s: string) => Buffer.from(s).toString('base64');
async function sealedPayloads() {
  const sealed = await codec.encode([
    { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"p4ssw0rd"') },
  ]);
  return {
    payloads: sealed.map((p) => ({
      metadata: Object.fromEntries(
        Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      ),
      data: Buffer.from(p.data!).toString('base64'),
    })),
  };
}

/** Exactly what the UI's fetch sends (data-encoder.ts): JSON body, X-Namespace, optional bearer. */
function uiDecode(body: unknown, who?: string, extra: Record<string, string> = {}) {
  return fetch(`${server.url}/codec/decode`, {
    method: 'POST',
    headers: {
      Origin: UI,
      'Content-Type': 'application/json',
      'X-Namespace': 'default',
      ...(who ? { Authorization: `Bearer ${keys[who]}` } : {}),
      ...extra,
    },
    body: JSON.stringify(body),
  });
}

describe('codec server', () => {
  it('answers the browser preflight for the UI origin, without credentials', async () => {
    const res = await fetch(`${server.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: {
        Origin: UI,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type,x-namespace',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = res.headers.get('access-control-allow-headers')!.toLowerCase();
    for (const h of ['authorization', 'content-type', 'x-namespace']) expect(allowed).toContain(h);
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('gives another origin no CORS grant', async () => {
    const res = await fetch(`${server.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('decodes for an auditor, as the UI asks', async () => {
    const res = await uiDecode(await sealedPayloads(), 'audit@example.com');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    const body = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(body.payloads[0]!.metadata.encoding).toBe(b64('json/plain'));
    expect(Buffer.from(body.payloads[0]!.data, 'base64').toString()).toBe('"p4ssw0rd"');
  });

  it('decodes for the temporal CLI, which sends an empty X-Namespace and no Origin', async () => {
    const res = await fetch(`${server.url}/codec/decode`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Namespace': '',
        Authorization: `Bearer ${keys['audit@example.com']}`,
      },
      body: JSON.stringify(await sealedPayloads()),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { payloads: { data: string }[] };
    expect(Buffer.from(body.payloads[0]!.data, 'base64').toString()).toBe('"p4ssw0rd"');
  });

  it('refuses without credentials (401) and without the role (403), readable by the UI', async () => {
    const anonymous = await uiDecode(await sealedPayloads());
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('access-control-allow-origin')).toBe(UI);
    for (const who of ['dana@example.com', 'ci@example.com']) {
      const res = await uiDecode(await sealedPayloads(), who);
      expect(res.status, who).toBe(403);
      expect(await res.text()).not.toContain('p4ssw0rd');
    }
  });

  it('answers a refused decode from the temporal CLI with placeholders that say why, at once', async () => {
    // The CLI retries anything but 200 for 10 s; a tool (no Origin) gets the refusal as the data.
    const cli = (key?: string, path = '/codec/decode', body?: unknown) =>
      sealedPayloads().then((sealed) =>
        fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'X-Namespace': '',
            ...(key ? { Authorization: `Bearer ${key}` } : {}),
          },
          body: JSON.stringify(body ?? sealed),
        }),
      );
    const texts = async (res: Response) =>
      ((await res.json()) as { payloads: { data: string }[] }).payloads.map((p) =>
        JSON.parse(Buffer.from(p.data, 'base64').toString()),
      );
    const forbidden = await cli(keys['dana@example.com']);
    expect(forbidden.status).toBe(200);
    expect(forbidden.headers.get('airlock-codec-refused')).toBe('403');
    const [text] = await texts(forbidden);
    expect(text).toMatch(
      /^\[not decoded by Airlock: 403 Forbidden: decode requires the role auditor or admin\]$/,
    );
    const anonymous = await cli();
    expect(anonymous.headers.get('airlock-codec-refused')).toBe('401');
    expect((await texts(anonymous))[0]).toContain('401');
    // Never for encode (placeholders would be sent on as data), nor for a body that is not payloads.
    expect((await cli(keys['audit@example.com'], '/codec/encode')).status).toBe(403);
    expect((await cli(undefined, '/codec/decode', { nope: 1 })).status).toBe(401);
    // A refused caller's body is read with a 1 MB limit, not the 8 MB of an authorised decode.
    const big = { payloads: [{ metadata: {}, data: 'A'.repeat(2 * 1024 * 1024) }] };
    const large = await cli(undefined, '/codec/decode', big);
    expect(large.status).toBe(401);
    expect(large.headers.get('airlock-codec-refused')).toBeNull();
  });

  it('refuses another namespace and names an undecodable payload', async () => {
    const other = await uiDecode(await sealedPayloads(), 'audit@example.com', { 'X-Namespace': 'payments' });
    expect(other.status).toBe(400);
    const foreign = buildKeyring(Buffer.alloc(32, 1));
    const [sealed] = await new EncryptionCodec(foreign.payload).encode([
      { metadata: {}, data: Buffer.from('x') },
    ]);
    const res = await uiDecode(
      {
        payloads: [
          {
            metadata: Object.fromEntries(
              Object.entries(sealed!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
            ),
            data: Buffer.from(sealed!.data!).toString('base64'),
          },
        ],
      },
      'audit@example.com',
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toContain(foreign.payload.kid);
  });

  it('passes unencrypted payloads through, and encodes for admins only', async () => {
    const plainBody = { payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64('"hello"') }] };
    const passed = await uiDecode(plainBody, 'audit@example.com');
    expect(await passed.json()).toEqual(plainBody);
    const encode = (who: string) =>
      fetch(`${server.url}/codec/encode`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${keys[who]}`,
          'X-Namespace': 'default',
        },
        body: JSON.stringify(plainBody),
      });
    expect((await encode('audit@example.com')).status).toBe(403);
    const encoded = (await (await encode('admin@example.com')).json()) as typeof plainBody;
    expect(encoded.payloads[0]!.metadata.encoding).toBe(b64('binary/encrypted'));
    const roundTrip = await uiDecode(encoded, 'admin@example.com');
    expect(await roundTrip.json()).toEqual(plainBody);
  });

  it('publishes the audit public keys to anyone', async () => {
    const res = await fetch(`${server.url}/.well-known/airlock-audit-keys.json`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { keys: { kid: string; x: string }[]; current: string };
    expect(body.current).toBe(keyring.signing.kid);
    expect(body.keys[0]!.x).toBe(keyring.signing.publicKey.toString('base64url'));
  });
});
