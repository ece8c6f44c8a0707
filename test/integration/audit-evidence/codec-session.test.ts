// Codec sessions over the real service: an auditor trades an API key for a cookie at
// /codec/login, and the cookie decodes a real Temporal payload when the Temporal UI's origin asks,
// never from another origin, never for encode, never once tampered with, expired or logged out.
// Approvers and requesters get no session; the key is never in the cookie.
import { randomBytes } from 'node:crypto';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  CODEC_SESSION_COOKIE,
  codecSessionKey,
  keyBinding,
  signCodecSession,
} from '../../../api/codec-session.js';
import { sha256Hex } from '../../../lib/sha256.js';
import { startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../core/fixtures.js';
import { temporalClient } from './support.js';

const UI = 'http://localhost:8233';
const AUDITOR = 'audit@example.com';
const marker = `codec-session-marker-${randomBytes(6).toString('hex')}`;
let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
let payloads: { metadata: Record<string, string>; data: string }[];

beforeAll(async () => {
  target = await startHttpTarget();
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused'),
    principals: PRINCIPALS,
    env: { TEMPORAL_UI_URL: UI },
  });
  const submitted = await h.api('ci@example.com', '/v1/actions', {
    body: httpRequest({ parameters: { method: 'POST', path: '/config', body: { note: marker } } }),
  });
  expect(submitted.status).toBe(202);
  const id = submitted.body.id as string;
  await eventually(async () =>
    (await h.api(AUDITOR, `/v1/actions/${id}`)).body.status === 'pending_approval' ? true : undefined,
  );
  const bare = await temporalClient(inject('temporalAddress'));
  try {
    const history = await bare.client.workflow.getHandle(`action-${id}`).fetchHistory();
    const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
    payloads = input.map((p) => {
      const m = proto.temporal.api.common.v1.Payload.create(p);
      return {
        metadata: Object.fromEntries(
          Object.entries(m.metadata).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
        ),
        data: Buffer.from(m.data).toString('base64'),
      };
    });
  } finally {
    await bare.close();
  }
  expect(Buffer.from(payloads[0]!.data, 'base64').toString()).not.toContain(marker);
}, 120_000);

afterAll(async () => {
  await h?.stop();
  await target?.close();
});

/** The login form as a browser posts it from the login page. */
function login(who: string) {
  return fetch(`${h.url}/codec/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: h.airlock.publicUrl },
    body: new URLSearchParams({ key: h.keys[who]! }).toString(),
  });
}
const cookieOf = (res: Response) => /^([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];

/** The Temporal UI's codec fetch with `credentials: 'include'`: the cookie, no Authorization. */
function uiCall(cookie: string, origin: string | undefined, op: 'decode' | 'encode' = 'decode') {
  return fetch(`${h.url}/codec/${op}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-namespace': 'default',
      cookie,
      ...(origin ? { origin } : {}),
    },
    body: JSON.stringify({ payloads }),
  });
}
const decodedText = async (res: Response) =>
  ((await res.json()) as { payloads: { data: string }[] }).payloads
    .map((p) => Buffer.from(p.data, 'base64').toString())
    .join('\n');

describe('codec session cookie', () => {
  it('logs an auditor in: an HttpOnly SameSite=Strict cookie for /codec, 8h, without the key', async () => {
    const res = await login(AUDITOR);
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie')!;
    const attrs = setCookie.split(/;\s*/);
    expect(attrs[0]).toMatch(new RegExp(`^${CODEC_SESSION_COOKIE}=v1\\.`));
    expect(attrs.slice(1).sort()).toEqual(['HttpOnly', 'Max-Age=28800', 'Path=/codec', 'SameSite=Strict']);
    expect(setCookie).not.toContain(h.keys[AUDITOR]);
    expect(setCookie).not.toContain(sha256Hex(h.keys[AUDITOR]!));
    expect(await res.text()).toContain(AUDITOR);
  });

  it('decodes a real payload with the cookie from the UI origin', async () => {
    const cookie = cookieOf(await login(AUDITOR))!;
    const res = await uiCall(cookie, UI);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(await decodedText(res)).toContain(marker);
  });

  it('refuses the cookie from another origin, or with no Origin at all', async () => {
    const cookie = cookieOf(await login(AUDITOR))!;
    for (const origin of ['https://evil.example', 'http://localhost:3000', undefined]) {
      const res = await uiCall(cookie, origin);
      expect(res.status, String(origin)).toBe(403);
      const text = await res.text();
      expect(text).not.toContain(marker);
      expect(JSON.parse(text)).toMatchObject({ type: 'urn:airlock:problem:forbidden' });
    }
  });

  it('gives approvers and requesters no session', async () => {
    for (const who of ['dana@example.com', 'dev@example.com', 'ci@example.com']) {
      const form = await login(who);
      expect(form.status, who).toBe(403);
      expect(form.headers.get('set-cookie'), who).toBeNull();
      const script = await fetch(`${h.url}/codec/session`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.keys[who]}` },
      });
      expect(script.status, who).toBe(403);
      expect(await script.json()).toMatchObject({
        type: 'urn:airlock:problem:forbidden',
        detail: expect.stringContaining('auditor or admin'),
      });
    }
  });

  it('refuses a tampered and an expired token (401), clearing the cookie', async () => {
    const cookie = cookieOf(await login(AUDITOR))!;
    const [name, token] = cookie.split('=') as [string, string];
    const [v, body, sig] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    const forgedBody = Buffer.from(JSON.stringify({ ...claims, r: ['admin'] })).toString('base64url');
    const key = codecSessionKey(Buffer.from(h.env.AIRLOCK_ENCRYPTION_KEY!, 'base64'));
    const expired = signCodecSession(key, {
      principal: AUDITOR,
      roles: ['auditor'],
      expiresAt: Date.now() - 1000,
      keyBinding: keyBinding(key, sha256Hex(h.keys[AUDITOR]!)),
    });
    for (const [what, bad, detail] of [
      ['tampered', `${name}=${v}.${forgedBody}.${sig}`, 'not valid'],
      ['expired', `${name}=${expired}`, 'expired'],
    ] as const) {
      const res = await uiCall(bad, UI);
      expect(res.status, what).toBe(401);
      expect(res.headers.get('set-cookie'), what).toMatch(/Max-Age=0/);
      const problem = (await res.json()) as { type: string; detail: string };
      expect(problem.type).toBe('urn:airlock:problem:unauthenticated');
      expect(problem.detail).toContain(detail);
    }
  });

  it('refuses encode with an auditor cookie; an admin cookie encodes', async () => {
    const auditor = cookieOf(await login(AUDITOR))!;
    expect((await uiCall(auditor, UI, 'encode')).status).toBe(403);
    const admin = cookieOf(await login('admin@example.com'))!;
    expect((await uiCall(admin, UI, 'encode')).status).toBe(200);
  });

  it('logs out: the cookie is cleared', async () => {
    const res = await fetch(`${h.url}/codec/logout`, {
      method: 'POST',
      headers: { cookie: cookieOf(await login(AUDITOR))!, origin: h.airlock.publicUrl },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toMatch(
      new RegExp(`^${CODEC_SESSION_COOKIE}=; Path=/codec; Max-Age=0; HttpOnly; SameSite=Strict`),
    );
  });
});
