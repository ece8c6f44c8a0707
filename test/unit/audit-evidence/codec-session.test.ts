// Codec sessions (api/codec-session.ts): the signed token (tampering, expiry, another key), the
// binding to the API key it was made from, the cookie's attributes, the self-contained login page
// under a strict CSP, and the routes: form and bearer login, role and origin refusals, logout.
import { createHash } from 'node:crypto';
import express from 'express';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../api/auth.js';
import { codecRouter } from '../../../api/codec-routes.js';
import {
  CODEC_SESSION_COOKIE,
  codecSessionKey,
  currentRoles,
  keyBinding,
  loginPage,
  openCodecSession,
  PAGE_CSP,
  sessionCookie,
  sessionTokenFrom,
  signCodecSession,
} from '../../../api/codec-session.js';
import type { ApiDeps } from '../../../api/deps.js';
import { problemMiddleware } from '../../../api/problem.js';
import { generateApiKey, hashApiKey } from '../../../config/api-keys.js';
import { parseEnv } from '../../../config/env.js';
import { ConfigError } from '../../../config/errors.js';
import type { ApiKeyEntry, Role } from '../../../config/types.js';
import { buildKeyring } from '../../../lib/keys.js';
import { sha256Hex } from '../../../lib/sha256.js';
import { EncryptionCodec } from '../../../temporal/codec.js';
import { type Listening, listen } from '../api-auth/listen.js';

const master = Buffer.alloc(32, 7);
const key = codecSessionKey(master);
const HOUR = 3_600_000;

