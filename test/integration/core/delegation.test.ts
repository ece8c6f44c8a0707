// Delegation against the real service (SPEC 14): an approver hands their approvals to one person
// for a period; the delegate decides in their name during it and not outside it, never their own
// request (nor one made on their behalf), never through a chain; every change is in a trail.
import { describe, expect, it } from 'vitest';
import { RecordingChannel } from '../../fakes/recording-channel.js';
import { eventually } from '../../support/harness.js';
import { escapeWorld, requestReader } from './escape-support.js';

const POLICY = `version: 1
groups:
  dba: [dana@example.com, dev@example.com]
channels:
  dba-chat: { slack: { channel: C0DBA } }
rules:
  - name: pair
    match: { action: "http.pair" }
    effect: require_approval
    stages:
      - { approvers: [dba], minApprovals: 2, timeout: 10m }
default:
  effect: require_approval
  stages:
    - { approvers: [dba], timeout: 10m, notify: [dba-chat] }
`;

const PRINCIPALS = [
  { principal: 'ci@example.com', roles: ['requester'] },
  { principal: 'bot@example.com', roles: ['requester'], onBehalfOf: 'deputy@example.com' },
  { principal: 'dana@example.com', roles: ['approver'] },
  { principal: 'dev@example.com', roles: ['approver'] },
  { principal: 'deputy@example.com', roles: ['approver', 'requester'] },
  { principal: 'chain@example.com', roles: ['approver'] },
  { principal: 'outsider@example.com', roles: ['approver'] },
  // Holds delegations but no approver role of its own.
  { principal: 'helper@example.com', roles: ['requester'] },
  { principal: 'audit@example.com', roles: ['auditor'] },
  { principal: 'admin@example.com', roles: ['admin'] },
];

const chat = new RecordingChannel();
const world = escapeWorld({
  policy: POLICY,
  principals: PRINCIPALS,
  channels: [chat],
});

const { read, waitFor, eventTypes } = requestReader(() => world.h);
const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const delegate = (who: string, body: Record<string, unknown>) =>
  world.h.api(who, '/v1/delegations', { body });
const submit = async (who = 'ci@example.com', overrides: Record<string, unknown> = {}) => {
  const res = await world.h.api(who, '/v1/actions', {
    body: {
      action: 'http.config.update',
      resource: 'admin-api:/config',
      environment: 'production',
      parameters: { method: 'POST', path: '/d', body: { at: Date.now() } },
      ...overrides,
    },
  });
  expect(res.status).toBe(202);
  const id = res.body.id as string;
  await waitFor(id, (s) => s.status === 'pending_approval', 'pending');
  return id;
};
const decide = (who: string, id: string, decision = 'approve') =>
  world.h.api(who, `/v1/actions/${id}/decisions`, { body: { decision, reason: 'checked' } });

let danaToDeputy: string;

