// Break-glass against the real service (SPEC 14): a member of the rule's break-glass group runs a
// request at once, loudly; a stage approver reviews it; an unreviewed one goes overdue, alerts
// and is posted again; nobody else, and no deny rule, lets the glass be broken.
import { Client, Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { RecordingChannel } from '../../fakes/recording-channel.js';
import { eventually } from '../../support/harness.js';
import { sample } from '../ops/metrics-text.js';
import { escapeWorld, requestReader } from './escape-support.js';
import { httpRequest, PRINCIPALS } from './fixtures.js';

const POLICY = `version: 1
groups:
  dba: [dana@example.com, dev@example.com]
  responders: [ci@example.com, dana@example.com]
channels:
  dba-chat: { slack: { channel: C0DBA } }
rules:
  - name: never-purge
    match: { action: "http.purge" }
    effect: deny
    reason: purges are never run through automation
  - name: production
    match: { environment: production }
    effect: require_approval
    risk: high
    stages:
      - { approvers: [dba], timeout: 10m, notify: [dba-chat] }
    breakGlass: { approvers: [responders], minReasonLength: 10, reviewWithin: 4s }
default:
  effect: require_approval
  stages:
    - { approvers: [dba], timeout: 10m }
`;

const TOKEN = 'metrics-test-token-0123456789';
const chat = new RecordingChannel();
const world = escapeWorld({
  policy: POLICY,
  principals: PRINCIPALS,
  channels: [chat],
  env: { METRICS_TOKEN: TOKEN },
});

const { read, waitFor, eventTypes } = requestReader(() => world.h);
const submit = async (who: string, body: Record<string, unknown>) => {
  const res = await world.h.api(who, '/v1/actions', { body });
  expect(res.status).toBe(202);
  return res.body.id as string;
};
const review = (who: string, id: string, body: Record<string, unknown>) =>
  world.h.api(who, `/v1/actions/${id}/review`, { body });

/** How many of the request's runs the visibility query finds (0 reads as not yet). */
async function countWhere(id: string, query: string): Promise<number | undefined> {
  const connection = await Connection.connect({ address: world.h.env.TEMPORAL_ADDRESS });
  try {
    const { count } = await new Client({ connection }).workflow.count(
      `WorkflowId = "action-${id}" AND ${query}`,
    );
    return count > 0 ? count : undefined;
  } finally {
    await connection.close();
  }
}

/** Waits until the Web UI's filter on AirlockBreakGlass shows the request with this value. */
const searchAttributeBecomes = (id: string, value: string) =>
  eventually(async () => ((await searchAttribute(id)) === value ? true : undefined), 10_000, `SA ${value}`);

/** Whether the Web UI's filter on AirlockBreakGlass finds the request (describe would decode the encrypted memo). */
async function searchAttribute(id: string): Promise<string | undefined> {
  const connection = await Connection.connect({ address: world.h.env.TEMPORAL_ADDRESS });
  try {
    const client = new Client({ connection });
    for (const value of ['review_pending', 'review_overdue', 'acknowledged', 'incident']) {
      const query = `WorkflowId = "action-${id}" AND AirlockBreakGlass = "${value}"`;
      if ((await client.workflow.count(query)).count > 0) return value;
    }
    return undefined;
  } finally {
    await connection.close();
  }
}

describe('break-glass', () => {
  it('runs at once for a member of the group, loudly, and a stage approver acknowledges it', async () => {
    const before = world.target.sideEffects();
    const id = await submit(
      'ci@example.com',
      httpRequest({
        parameters: { method: 'POST', path: '/bg', body: { n: 1 } },
        breakGlass: { reason: 'the payment outage needs the flag now' },
      }),
    );
    const done = await waitFor(id, (s) => s.status === 'succeeded', 'succeeded');
    expect(world.target.sideEffects()).toBe(before + 1);
    expect(done.decidedBy).toBe('break-glass:ci@example.com');
    expect(done.decisions).toEqual([]);
    expect(done.breakGlass).toMatchObject({
      by: 'ci@example.com',
      reason: 'the payment outage needs the flag now',
    });
    expect(done.breakGlass.review).toBeUndefined();
    const card = chat.to('dba-chat').find((m) => m.versions[0]?.requestId === id)!;
    expect(card.versions[0]!.title).toMatch(/^BREAK-GLASS: /);
    expect(card.versions[0]!.actions).toBeUndefined();
    expect(chat.latest(card).statusLine).toMatch(/^BREAK-GLASS by ci@example.com/);
    await searchAttributeBecomes(id, 'review_pending');

    // The requester cannot decide it after the fact, nor can anyone approve what already ran.
    const late = await world.h.api('dev@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(late.status).toBe(409);
    // Not an approver of the rule's stages.
    const outsider = await review('outsider@example.com', id, { outcome: 'acknowledge' });
    expect(outsider.status).toBe(403);
    // An incident needs a reason.
    const noReason = await review('dev@example.com', id, { outcome: 'incident' });
    expect(noReason.status).toBe(400);
    const ack = await review('dev@example.com', id, {
      outcome: 'acknowledge',
      reason: 'ticket OPS-1 explains it',
    });
    expect(ack.status).toBe(200);
    expect(ack.body.breakGlass.review).toMatchObject({ outcome: 'acknowledged', by: 'dev@example.com' });
    const again = await review('dana@example.com', id, { outcome: 'incident', reason: 'no' });
    expect(again.status).toBe(409);
    expect(again.body.type).toBe('urn:airlock:problem:already-reviewed');

    const types = await eventually(
      async () => {
        const t = await eventTypes(id);
        return t.includes('breakglass.reviewed') ? t : undefined;
      },
      10_000,
      'reviewed event',
    );
    expect(types.indexOf('breakglass.used')).toBeLessThan(types.indexOf('execution.started'));
    expect(types.filter((t) => t === 'attempt.refused').length).toBeGreaterThanOrEqual(2);
    await searchAttributeBecomes(id, 'acknowledged');
    // The workflow closes once reviewed.
    expect(await eventually(() => countWhere(id, 'ExecutionStatus = "Completed"'), 10_000, 'closed')).toBe(1);
  });

  it('refuses self-review: a requester who is also a stage approver cannot review their own', async () => {
    const id = await submit(
      'dana@example.com',
      httpRequest({
        parameters: { method: 'POST', path: '/bg', body: { n: 2 } },
        breakGlass: { reason: 'the database is on fire right now' },
      }),
    );
    await waitFor(id, (s) => s.status === 'succeeded', 'succeeded');
    const self = await review('dana@example.com', id, { outcome: 'acknowledge' });
    expect(self.status).toBe(403);
    expect(self.body.type).toBe('urn:airlock:problem:self-approval');
    const s = await read(id);
    expect(
      s.refusedAttempts.some((r: any) => r.code === 'self_approval' && r.what === 'review:acknowledge'),
    ).toBe(true);
    expect(
      (await review('dev@example.com', id, { outcome: 'incident', reason: 'was not an emergency' })).status,
    ).toBe(200);
  });

  it('an unreviewed break-glass goes overdue: marked, alerted through the metric, and posted again', async () => {
    const id = await submit(
      'ci@example.com',
      httpRequest({
        parameters: { method: 'POST', path: '/bg', body: { n: 3 } },
        breakGlass: { reason: 'customer data is leaking, turn it off' },
      }),
    );
    const overdue = await waitFor(id, (s) => s.breakGlass?.overdue === true, 'overdue');
    expect(overdue.status).toBe('succeeded');
    const posted = await eventually(
      async () => {
        const cards = chat.to('dba-chat').filter((m) => m.versions[0]?.requestId === id);
        return cards.length >= 2 ? cards : undefined;
      },
      10_000,
      'reposted card',
    );
    expect(posted.at(-1)!.versions[0]!.fields.find((f) => f.label === 'Review')?.value).toMatch(/^OVERDUE/);
    expect(await eventTypes(id)).toContain('breakglass.review_overdue');
    await searchAttributeBecomes(id, 'review_overdue');
    const metrics = await (
      await fetch(`${world.h.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).text();
    expect(
      sample(metrics, 'airlock_breakglass_review_overdue_total', {
        action: 'http.*',
        environment: 'production',
      }) ?? 0,
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(metrics, 'airlock_breakglass_total', {
        action: 'http.*',
        environment: 'production',
      }) ?? 0,
    ).toBeGreaterThanOrEqual(1);
    // A late review is still taken, and says it was overdue.
    expect((await review('dev@example.com', id, { outcome: 'acknowledge' })).status).toBe(200);
  });

  it('refuses break-glass for a requester outside the group, with a short reason, or where the policy denies', async () => {
    const before = world.target.sideEffects();
    const cases = [
      {
        who: 'agent-runner@example.com',
        body: httpRequest({ breakGlass: { reason: 'I really need this now' } }),
        why: /not in a break-glass group/,
      },
      {
        who: 'ci@example.com',
        body: httpRequest({ breakGlass: { reason: 'now' } }),
        why: /at least 10 characters/,
      },
      {
        who: 'ci@example.com',
        body: httpRequest({ action: 'http.purge', breakGlass: { reason: 'the cache is poisoned' } }),
        why: /never allowed where the policy denies/,
      },
    ];
    for (const c of cases) {
      const id = await submit(c.who, c.body);
      const s = await waitFor(id, (x) => x.status === 'denied', 'denied');
      expect(s.reason).toMatch(c.why);
      expect(s.breakGlass).toBeUndefined();
      expect(s.refusedAttempts).toEqual([
        expect.objectContaining({ code: 'break_glass_refused', what: 'break-glass' }),
      ]);
      expect(await eventTypes(id)).toContain('attempt.refused');
    }
    expect(world.target.sideEffects()).toBe(before);
  });
});