describe('codec session token', () => {
  const session = {
    principal: 'audit@example.com',
    roles: ['auditor'] as Role[],
    expiresAt: Date.now() + HOUR,
  };

  it('round-trips, and is opaque: no key, no hash, only principal, roles and expiry', () => {
    const token = signCodecSession(key, { ...session, keyBinding: keyBinding(key, 'ab'.repeat(32)) });
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const opened = openCodecSession(key, token);
    expect(opened).toMatchObject({
      ok: true,
      session: { principal: 'audit@example.com', roles: ['auditor'] },
    });
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(Object.keys(claims).sort()).toEqual(['e', 'k', 'p', 'r']);
    expect(token).not.toContain('ab'.repeat(32));
  });

  it('refuses a changed body, a changed signature, another key and garbage', () => {
    const token = signCodecSession(key, session);
    const [, body, sig] = token.split('.') as [string, string, string];
    const admin = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), r: ['admin'] }),
    ).toString('base64url');
    const flipped = `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    for (const bad of [
      `v1.${admin}.${sig}`,
      `v1.${body}.${flipped}`,
      signCodecSession(codecSessionKey(Buffer.alloc(32, 8)), session),
      `v2.${body}.${sig}`,
      `v1.${body}`,
      '',
      'x'.repeat(5000),
    ]) {
      expect(openCodecSession(key, bad), bad.slice(0, 40)).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('refuses an expired token as expired', () => {
    const token = signCodecSession(key, { ...session, expiresAt: Date.now() - 1000 });
    expect(openCodecSession(key, token)).toEqual({ ok: false, reason: 'expired' });
    const later = signCodecSession(key, session);
    expect(openCodecSession(key, later, Date.now() + 2 * HOUR)).toEqual({ ok: false, reason: 'expired' });
  });

  it('is bound to the API key it came from: a removed key or a lost role ends it', () => {
    const sha = sha256Hex('the-key');
    const entry: ApiKeyEntry = { principal: 'audit@example.com', roles: ['auditor'], sha256: sha };
    const bound = { ...session, roles: ['auditor', 'admin'] as Role[], keyBinding: keyBinding(key, sha) };
    expect(currentRoles(key, bound, [entry])).toEqual(['auditor']);
    expect(currentRoles(key, bound, [])).toBeUndefined();
    expect(currentRoles(key, bound, [{ ...entry, principal: 'other@example.com' }])).toBeUndefined();
    expect(currentRoles(key, bound, [{ ...entry, sha256: sha256Hex('another-key') }])).toBeUndefined();
    expect(currentRoles(key, session, [])).toEqual(['auditor']);
  });

  it('makes an HttpOnly, SameSite=Strict cookie for /codec, Secure on https', () => {
    const cookie = sessionCookie('v1.a.b', { secure: false, maxAgeSeconds: 60 });
    expect(cookie).toBe(`${CODEC_SESSION_COOKIE}=v1.a.b; Path=/codec; Max-Age=60; HttpOnly; SameSite=Strict`);
    expect(sessionCookie('v', { secure: true, maxAgeSeconds: 1 })).toMatch(/; Secure$/);
    expect(sessionTokenFrom(`a=1; ${CODEC_SESSION_COOKIE}=v1.x.y; b=2`)).toBe('v1.x.y');
    expect(sessionTokenFrom('a=1')).toBeUndefined();
  });

  it('serves a login page without script, its only style allowed by hash', () => {
    const html = loginPage({ codecEndpoint: 'http://localhost:8080/codec', ttl: '8h' }, '<b>x</b>');
    expect(html).not.toMatch(/<script|src=|href="http/i);
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(html).toContain('action="/codec/session"');
    const style = /<style>([^<]*)<\/style>/.exec(html)![1]!;
    const hash = createHash('sha256').update(style).digest('base64');
    expect(PAGE_CSP).toContain(`style-src 'sha256-${hash}'`);
    expect(PAGE_CSP).toContain("default-src 'none'");
    expect(PAGE_CSP).not.toContain('unsafe');
  });
});

describe('AIRLOCK_CODEC_SESSION_TTL', () => {
  const PROD = {
    AIRLOCK_CONFIG: '/c.yaml',
    AIRLOCK_POLICY: '/p.yaml',
    AIRLOCK_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
  };
  it('defaults to 8h and reads a duration between 1m and 1d', () => {
    expect(parseEnv(PROD).codecSessionTtlMs).toBe(8 * HOUR);
    expect(parseEnv({ ...PROD, AIRLOCK_CODEC_SESSION_TTL: '30m' }).codecSessionTtlMs).toBe(HOUR / 2);
    for (const bad of ['10s', '2d', '8', 'forever']) {
      expect(() => parseEnv({ ...PROD, AIRLOCK_CODEC_SESSION_TTL: bad }), bad).toThrow(ConfigError);
    }
  });
});

describe('codec session routes', () => {
  const UI = 'http://localhost:8233';
  const SELF = 'http://localhost:8080';
  const keys: Record<string, string> = {};
  const people: [string, Role][] = [
    ['audit@example.com', 'auditor'],
    ['admin@example.com', 'admin'],
    ['dana@example.com', 'approver'],
  ];
  const keyring = buildKeyring(master);
  const codec = new EncryptionCodec(keyring.payload, keyring.payloadKeys);
  const logs: Record<string, unknown>[] = [];
  let server: Listening;

  beforeAll(async () => {
    const apiKeys = people.map(([principal, role]) => {
      keys[principal] = generateApiKey('t');
      return { principal, roles: [role], sha256: hashApiKey(keys[principal]!) };
    });
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const deps = {
      authenticate: createAuthenticator({ apiKeys }),
      config: { apiKeys },
      masterKey: master,
      publicUrl: SELF,
      temporalUiUrl: UI,
      namespace: 'default',
      logger,
    } as unknown as ApiDeps;
    const app = express();
    app.use(
      codecRouter(deps, {
        codec,
        codecOrigins: [UI],
        signing: keyring.signing,
        publishedKeys: keyring.signingKeys,
        codecSessionTtlMs: 2 * HOUR,
      }),
    );
    app.use(problemMiddleware({ log: () => {} }));
    server = await listen(app);
  });
  afterAll(() => server?.close());

  const login = (who: string, origin = SELF) =>
    fetch(`${server.url}/codec/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin },
      body: new URLSearchParams({ key: keys[who]! }).toString(),
    });
  const cookieOf = (res: Response) => /^([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? '';
  const decode = (cookie: string, origin: string | undefined, op = 'decode') =>
    fetch(`${server.url}/codec/${op}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Namespace': 'default',
        Cookie: cookie,
        ...(origin ? { Origin: origin } : {}),
      },
      body: JSON.stringify({ payloads: [] }),
    });

  it('serves the login page with a strict CSP', async () => {
    const res = await fetch(`${server.url}/codec/login`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(await res.text()).toContain('name="key"');
  });

  it('logs an auditor in from the form: cookie for /codec, 2h, the key nowhere in it, logged', async () => {
    const res = await login('audit@example.com');
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(
      new RegExp(
        `^${CODEC_SESSION_COOKIE}=v1\\.[^;]+; Path=/codec; Max-Age=7200; HttpOnly; SameSite=Strict$`,
      ),
    );
    expect(setCookie).not.toContain(keys['audit@example.com']);
    expect(setCookie).not.toContain(hashApiKey(keys['audit@example.com']!));
    expect(await res.text()).toContain('Signed in as <b>audit@example.com</b>');
    const entry = logs.find((l) => l.msg === 'codec session created');
    expect(entry).toMatchObject({ principal: 'audit@example.com', roles: ['auditor'] });
    expect(JSON.stringify(logs)).not.toContain(cookieOf(res).split('=')[1]);
  });

  it('accepts a bearer token with no body and answers JSON', async () => {
    const res = await fetch(`${server.url}/codec/session`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${keys['admin@example.com']}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ principal: 'admin@example.com', roles: ['admin'] });
    expect(cookieOf(res)).toMatch(/^airlock_codec_session=v1\./);
  });

  it('refuses an approver, a wrong key and an empty key, re-rendering the form (no cookie)', async () => {
    const approver = await login('dana@example.com');
    expect(approver.status).toBe(403);
    expect(approver.headers.get('set-cookie')).toBeNull();
    expect(approver.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(await approver.text()).toContain('requires the role auditor or admin');
    const wrong = await fetch(`${server.url}/codec/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'key=not-a-key',
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('not accepted');
    const empty = await fetch(`${server.url}/codec/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'key=',
    });
    expect(empty.status).toBe(400);
  });

  it('refuses script logins precisely, as problems', async () => {
    const approver = await fetch(`${server.url}/codec/session`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${keys['dana@example.com']}` },
    });
    expect(approver.status).toBe(403);
    expect(approver.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await approver.json()).toMatchObject({ type: 'urn:airlock:problem:forbidden' });
    const none = await fetch(`${server.url}/codec/session`, { method: 'POST' });
    expect(none.status).toBe(401);
    const json = await fetch(`${server.url}/codec/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ key: keys['audit@example.com'] }),
    });
    expect(json.status).toBe(415);
  });

  it('refuses a login form posted from another site', async () => {
    const res = await login('audit@example.com', 'https://evil.example');
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('decodes with the cookie from the UI or this service only; encode stays admin-only', async () => {
    const cookie = cookieOf(await login('audit@example.com'));
    expect((await decode(cookie, UI)).status).toBe(200);
    expect((await decode(cookie, 'http://127.0.0.1:8080')).status).toBe(200);
    for (const origin of ['https://evil.example', 'http://localhost:3000', 'null', undefined]) {
      const res = await decode(cookie, origin);
      expect(res.status, String(origin)).toBe(403);
    }
    expect((await decode(cookie, UI, 'encode')).status).toBe(403);
    const admin = cookieOf(await login('admin@example.com'));
    expect((await decode(admin, UI, 'encode')).status).toBe(200);
  });

  it('refuses a tampered cookie and clears it', async () => {
    const cookie = cookieOf(await login('audit@example.com'));
    const res = await decode(`${cookie.slice(0, -2)}xx`, UI);
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    expect(((await res.json()) as { detail: string }).detail).toContain('/codec/login');
  });

  it('logs out: the cookie is cleared', async () => {
    const res = await fetch(`${server.url}/codec/logout`, { method: 'POST', headers: { Origin: SELF } });
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toBe(
      `${CODEC_SESSION_COOKIE}=; Path=/codec; Max-Age=0; HttpOnly; SameSite=Strict`,
    );
  });
});
