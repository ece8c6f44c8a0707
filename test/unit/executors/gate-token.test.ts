// Gate tokens: bound to request, action, environment, resource and parameters hash, short-lived,
// signature checked; the redeeming side may state what it runs, and each stated claim is checked.
import { describe, expect, it } from 'vitest';
import {
  callbackExecutor,
  type GateClaims,
  issueGateToken,
  verifyGateToken,
} from '../../../executors/gate-token.js';

const masterKey = Buffer.alloc(32, 3);
const now = new Date('2030-01-01T00:00:00Z');
const claims: GateClaims = {
  requestId: 'req-A',
  action: 'deploy.release',
  environment: 'production',
  resource: 'k8s://prod/api',
  parametersHash: 'a'.repeat(64),
};
const base = { masterKey, ...claims, tokenId: 'tok-1', expiresAt: new Date(now.getTime() + 600_000) };
const token = issueGateToken(base);
const check = (over: Partial<Parameters<typeof verifyGateToken>[0]>) =>
  verifyGateToken({ masterKey, token, expect: claims, now, ...over });

describe('gate tokens', () => {
  it('round-trips and is deterministic (recomputed on demand)', () => {
    expect(token).toMatch(/^v2\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(issueGateToken(base)).toBe(token);
    expect(check({})).toEqual({ ok: true, tokenId: 'tok-1', claims });
  });

  it('carries environment, resource, action and parameters hash as readable claims', () => {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
    expect(payload).toMatchObject({
      rid: 'req-A',
      act: 'deploy.release',
      env: 'production',
      res: 'k8s://prod/api',
      ph: claims.parametersHash,
    });
  });

  it('refuses a token whose claims differ from the request it is presented for', () => {
    expect(check({ expect: { ...claims, environment: 'dev' } })).toEqual({
      ok: false,
      reason: 'environment_mismatch',
    });
    expect(check({ expect: { ...claims, resource: 'k8s://dev/api' } })).toEqual({
      ok: false,
      reason: 'resource_mismatch',
    });
    expect(check({ expect: { ...claims, action: 'deploy.rollback' } })).toEqual({
      ok: false,
      reason: 'action_mismatch',
    });
  });

  it('refuses when the redeeming side runs in another environment, on another resource or parameters', () => {
    const dev = issueGateToken({ ...base, environment: 'dev' });
    const asRecorded = { ...claims, environment: 'dev' };
    expect(check({ token: dev, expect: asRecorded, stated: { environment: 'production' } })).toEqual({
      ok: false,
      reason: 'environment_mismatch',
    });
    expect(check({ stated: { resource: 'k8s://prod/db' } })).toEqual({
      ok: false,
      reason: 'resource_mismatch',
    });
    expect(check({ stated: { parametersHash: 'c'.repeat(64) } })).toEqual({
      ok: false,
      reason: 'parameters_mismatch',
    });
    expect(check({ stated: { environment: 'production', resource: 'k8s://prod/api' } }).ok).toBe(true);
  });

  it('refuses a v1 token, which did not carry the environment or resource', () => {
    const [, body, sig] = token.split('.');
    expect(check({ token: `v1.${body}.${sig}` })).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a genuine token of another request', () => {
    const other = issueGateToken({ ...base, requestId: 'req-B' });
    expect(check({ token: other })).toEqual({ ok: false, reason: 'other_request' });
  });

  it('refuses other parameters', () => {
    expect(check({ expect: { ...claims, parametersHash: 'b'.repeat(64) } })).toEqual({
      ok: false,
      reason: 'parameters_mismatch',
    });
  });

  it('refuses a payload with a tampered parameters hash', () => {
    const [v, body, sig] = token.split('.');
    const payload = JSON.parse(Buffer.from(body ?? '', 'base64url').toString());
    payload.ph = 'b'.repeat(64);
    const forged = `${v}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${sig}`;
    expect(check({ token: forged, expect: { ...claims, parametersHash: 'b'.repeat(64) } })).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('refuses an expired token', () => {
    expect(check({ now: new Date(base.expiresAt.getTime() + 1000) })).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('refuses a flipped byte anywhere in the signature', () => {
    const sig = token.split('.')[2] ?? '';
    for (const i of [0, 21, sig.length - 1]) {
      const flipped = sig.slice(0, i) + (sig[i] === 'A' ? 'B' : 'A') + sig.slice(i + 1);
      const t = token.slice(0, token.length - sig.length) + flipped;
      expect(check({ token: t })).toEqual({ ok: false, reason: 'bad_signature' });
    }
  });

  it('refuses a token signed with another master key', () => {
    const t = issueGateToken({ ...base, masterKey: Buffer.alloc(32, 4) });
    expect(check({ token: t })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('calls garbage malformed', () => {
    for (const t of [
      '',
      'v1',
      'v1.a',
      'v3.a.b',
      'v1.!!.b',
      `v1.${Buffer.from('[]').toString('base64url')}.x`,
      'x'.repeat(5000),
    ])
      expect(check({ token: t })).toEqual({ ok: false, reason: 'malformed' });
  });

  it('callback executor runs nothing and reports gate mode', async () => {
    expect(callbackExecutor.name).toBe('callback');
    const r = await callbackExecutor.execute({
      requestId: 'r',
      idempotencyKey: 'r',
      action: 'x',
      parameters: {},
      parametersHash: '',
      requester: 'a@b',
    });
    expect(r).toEqual({ ok: true, output: { mode: 'gate' } });
  });
});
