// Authentication against real keys and a real local OIDC issuer over HTTP (no mocks of jose).
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Authenticator, createAuthenticator, type HeaderBag, requireRole } from '../../../api/auth.js';
import { PROBLEM, ProblemError, problemMiddleware } from '../../../api/problem.js';
import { generateApiKey, hashApiKey } from '../../../config/api-keys.js';
import type { ApiKeyEntry } from '../../../config/types.js';
import { type FakeOidcIssuer, startFakeOidcIssuer } from '../../fakes/oidc-issuer.js';
import { type Listening, listen } from './listen.js';

const CI_KEY = generateApiKey('ci');
const DANA_KEY = generateApiKey('dana');
const ROOT_KEY = generateApiKey('root');
const API_KEYS: ApiKeyEntry[] = [
  { principal: 'ci@example.com', roles: ['requester'], sha256: hashApiKey(CI_KEY) },
  { principal: 'dana@example.com', roles: ['approver'], sha256: hashApiKey(DANA_KEY) },
  { principal: 'root@example.com', roles: ['admin'], sha256: hashApiKey(ROOT_KEY) },
];

/** The problem an authentication attempt was refused with. */
async function refusal(auth: Authenticator, headers: HeaderBag): Promise<ProblemError> {
  try {
    await auth.authenticate(headers);
  } catch (err) {
    if (err instanceof ProblemError) return err;
    throw err;
  }
  throw new Error('authentication succeeded');
}

describe('API keys', () => {
  const auth = createAuthenticator({ apiKeys: API_KEYS });

  it('accepts a key as a Bearer token or in X-API-Key', async () => {
    expect(await auth.authenticate({ authorization: `Bearer ${CI_KEY}` })).toEqual({
      id: 'ci@example.com',
      roles: ['requester'],
      via: 'api-key',
    });
    expect((await auth.authenticate({ 'x-api-key': DANA_KEY })).id).toBe('dana@example.com');
    expect((await auth.authenticate({ Authorization: `bearer ${DANA_KEY}` })).id).toBe('dana@example.com');
  });

  it('refuses a wrong key with 401 and a detail that reveals nothing more', async () => {
    for (const headers of [
      { authorization: `Bearer ${CI_KEY}x` },
      { 'x-api-key': 'airlock_ci_guess' },
      { authorization: `Bearer ${hashApiKey(CI_KEY)}` },
    ]) {
      const problem = await refusal(auth, headers);
      expect(problem).toMatchObject({
        status: 401,
        type: PROBLEM.unauthenticated,
        detail: 'invalid or expired token',
      });
      expect(problem.headers?.['WWW-Authenticate']).toBe('Bearer realm="airlock", error="invalid_token"');
    }
  });

  it('refuses missing credentials with 401', async () => {
    for (const headers of [{}, { authorization: 'Basic Y2k6cHc=' }, { authorization: 'Bearer ' }]) {
      const problem = await refusal(auth, headers);
      expect(problem).toMatchObject({ status: 401, detail: 'missing credentials' });
      expect(problem.headers?.['WWW-Authenticate']).toBe('Bearer realm="airlock"');
    }
  });

  it('lets anonymous callers in only when the demo asks for it, and still refuses bad keys', async () => {
    const demo = createAuthenticator({
      apiKeys: API_KEYS,
      demoAnonymous: { principal: 'demo@localhost', roles: ['requester'] },
    });
    expect(await demo.authenticate({})).toEqual({
      id: 'demo@localhost',
      roles: ['requester'],
      via: 'anonymous',
    });
    expect((await refusal(demo, { 'x-api-key': 'wrong' })).status).toBe(401);
  });
});

