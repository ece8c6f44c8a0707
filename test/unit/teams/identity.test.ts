// Strict identity mapping for Teams clicks: allowed tenants only; the policy's aadObjectId first;
// then exactly one usable directory name (e-mail / UPN); guests, conflicts and ambiguity refused.
import { describe, expect, it } from 'vitest';
import { mayLink, resolveTeamsUser } from '../../../bots/teams/identity.js';
import { parsePolicy } from '../../../policy/load.js';

const T = 'aaaaaaaa-0000-4000-8000-000000000001';
const policy = parsePolicy(
  `version: 1
groups:
  dba: [dana@example.com, sam@example.com]
identities:
  - email: dana@example.com
    teams: { aadObjectId: AAD-DANA }
default: { effect: require_approval, stages: [{ approvers: [dba], timeout: 1h }] }
`,
  'policy.yaml',
);

const resolve = (
  aadObjectId: string | undefined,
  tenantId: string | undefined,
  entry?: Record<string, string>,
) => resolveTeamsUser(policy, [T], { aadObjectId, tenantId }, entry ? async () => entry : undefined);

describe('resolveTeamsUser', () => {
  it('maps through the policy first, case-insensitively', async () => {
    expect(await resolve('aad-dana', T)).toEqual({ ok: true, identity: 'dana@example.com', via: 'policy' });
  });

  it('refuses a tenant that is not allowed, or no tenant, even for a mapped user', async () => {
    expect(await resolve('AAD-DANA', 'other')).toMatchObject({ ok: false, why: 'tenant_not_allowed' });
    expect(await resolve('AAD-DANA', undefined)).toMatchObject({ ok: false, why: 'tenant_not_allowed' });
  });

  it('maps through the directory: one e-mail, or a UPN', async () => {
    expect(await resolve('AAD-SAM', T, { aadObjectId: 'aad-sam', email: 'Sam@Example.com' })).toEqual({
      ok: true,
      identity: 'sam@example.com',
      via: 'directory',
    });
    expect(
      await resolve('AAD-X', T, { aadObjectId: 'AAD-X', userPrincipalName: 'x@example.com' }),
    ).toMatchObject({
      ok: true,
      identity: 'x@example.com',
    });
  });

  it('prefers the one name the policy knows when e-mail and UPN differ, and refuses when that is not decisive', async () => {
    expect(
      await resolve('AAD-SAM', T, {
        aadObjectId: 'AAD-SAM',
        email: 'sam@example.com',
        userPrincipalName: 's123@corp.example',
      }),
    ).toMatchObject({ ok: true, identity: 'sam@example.com' });
    expect(
      await resolve('AAD-Y', T, {
        aadObjectId: 'AAD-Y',
        email: 'y@a.example',
        userPrincipalName: 'y@b.example',
      }),
    ).toMatchObject({ ok: false, why: 'ambiguous' });
  });

  it('refuses no entry, an entry for someone else, guests, another tenant, and an address mapped to another Teams user', async () => {
    expect(await resolve('AAD-Z', T)).toMatchObject({ ok: false, why: 'unmapped' });
    expect(await resolve('AAD-Z', T, { aadObjectId: 'AAD-OTHER', email: 'z@example.com' })).toMatchObject({
      ok: false,
      why: 'unmapped',
    });
    expect(
      await resolve('AAD-G', T, {
        aadObjectId: 'AAD-G',
        userPrincipalName: 'g_ext.com#EXT#@t.onmicrosoft.com',
      }),
    ).toMatchObject({ ok: false, why: 'unmapped' });
    expect(
      await resolve('AAD-Z', T, { aadObjectId: 'AAD-Z', email: 'z@example.com', tenantId: 'other' }),
    ).toMatchObject({ ok: false, why: 'tenant_not_allowed' });
    expect(
      await resolve('AAD-IMPOSTOR', T, { aadObjectId: 'AAD-IMPOSTOR', email: 'dana@example.com' }),
    ).toMatchObject({
      ok: false,
      why: 'unmapped',
    });
    expect(await resolve(undefined, T)).toMatchObject({ ok: false, why: 'unmapped' });
  });

  it('lets only approver-group members link conversations', () => {
    expect(mayLink(policy, 'sam@example.com')).toBe(true);
    expect(mayLink(policy, 'x@example.com')).toBe(false);
  });
});
