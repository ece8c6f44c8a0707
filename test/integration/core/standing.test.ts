// Standing approvals against the real service (SPEC 14): "approve this and the same again" makes
// later requests in scope approved at once with a reference; anything out of scope asks again; a
// revocation or the expiry takes effect for the very next request; the two-person rule holds.
import { describe, expect, it } from 'vitest';
import { eventually } from '../../support/harness.js';
import { escapeWorld, requestReader } from './escape-support.js';
import { PRINCIPALS } from './fixtures.js';

const POLICY = `version: 1
groups:
  dba: [dana@example.com, dev@example.com]
  pair: [p1@example.com, p2@example.com]
rules:
  - name: standing-ok
    match: { action: "http.standing" }
    effect: require_approval
    risk: high
    stages:
      - { approvers: [dba], timeout: 10m }
    standing: { maxTtl: 1h, scope: { vary: [body] } }
  - name: standing-pair
    match: { action: "http.pair" }
    effect: require_approval
    stages:
      - { approvers: [pair], minApprovals: 2, timeout: 10m }
    standing: { maxTtl: 1h }
default:
  effect: require_approval
  stages:
    - { approvers: [dba], timeout: 10m }
`;

const world = escapeWorld({
  policy: POLICY,
  principals: PRINCIPALS,
});

const request = (overrides: Record<string, unknown> = {}) => ({
  action: 'http.standing',
  resource: 'admin-api:/config',
  environment: 'production',
  parameters: { method: 'POST', path: '/config', body: { n: 1 } },
  ...overrides,
});
const { read, waitFor, eventTypes } = requestReader(() => world.h);
const submit = async (body: Record<string, unknown>, who = 'ci@example.com') => {
  const res = await world.h.api(who, '/v1/actions', { body });
  expect(res.status).toBe(202);
  return res.body.id as string;
};
const decide = (who: string, id: string, body: Record<string, unknown>) =>
  world.h.api(who, `/v1/actions/${id}/decisions`, { body });
const pending = (id: string) => waitFor(id, (s) => s.status === 'pending_approval', 'pending');
const succeeded = (id: string) => waitFor(id, (s) => s.status === 'succeeded', 'succeeded');

/** Approves a first request with "and the same again for ttl" and returns the standing approval's id. */
async function standingFrom(body: Record<string, unknown>, ttl: string): Promise<string> {
  const first = await submit(body);
  await pending(first);
  expect((await decide('dana@example.com', first, { decision: 'approve', standing: { ttl } })).status).toBe(
    200,
  );
  const done = await succeeded(first);
  expect(done.standing.created.approvers).toEqual(['dana@example.com']);
  return done.standing.created.id as string;
}