describe('delegation', () => {
  it('the delegate decides in the delegator’s name during the window, and the card says so', async () => {
    const created = await delegate('dana@example.com', {
      delegate: 'Deputy@Example.com',
      end: inMs(3_600_000),
      reason: 'on leave this week',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      delegator: 'dana@example.com',
      delegate: 'deputy@example.com',
      status: 'active',
    });
    danaToDeputy = created.body.id;
    // One person at a time: an overlapping second delegation is refused.
    const overlap = await delegate('dana@example.com', {
      delegate: 'dev@example.com',
      end: inMs(60_000),
      reason: 'x',
    });
    expect(overlap.status).toBe(400);
    expect(
      (await delegate('dana@example.com', { delegate: 'dana@example.com', end: inMs(60_000), reason: 'x' }))
        .status,
    ).toBe(400);

    const id = await submit();
    // The card names who may decide for the stage's approvers.
    const posted = await eventually(
      async () => chat.to('dba-chat').find((m) => m.versions[0]?.requestId === id),
      10_000,
      'card',
    );
    expect(posted.versions[0]!.fields.find((f) => f.label === 'Delegates')?.value).toMatch(
      /^deputy@example.com as delegate of dana@example.com \(until /,
    );
    expect((await decide('outsider@example.com', id)).status).toBe(403);
    const ok = await decide('deputy@example.com', id);
    expect(ok.status).toBe(200);
    const done = await waitFor(id, (s) => s.status === 'succeeded', 'succeeded');
    expect(done.decidedBy).toBe('deputy@example.com');
    expect(done.decisions[0]).toMatchObject({
      approver: { id: 'deputy@example.com' },
      asDelegateOf: 'dana@example.com',
      delegationId: danaToDeputy,
    });
    const card = await world.h.api('audit@example.com', `/v1/actions/${id}/card`);
    expect(card.body.decisions[0]).toMatch(/^Approved by deputy@example.com as delegate of dana@example.com/);
    const audit = await world.h.api('audit@example.com', `/v1/actions/${id}/audit`);
    const recorded = audit.body.events.find((e: any) => e.type === 'decision.recorded');
    expect(recorded.data).toMatchObject({ asDelegateOf: 'dana@example.com', delegationId: danaToDeputy });
  });

  it('never their own request, nor one made on their behalf', async () => {
    const own = await submit('deputy@example.com');
    const self = await decide('deputy@example.com', own);
    expect(self.status).toBe(403);
    expect(self.body.type).toBe('urn:airlock:problem:self-approval');
    const behalf = await submit('bot@example.com');
    const onBehalf = await decide('deputy@example.com', behalf);
    expect(onBehalf.status).toBe(403);
    expect(onBehalf.body.type).toBe('urn:airlock:problem:self-approval');
    for (const id of [own, behalf]) expect((await read(id)).refusedAttempts[0].code).toBe('self_approval');
  });

  it('no chains: the delegate’s own delegation does not pass on what it holds', async () => {
    const chained = await delegate('deputy@example.com', {
      delegate: 'chain@example.com',
      end: inMs(3_600_000),
      reason: 'away too',
    });
    expect(chained.status).toBe(201);
    const id = await submit();
    const refused = await decide('chain@example.com', id);
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('urn:airlock:problem:not-an-approver');
    // Admins see every delegation; an approver those it gave or holds.
    const all = (await world.h.api('admin@example.com', '/v1/delegations')).body.items.map((d: any) => d.id);
    expect(all).toEqual(expect.arrayContaining([danaToDeputy, chained.body.id]));
    const danas = (await world.h.api('dana@example.com', '/v1/delegations')).body.items.map((d: any) => d.id);
    expect(danas).toContain(danaToDeputy);
    expect(danas).not.toContain(chained.body.id);
    // An admin ends any.
    expect(
      (await world.h.api('admin@example.com', `/v1/delegations/${chained.body.id}`, { method: 'DELETE' }))
        .body.status,
    ).toBe('ended');
    await world.h.api('ci@example.com', `/v1/actions/${id}/cancel`, { body: {} });
  });

  it('two-person rule: a delegate cannot add a second approval in the name of one who approved', async () => {
    const id = await submit('ci@example.com', { action: 'http.pair' });
    expect((await decide('dana@example.com', id)).status).toBe(200);
    const twice = await decide('deputy@example.com', id);
    expect(twice.status).toBe(409);
    expect(twice.body.type).toBe('urn:airlock:problem:already-decided');
    expect((await decide('dev@example.com', id)).status).toBe(200);
    await waitFor(id, (s) => s.status === 'succeeded', 'succeeded');
  });

  it('not outside the window: not before it starts, not after it ends or is ended; every change in its trail', async () => {
    const id = await submit();
    // Ended by someone else: refused and recorded; by its delegator: ended at once.
    const other = await world.h.api('outsider@example.com', `/v1/delegations/${danaToDeputy}`, {
      method: 'DELETE',
    });
    expect(other.status).toBe(403);
    const ended = await world.h.api('dana@example.com', `/v1/delegations/${danaToDeputy}`, {
      method: 'DELETE',
    });
    expect(ended.body.status).toBe('ended');
    expect((await decide('deputy@example.com', id)).status).toBe(403);
    expect(await eventTypes(danaToDeputy)).toEqual([
      'delegation.created',
      'attempt.refused',
      'delegation.ended',
    ]);

    // One that starts later holds nothing yet; one whose end has passed holds nothing any more.
    const later = await delegate('dev@example.com', {
      delegate: 'outsider@example.com',
      start: inMs(3_600_000),
      end: inMs(7_200_000),
      reason: 'next week',
    });
    expect(later.body.status).toBe('scheduled');
    expect((await decide('outsider@example.com', id)).status).toBe(403);
    await world.h.api('dev@example.com', `/v1/delegations/${later.body.id}`, { method: 'DELETE' });
    const short = await delegate('dev@example.com', {
      delegate: 'outsider@example.com',
      end: inMs(2_000),
      reason: 'a minute',
    });
    expect(short.status).toBe(201);
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await decide('outsider@example.com', id)).status).toBe(403);
    expect((await read(id)).status).toBe('pending_approval');
    await world.h.api('ci@example.com', `/v1/actions/${id}/cancel`, { body: {} });
  });

  it('a delegate needs no approver role of their own, and one person decides once however many delegations they hold', async () => {
    const fromDana = await delegate('dana@example.com', {
      delegate: 'helper@example.com',
      end: inMs(3_600_000),
      reason: 'both away',
    });
    const fromDev = await delegate('dev@example.com', {
      delegate: 'helper@example.com',
      end: inMs(3_600_000),
      reason: 'both away',
    });
    expect([fromDana.status, fromDev.status]).toEqual([201, 201]);
    const id = await submit('ci@example.com', { action: 'http.pair' });
    expect((await decide('helper@example.com', id)).status).toBe(200);
    // The same person again, now in the other delegator's name: the two-person rule holds.
    const again = await decide('helper@example.com', id);
    expect(again.status).toBe(409);
    expect(again.body.type).toBe('urn:airlock:problem:already-decided');
    expect((await read(id)).status).toBe('pending_approval');
    for (const d of [fromDana, fromDev])
      await world.h.api('admin@example.com', `/v1/delegations/${d.body.id}`, { method: 'DELETE' });
    await world.h.api('ci@example.com', `/v1/actions/${id}/cancel`, { body: {} });
  });
});