describe('OIDC', () => {
  let issuer: FakeOidcIssuer;
  let auth: Authenticator;

  beforeAll(async () => {
    issuer = await startFakeOidcIssuer('airlock-test');
    auth = createAuthenticator({
      apiKeys: API_KEYS,
      oidc: {
        issuer: issuer.issuer,
        audience: issuer.audience,
        jwksUrl: issuer.jwksUrl,
        principalClaim: 'email',
        rolesClaim: 'roles',
        subjects: [
          {
            match: 'repo:acme/deploy:ref:refs/heads/*',
            principal: 'github:acme/deploy',
            roles: ['requester'],
          },
          { match: 'user:*@example.com', roles: ['auditor'] },
        ],
      },
    });
  });
  afterAll(async () => {
    await issuer.close();
  });

  it('accepts a valid token with roles from the claim, filtered to known roles', async () => {
    const token = await issuer.sign({
      sub: 'u-1',
      email: 'Dana@Example.com',
      email_verified: true,
      roles: ['approver', 'superuser'],
    });
    expect(await auth.authenticate({ authorization: `Bearer ${token}` })).toEqual({
      id: 'dana@example.com',
      roles: ['approver'],
      via: 'oidc',
      expiresAt: expect.any(Number),
    });
    const spaced = await issuer.sign({
      sub: 'u-2',
      email: 'a@example.com',
      email_verified: true,
      roles: 'auditor approver',
    });
    expect((await auth.authenticate({ authorization: `Bearer ${spaced}` })).roles).toEqual([
      'approver',
      'auditor',
    ]);
  });

  it('adds roles (and a principal) from subject globs, falling back to sub', async () => {
    const gha = await issuer.sign({ sub: 'repo:acme/deploy:ref:refs/heads/main' });
    expect(await auth.authenticate({ authorization: `Bearer ${gha}` })).toMatchObject({
      id: 'github:acme/deploy',
      roles: ['requester'],
      via: 'oidc',
    });
    const user = await issuer.sign({ sub: 'user:eve@example.com', roles: ['approver'] });
    expect(await auth.authenticate({ authorization: `Bearer ${user}` })).toMatchObject({
      id: 'user:eve@example.com',
      roles: ['approver', 'auditor'],
      via: 'oidc',
    });
    const other = await issuer.sign({ sub: 'repo:acme/other:ref:refs/heads/main' });
    expect(await auth.authenticate({ authorization: `Bearer ${other}` })).toMatchObject({
      id: 'repo:acme/other:ref:refs/heads/main',
      roles: [],
      via: 'oidc',
    });
  });

  it('takes an e-mail claim only when the issuer verified it', async () => {
    const unverified = await issuer.sign({
      sub: 'u-9',
      email: 'Dana@Example.com ',
      email_verified: false,
      roles: ['approver'],
    });
    expect(await refusal(auth, { authorization: `Bearer ${unverified}` })).toMatchObject({
      status: 401,
      detail: 'invalid or expired token',
    });
    const silent = await issuer.sign({ sub: 'u-9', email: 'dana@example.com', roles: ['approver'] });
    expect((await refusal(auth, { authorization: `Bearer ${silent}` })).status).toBe(401);
    const verified = await issuer.sign({
      sub: 'u-9',
      email: 'Dana@Example.com ',
      email_verified: true,
      roles: ['approver'],
    });
    expect((await auth.authenticate({ authorization: `Bearer ${verified}` })).id).toBe('dana@example.com');
    // An operator whose issuer vouches for every address may say so; an immutable claim needs no flag.
    const trusting = createAuthenticator({
      apiKeys: [],
      oidc: {
        issuer: issuer.issuer,
        audience: issuer.audience,
        jwksUrl: issuer.jwksUrl,
        trustUnverifiedEmail: true,
      },
    });
    expect((await trusting.authenticate({ authorization: `Bearer ${unverified}` })).id).toBe(
      'dana@example.com',
    );
    const byOid = createAuthenticator({
      apiKeys: [],
      oidc: {
        issuer: issuer.issuer,
        audience: issuer.audience,
        jwksUrl: issuer.jwksUrl,
        principalClaim: 'upn',
      },
    });
    const upn = await issuer.sign({ sub: 'u-9', upn: 'Dana@Example.com', email: 'x@evil.test' });
    expect((await byOid.authenticate({ authorization: `Bearer ${upn}` })).id).toBe('dana@example.com');
  });

  it.each([
    ['a sub with a newline', { sub: 'u-1\nadmin' }],
    ['a sub with a carriage return', { sub: 'u-1\r' }],
    ['a sub with a zero-width space', { sub: 'u\u200b1' }],
    ['a sub that is not a string', { sub: 42 as unknown as string }],
    ['an e-mail with a newline', { sub: 'u-1', email: 'dana@example.com\n', email_verified: true }],
    ['an e-mail with a bidi override', { sub: 'u-1', email: '\u202edana@example.com', email_verified: true }],
    ['a mailto: e-mail', { sub: 'u-1', email: 'mailto:dana@example.com', email_verified: true }],
  ])('refuses a token with %s (401)', async (_what, claims) => {
    const token = await issuer.sign({ ...claims, roles: ['approver'] });
    expect(await refusal(auth, { authorization: `Bearer ${token}` })).toMatchObject({ status: 401 });
  });

  it('an RFC 8693 act claim: the actor is the caller, acting for the subject, and may only ask', async () => {
    const delegated = await issuer.sign({
      sub: 'u-1',
      email: 'dana@example.com',
      email_verified: true,
      roles: ['approver', 'requester'],
      act: { sub: 'agent:deploy-bot' },
    });
    expect(await auth.authenticate({ authorization: `Bearer ${delegated}` })).toMatchObject({
      id: 'agent:deploy-bot',
      onBehalfOf: 'dana@example.com',
      roles: ['requester'],
    });
    const badActor = await issuer.sign({
      sub: 'u-1',
      email: 'dana@example.com',
      email_verified: true,
      roles: ['requester'],
      act: { sub: 'agent\nx' },
    });
    expect((await refusal(auth, { authorization: `Bearer ${badActor}` })).status).toBe(401);
  });

  it.each([
    ['expired', { expired: true }],
    ['for another audience', { audience: 'someone-else' }],
    ['from another issuer', { issuer: 'https://evil.example.com' }],
    ['signed by another key', { otherKey: true }],
    ['unsigned (alg none)', { alg: 'none' as const }],
    ['HMAC-signed (alg HS256)', { alg: 'HS256' as const }],
    ['without exp', { noExp: true }],
  ])('refuses a token %s with 401', async (_label, options) => {
    const token = await issuer.sign({ sub: 'u-1', email: 'dana@example.com', roles: ['admin'] }, options);
    const problem = await refusal(auth, { authorization: `Bearer ${token}` });
    expect(problem).toMatchObject({
      status: 401,
      type: PROBLEM.unauthenticated,
      detail: 'invalid or expired token',
    });
  });

  it('accepts a token a little past exp within the 30 s clock tolerance', async () => {
    const token = await issuer.sign({ sub: 'u-1', exp: Math.floor(Date.now() / 1000) - 10 });
    expect((await auth.authenticate({ authorization: `Bearer ${token}` })).id).toBe('u-1');
  });

  it('still accepts API keys when OIDC is configured', async () => {
    expect((await auth.authenticate({ authorization: `Bearer ${CI_KEY}` })).via).toBe('api-key');
  });

  it('answers 503, not 401, when the issuer keys cannot be fetched', async () => {
    const errors: unknown[] = [];
    const fresh = createAuthenticator({
      apiKeys: [],
      oidc: { issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.jwksUrl },
      onError: (err) => errors.push(err),
    });
    const token = await issuer.sign({ sub: 'u-1' });
    issuer.setJwksFailing(true);
    try {
      expect(await refusal(fresh, { authorization: `Bearer ${token}` })).toMatchObject({
        status: 503,
        type: PROBLEM.unavailable,
      });
      expect(errors).toHaveLength(1);
    } finally {
      issuer.setJwksFailing(false);
    }
  });
});

