// Fault case: a second requester floods someone else's pending requests with cancels (and
// completes and redeems). Each answer is the 404 of an unknown id (no existence oracle) or, past
// the principal's write budget, 429 with Retry-After; nothing reaches the victims' workflows, so
// their histories do not grow and Temporal's per-workflow update budget stays whole: the
// approver's decision and the owner's cancel still work afterwards.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpTargetFake, startHttpTarget } from '../fakes/http-target.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../integration/core/fixtures.js';
import { eventually, type Harness, startHarness } from '../support/harness.js';
import { callsWith, expectChainIntact, size, waitForStatus } from './support.js';

const OWNER = 'ci@example.com';
const ATTACKER = 'agent-runner@example.com';
const APPROVER = 'dana@example.com';
/** The attacker's write budget here: the burst is well past it, so both answers are seen. */
const WRITES = 100;

let h: Harness;
let target: HttpTargetFake;
let connection: Connection;
let temporal: Client;

beforeAll(async () => {
  target = await startHttpTarget();
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused'),
    principals: PRINCIPALS,
    env: { AIRLOCK_RATE_LIMIT_WRITES: `${WRITES}/1m` },
  });
  connection = await Connection.connect({ address: h.env.TEMPORAL_ADDRESS! });
  temporal = new Client({ connection });
}, 180_000);

afterAll(async () => {
  await connection?.close();
  await h?.stop();
  await target?.close();
});

async function submit(marker: string): Promise<string> {
  const res = await h.api(OWNER, '/v1/actions', {
    body: httpRequest({ parameters: { method: 'POST', path: '/config', body: { marker } } }),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  await waitForStatus(h, res.body.id, ['pending_approval']);
  return res.body.id as string;
}

/**
 * The number of events in a request's history once its workflow is idle (no activity and no
 * workflow task pending): what only new messages can grow.
 */
const historyLength = (id: string) =>
  eventually(
    async () => {
      const workflowId = `action-${id}`;
      // The raw service call: the SDK's describe() would decode the (encrypted) memo.
      const described = await connection.workflowService.describeWorkflowExecution({
        namespace: 'default',
        execution: { workflowId },
      });
      if ((described.pendingActivities?.length ?? 0) > 0 || described.pendingWorkflowTask) return undefined;
      const events = (await temporal.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
      return events.length;
    },
    30_000,
    `${id} idle`,
  );

/** The parts of a problem that must not tell an unknown id from someone else's request. */
const visible = (body: Record<string, unknown>) => ({
  type: body.type,
  title: body.title,
  status: body.status,
  detail: body.detail,
  field: body.field,
});

describe('fault: refusals flooding another requester’s request', () => {
  const n = size(300, 2100);

  it(`answers ${n} foreign cancels, completes and redeems with 404 or 429, and the victims' histories do not grow`, async () => {
    const toApprove = await submit('flood-approve');
    const toCancel = await submit('flood-cancel');
    const before = { toApprove: await historyLength(toApprove), toCancel: await historyLength(toCancel) };

    const unknown = await h.api(ATTACKER, `/v1/actions/${randomUUID()}/cancel`, { body: {} });
    expect(unknown.status).toBe(404);

    const attempts = Array.from({ length: n }, (_, i) => {
      const id = i % 2 === 0 ? toApprove : toCancel;
      const [path, body] =
        i % 10 === 9
          ? ['complete', { outcome: 'succeeded' }]
          : i % 10 === 8
            ? ['redeem', { token: 'x'.repeat(40) }]
            : ['cancel', { reason: `flood ${i}` }];
      return () => h.api(ATTACKER, `/v1/actions/${id}/${path}`, { body });
    });
    const answers: Awaited<ReturnType<Harness['api']>>[] = [];
    const started = Date.now();
    for (let i = 0; i < attempts.length; i += 50) {
      answers.push(...(await Promise.all(attempts.slice(i, i + 50).map((send) => send()))));
    }
    const seconds = (Date.now() - started) / 1000;

    const byStatus: Record<number, number> = {};
    for (const a of answers) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
    expect(Object.keys(byStatus).sort()).toEqual(['404', '429']);
    for (const a of answers) {
      expect(a.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      if (a.status === 404) expect(visible(a.body)).toEqual(visible(unknown.body));
      else {
        expect(a.body.type).toBe('urn:airlock:problem:rate-limited');
        expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
      }
    }
    // The bucket held WRITES tokens (the unknown-id probe took one), refilling slowly meanwhile.
    expect(byStatus[404]).toBeGreaterThanOrEqual(WRITES - 1);
    expect(byStatus[404]).toBeLessThan(WRITES + Math.ceil((seconds * WRITES) / 60) + 1);

    const after = { toApprove: await historyLength(toApprove), toCancel: await historyLength(toCancel) };
    console.log(
      `[refusal-flood] ${n} foreign attempts in ${seconds.toFixed(1)} s: ${JSON.stringify(byStatus)}; history events before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`,
    );
    expect(after).toEqual(before);
    for (const id of [toApprove, toCancel]) {
      const state = (await h.api('audit@example.com', `/v1/actions/${id}`)).body;
      expect(state.status).toBe('pending_approval');
      expect(state.refusedAttempts).toEqual([]);
    }

    // The victims' requests still take their real messages: the approver's decision, the owner's cancel.
    const approved = await h.api(APPROVER, `/v1/actions/${toApprove}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    await waitForStatus(h, toApprove, ['succeeded']);
    expect(callsWith(target, 'flood-approve').effects).toBe(1);

    const cancelled = await h.api(OWNER, `/v1/actions/${toCancel}/cancel`, {
      body: { reason: 'not needed' },
    });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(callsWith(target, 'flood-cancel').calls).toHaveLength(0);

    // An admin may still cancel anyone's request.
    const third = await submit('flood-admin');
    expect((await h.api('admin@example.com', `/v1/actions/${third}/cancel`, { body: {} })).status).toBe(200);
    await expectChainIntact(h);
  }, 600_000);
});
