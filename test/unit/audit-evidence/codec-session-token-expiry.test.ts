// A codec session made from an OIDC token ends when the token does: a 60-second token must not
// buy an 8-hour cookie that is never checked again.
import express from 'express';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../api/auth.js';
import { codecRouter } from '../../../api/codec-routes.js';
import { codecSessionKey, openCodecSession, sessionExpiry } from '../../../api/codec-session.js';
import type { ApiDeps } from '../../../api/deps.js';
import { problemMiddleware } from '../../../api/problem.js';
import { buildKeyring } from '../../../lib/keys.js';
import { EncryptionCodec } from '../../../temporal/codec.js';
import { type FakeOidcIssuer, startFakeOidcIssuer } from '../../fakes/oidc-issuer.js';
import { type Listening, listen } from '../api-auth/listen.js';

const MASTER = Buffer.alloc(32, 5);
const keyring = buildKeyring(MASTER);
let issuer: FakeOidcIssuer;
let server: Listening;

beforeAll(async () => {
  issuer = await startFakeOidcIssuer('airlock-codec');
  const deps = {
    authenticate: createAuthenticator({
      apiKeys: [],
      oidc: { issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.jwksUrl },
    }),
    config: { apiKeys: [] },
    masterKey: MASTER,
    publicUrl: 'http://localhost:8080',
    namespace: 'default',
    logger: pino({ level: 'silent' }),
  } as unknown as ApiDeps;
  const app = express();
  app.use(
    codecRouter(deps, {
      codec: new EncryptionCodec(keyring.payload, keyring.payloadKeys),
      codecOrigins: ['http://localhost:8233'],
      signing: keyring.signing,
      publishedKeys: keyring.signingKeys,
      codecSessionTtlMs: 8 * 3_600_000,
    }),
  );
  app.use(problemMiddleware({ log: () => {} }));
  server = await listen(app);
});
afterAll(async () => {
  await server?.close();
  await issuer?.close();
});

const startSession = (token: string) =>
  fetch(`${server.url}/codec/session`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

const auditorToken = (options: Parameters<FakeOidcIssuer['sign']>[1], extra: Record<string, unknown> = {}) =>
  issuer.sign(
    { sub: 'u-aud', email: 'audit@example.com', email_verified: true, roles: ['auditor'], ...extra },
    options,
  );

describe('a codec session from an OIDC token', () => {
  it('lasts no longer than the token', async () => {
    const token = await auditorToken({ expiresIn: 60 });
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number;
    const res = await startSession(token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { expiresAt: string };
    expect(Date.parse(body.expiresAt)).toBeLessThanOrEqual(exp * 1000);
    const cookie = res.headers.get('set-cookie') ?? '';
    const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(60);
    // The signed session itself expires with the token, whatever the browser does with Max-Age.
    const value = /airlock_codec_session=([^;]+)/.exec(cookie)?.[1] ?? '';
    const key = codecSessionKey(MASTER);
    expect(openCodecSession(key, value, exp * 1000 - 5_000).ok).toBe(true);
    expect(openCodecSession(key, value, exp * 1000 + 1)).toEqual({ ok: false, reason: 'expired' });
  });

  it('is refused for a token past its exp, even one the clock tolerance still accepts', async () => {
    const token = await auditorToken({}, { exp: Math.floor(Date.now() / 1000) - 10 });
    const res = await startSession(token);
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});

describe('sessionExpiry', () => {
  it('is the TTL, capped at the credential, or nothing for a spent credential', () => {
    expect(sessionExpiry(1_000_000, 60_000)).toBe(1_060_000);
    expect(sessionExpiry(1_000_000, 60_000, 1_030_000)).toBe(1_030_000);
    expect(sessionExpiry(1_000_000, 60_000, 2_000_000)).toBe(1_060_000);
    expect(sessionExpiry(1_000_000, 60_000, 1_000_500)).toBeUndefined();
    expect(sessionExpiry(1_000_000, 60_000, 990_000)).toBeUndefined();
  });
});