describe('middleware and requireRole over HTTP', () => {
  let server: Listening;

  beforeAll(async () => {
    const app = express();
    app.use('/v1', createAuthenticator({ apiKeys: API_KEYS }));
    app.get('/v1/whoami', (req, res) => {
      res.json(req.principal);
    });
    app.post('/v1/decide', requireRole('approver'), (req, res) => {
      res.json({ decidedBy: req.principal?.id });
    });
    app.use(problemMiddleware({ log: () => {} }));
    server = await listen(app);
  });
  afterAll(async () => {
    await server.close();
  });

  const call = (path: string, key?: string, method = 'GET') =>
    fetch(`${server.url}${path}`, { method, headers: key ? { authorization: `Bearer ${key}` } : {} });

  it('sets req.principal', async () => {
    const res = await call('/v1/whoami', CI_KEY);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 'ci@example.com', roles: ['requester'], via: 'api-key' });
  });

  it('answers 401 problems with WWW-Authenticate', async () => {
    const missing = await call('/v1/whoami');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="airlock"');
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const wrong = await call('/v1/whoami', 'airlock_ci_wrong');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({
      type: PROBLEM.unauthenticated,
      detail: 'invalid or expired token',
    });
  });

  it('answers 403 when the principal lacks the role, and lets approvers and admins through', async () => {
    const refused = await call('/v1/decide', CI_KEY, 'POST');
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      type: PROBLEM.forbidden,
      detail: 'requires the role approver',
    });
    expect((await call('/v1/decide', DANA_KEY, 'POST')).status).toBe(200);
    const admin = await call('/v1/decide', ROOT_KEY, 'POST');
    expect(admin.status).toBe(200);
    expect(await admin.json()).toEqual({ decidedBy: 'root@example.com' });
  });
});