describe('standing approvals', () => {
  it('approves the same again at once, with the reference; out of scope asks again; revoke stops the next one', async () => {
    const id = await standingFrom(
      request({ parameters: { method: 'POST', path: '/s1', body: { n: 1 } } }),
      '1h',
    );
    const before = world.target.sideEffects();
    // In scope: body may vary, everything else the same.
    const again = await submit(request({ parameters: { method: 'POST', path: '/s1', body: { n: 2 } } }));
    const auto = await succeeded(again);
    expect(auto.decidedBy).toBe(`standing:${id}`);
    expect(auto.decisions).toEqual([]);
    expect(auto.standing).toEqual({ usedId: id, usedApprovers: ['dana@example.com'] });
    expect(world.target.sideEffects()).toBe(before + 1);
    expect(await eventTypes(again)).toEqual(expect.arrayContaining(['standing.used', 'request.approved']));

    // Out of scope: another path (a parameter that may not vary), another resource, another requester.
    for (const [body, who] of [
      [request({ parameters: { method: 'POST', path: '/other', body: { n: 1 } } }), 'ci@example.com'],
      [
        request({ resource: 'admin-api:/elsewhere', parameters: { method: 'POST', path: '/s1', body: {} } }),
        'ci@example.com',
      ],
      [request({ parameters: { method: 'POST', path: '/s1', body: { n: 1 } } }), 'agent-runner@example.com'],
    ] as const) {
      const other = await submit(body, who);
      expect((await pending(other)).decidedBy).toBeUndefined();
      await world.h.api(who, `/v1/actions/${other}/cancel`, { body: {} });
    }

    const listed = await world.h.api('dana@example.com', '/v1/standing');
    expect(listed.status).toBe(200);
    expect(listed.body.items.find((s: any) => s.id === id)).toMatchObject({ status: 'active', uses: 1 });
    const own = await world.h.api('agent-runner@example.com', '/v1/standing');
    expect(own.body.items.some((s: any) => s.id === id)).toBe(false);

    // Only its approvers (or an admin) revoke; the refusal is in the creating request's trail.
    const refused = await world.h.api('dev@example.com', `/v1/standing/${id}`, { method: 'DELETE' });
    expect(refused.status).toBe(403);
    const revoked = await world.h.api('dana@example.com', `/v1/standing/${id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', revokedBy: 'dana@example.com' });
    const after = await submit(request({ parameters: { method: 'POST', path: '/s1', body: { n: 3 } } }));
    expect((await pending(after)).decidedBy).toBeUndefined();
    await world.h.api('ci@example.com', `/v1/actions/${after}/cancel`, { body: {} });
    const origin = (await world.h.api('dana@example.com', '/v1/standing')).body.items.find(
      (s: any) => s.id === id,
    );
    const trail = await eventTypes(origin.requestId);
    expect(trail).toEqual(
      expect.arrayContaining(['standing.created', 'attempt.refused', 'standing.revoked']),
    );
  });

  it('expires: the next request after the TTL asks again, and the creating request records the expiry', async () => {
    const path = '/expiring';
    const id = await standingFrom(request({ parameters: { method: 'POST', path, body: {} } }), '3s');
    const origin = (await world.h.api('dana@example.com', '/v1/standing')).body.items.find(
      (s: any) => s.id === id,
    );
    await eventually(
      async () => ((await eventTypes(origin.requestId)).includes('standing.expired') ? true : undefined),
      15_000,
      'expired event',
    );
    const late = await submit(request({ parameters: { method: 'POST', path, body: {} } }));
    expect((await pending(late)).decidedBy).toBeUndefined();
    await world.h.api('ci@example.com', `/v1/actions/${late}/cancel`, { body: {} });
  });

  it('refuses a standing approval beyond maxTtl, on a deny, or where the rule has none; the decision is not recorded', async () => {
    const id = await submit(request({ parameters: { method: 'POST', path: '/long', body: {} } }));
    await pending(id);
    const long = await decide('dana@example.com', id, { decision: 'approve', standing: { ttl: '2h' } });
    expect(long.status).toBe(403);
    expect(long.body.detail).toMatch(/at most 1h/);
    const deny = await decide('dana@example.com', id, {
      decision: 'deny',
      reason: 'no',
      standing: { ttl: '1h' },
    });
    expect(deny.status).toBe(403);
    const bad = await decide('dana@example.com', id, { decision: 'approve', standing: { ttl: 'forever' } });
    expect(bad.status).toBe(400);
    const plain = await submit(request({ action: 'http.plain' }));
    await pending(plain);
    const none = await decide('dana@example.com', plain, { decision: 'approve', standing: { ttl: '1h' } });
    expect(none.status).toBe(403);
    expect(none.body.detail).toMatch(/does not allow standing approvals/);
    const s = await read(id);
    expect(s.status).toBe('pending_approval');
    expect(s.decisions).toEqual([]);
    expect(s.refusedAttempts.map((r: any) => r.code)).toContain('standing_not_allowed');
    for (const x of [id, plain]) await world.h.api('ci@example.com', `/v1/actions/${x}/cancel`, { body: {} });
  });

  it('two-person rule: a standing approval needs both approvers to choose it', async () => {
    const body = request({ action: 'http.pair', parameters: { method: 'POST', path: '/pair', body: {} } });
    const one = await submit(body);
    await pending(one);
    expect(
      (await decide('p1@example.com', one, { decision: 'approve', standing: { ttl: '1h' } })).status,
    ).toBe(200);
    expect((await decide('p2@example.com', one, { decision: 'approve' })).status).toBe(200);
    const first = await succeeded(one);
    expect(first.standing.created).toBeUndefined();
    expect(first.standing.notCreated).toMatch(/needs 2 approvers/);
    // The next one asks again.
    const two = await submit(body);
    await pending(two);
    expect(
      (await decide('p1@example.com', two, { decision: 'approve', standing: { ttl: '1h' } })).status,
    ).toBe(200);
    expect(
      (await decide('p2@example.com', two, { decision: 'approve', standing: { ttl: '30m' } })).status,
    ).toBe(200);
    const second = await succeeded(two);
    expect(second.standing.created.approvers).toEqual(['p1@example.com', 'p2@example.com']);
    const three = await submit(body);
    const auto = await succeeded(three);
    expect(auto.decidedBy).toBe(`standing:${second.standing.created.id}`);
    expect(auto.standing.usedApprovers).toEqual(['p1@example.com', 'p2@example.com']);
  });
});
