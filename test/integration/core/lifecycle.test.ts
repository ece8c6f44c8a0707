// The request lifecycle over real HTTP, a real Temporal dev server and real PostgreSQL:
// auto-allow, policy deny, approve, deny, self-approval, non-members, the two-person rule,
// cancel, idempotent submit and the ?wait= long poll; and what the Temporal console shows of a
// waiting request (stack trace within the worker's frame cap, eager activities on the dev server).
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WORKFLOW_STACK_FRAMES } from '../../../temporal/worker.js';
import { decideSignal } from '../../../workflows/messages.js';
import { startHttpTarget } from '../../fakes/http-target.js';
import { RecordingChannel } from '../../fakes/recording-channel.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { codecFor, proverFor, temporalClient } from '../audit-evidence/support.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from './fixtures.js';

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
let targetDb: TestDatabase;
const chat = new RecordingChannel();

beforeAll(async () => {
  target = await startHttpTarget();
  targetDb = await createTestDatabase('airlock_target');
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(target.url, targetDb.url),
    principals: PRINCIPALS,
    channels: [chat],
  });
});

afterAll(async () => {
  await h?.stop();
  await target?.close();
  await targetDb?.drop();
});

async function submit(body: Record<string, unknown>, as = 'ci@example.com', query = '') {
  const res = await h.api(as, `/v1/actions${query}`, { body });
  expect([200, 202], JSON.stringify(res.body)).toContain(res.status);
  return res.body.id as string;
}

async function stateOf(id: string, as = 'audit@example.com') {
  const res = await h.api(as, `/v1/actions/${id}`);
  expect(res.status).toBe(200);
  return res.body;
}

async function waitForStatus(id: string, statuses: string[]) {
  return eventually(
    async () => {
      const s = await stateOf(id);
      // A final status counts once the workflow has written its closing audit event (endedAt).
      const final = ['succeeded', 'failed', 'denied', 'expired', 'cancelled', 'revoked'].includes(s.status);
      return statuses.includes(s.status) && (!final || s.endedAt) ? s : undefined;
    },
    20_000,
    `status ${statuses.join('|')} of ${id}`,
  );
}

async function auditTypes(id: string): Promise<string[]> {
  const res = await h.api('audit@example.com', `/v1/actions/${id}/audit`);
  expect(res.status).toBe(200);
  expect(res.body.verification.ok).toBe(true);
  return res.body.events.map((e: { type: string }) => e.type);
}

const sideEffectsFor = (marker: string) =>
  target.calls.filter((c) => JSON.stringify(c.body ?? '').includes(marker)).length;

describe('request lifecycle', () => {
  it('runs an auto-allowed action at once, decided by policy, and audits it', async () => {
    const id = await submit(
      httpRequest({
        environment: 'dev',
        parameters: { method: 'POST', path: '/auto', body: { m: 'auto-1' } },
      }),
      'ci@example.com',
      '?wait=20',
    );
    const s = await waitForStatus(id, ['succeeded']);
    // The last change is the end: nothing in the state is later than updatedAt.
    expect(Date.parse(s.updatedAt)).toBeGreaterThanOrEqual(Date.parse(s.executedAt));
    expect(s.decidedBy).toBe('policy');
    expect(s.policy.rule).toBe('dev-is-free');
    expect(s.result.ok).toBe(true);
    expect(s.result.output.status).toBe(200);
    expect(sideEffectsFor('auto-1')).toBe(1);
    const call = target.calls.find((c) => JSON.stringify(c.body ?? '').includes('auto-1'));
    expect(call?.headers.authorization).toBe('Bearer target-secret-token');
    expect(call?.headers['idempotency-key']).toContain(id);
    const types = await auditTypes(id);
    expect(types).toEqual(
      expect.arrayContaining([
        'request.submitted',
        'policy.evaluated',
        'request.approved',
        'execution.started',
        'request.succeeded',
      ]),
    );
    expect(types.indexOf('request.submitted')).toBe(0);
  });

  it('never runs what the policy denies', async () => {
    const id = await submit({
      action: 'db.schema.migrate',
      resource: 'postgres://analytics',
      environment: 'production',
      parameters: { sql: 'DROP TABLE customers' },
      justification: 'cleanup of old tables',
    });
    const s = await waitForStatus(id, ['denied']);
    expect(s.decidedBy).toBeUndefined();
    expect(s.policy.rule).toBe('never-drop-table');
    expect(s.reason).toMatch(/DROP TABLE/);
    expect(s.result).toBeUndefined();
    const types = await auditTypes(id);
    expect(types).toContain('request.denied');
    expect(types).not.toContain('execution.started');
  });

  it('waits for an approver, then executes exactly the approved parameters', async () => {
    const id = await submit(
      httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: 'approve-1' } } }),
    );
    const pending = await waitForStatus(id, ['pending_approval']);
    expect(pending.stage.approvers).toEqual(['dba']);
    // The first stored pending state already has the stage's deadline (the policy's 10 min).
    expect(Date.parse(pending.stage.deadline) - Date.parse(pending.submittedAt)).toBeGreaterThan(540_000);
    expect(pending.risk).toBe('high');
    const card = await eventually(
      async () => chat.to('dba-chat').find((m) => m.versions[0]?.requestId === id),
      10_000,
      'card',
    );
    expect(card.versions[0]?.actions).toBeDefined();
    expect(card.versions[0]?.parametersHash).toBe(pending.parametersHash);
    expect(sideEffectsFor('approve-1')).toBe(0);

    const decided = await h.api('dana@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'approve', reason: 'looks fine' },
    });
    expect(decided.status).toBe(200);
    expect(decided.body.status).toBe('approved');
    const s = await waitForStatus(id, ['succeeded']);
    expect(s.decidedBy).toBe('dana@example.com');
    expect(s.decisions).toHaveLength(1);
    // Counted from 1, as the pending request's stage.number was.
    expect(pending.stage.number).toBe(1);
    expect(s.decisions[0].stage).toBe(1);
    expect(sideEffectsFor('approve-1')).toBe(1);
    // The card lost its buttons and says how it ended.
    await eventually(
      async () => (chat.latest(card).status === 'succeeded' ? true : undefined),
      10_000,
      'final card',
    );
    expect(chat.latest(card).actions).toBeUndefined();
    const types = await auditTypes(id);
    expect(types).toEqual(
      expect.arrayContaining(['decision.recorded', 'request.approved', 'request.succeeded']),
    );
  });

  it('ends on a deny with its reason and runs nothing; a deny without reason is refused', async () => {
    const id = await submit(
      httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: 'deny-1' } } }),
    );
    await waitForStatus(id, ['pending_approval']);
    const noReason = await h.api('dana@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'deny' },
    });
    expect(noReason.status).toBe(400);
    expect(noReason.body.type).toBe('urn:airlock:problem:reason-required');
    const res = await h.api('dana@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'deny', reason: 'not during the freeze' },
    });
    expect(res.status).toBe(200);
    const s = await waitForStatus(id, ['denied']);
    expect(s.reason).toBe('not during the freeze');
    expect(s.decidedBy).toBe('dana@example.com');
    expect(sideEffectsFor('deny-1')).toBe(0);
    const late = await h.api('dev@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(late.status).toBe(409);
  });

  it('refuses self-approval by the requester and by the human an agent acts for, and records both', async () => {
    const own = await submit(
      httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: 'self-1' } } }),
      'dana@example.com',
    );
    await waitForStatus(own, ['pending_approval']);
    const self = await h.api('dana@example.com', `/v1/actions/${own}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(self.status).toBe(403);
    expect(self.body.type).toBe('urn:airlock:problem:self-approval');

    const viaAgent = await submit(
      httpRequest({
        parameters: { method: 'POST', path: '/config', body: { m: 'self-2' } },
        agent: { name: 'deploy-bot', model: 'gpt-x', onBehalfOf: 'dev@example.com' },
      }),
      'agent-runner@example.com',
    );
    await waitForStatus(viaAgent, ['pending_approval']);
    const behalf = await h.api('dev@example.com', `/v1/actions/${viaAgent}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(behalf.status).toBe(403);
    expect(behalf.body.type).toBe('urn:airlock:problem:self-approval');

    for (const id of [own, viaAgent]) {
      const s = await stateOf(id);
      expect(s.status).toBe('pending_approval');
      expect(s.refusedAttempts).toHaveLength(1);
      expect(s.refusedAttempts[0].code).toBe('self_approval');
      expect(await auditTypes(id)).toContain('attempt.refused');
    }
    expect(sideEffectsFor('self-1') + sideEffectsFor('self-2')).toBe(0);
  });

  it('refuses an approver who is not in the stage', async () => {
    const id = await submit(
      httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: 'outsider-1' } } }),
    );
    await waitForStatus(id, ['pending_approval']);
    const res = await h.api('outsider@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(res.status).toBe(403);
    expect(res.body.type).toBe('urn:airlock:problem:not-an-approver');
    const s = await stateOf(id);
    expect(s.status).toBe('pending_approval');
    expect(s.refusedAttempts.map((r: { actor: string }) => r.actor)).toEqual(['outsider@example.com']);
    const notApproverRole = await h.api('ci@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(notApproverRole.status).toBe(403);
  });

  it('needs two distinct approvers under the two-person rule; the same person twice counts once', async () => {
    const id = await submit(
      httpRequest({
        action: 'http.twoperson',
        parameters: { method: 'POST', path: '/x', body: { m: 'two-1' } },
      }),
    );
    await waitForStatus(id, ['pending_approval']);
    const first = await h.api('p1@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(first.body).toMatchObject({ status: 'pending_approval', approvals: 1, needed: 2 });
    const again = await h.api('p1@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(again.status).toBe(409);
    expect(again.body.type).toBe('urn:airlock:problem:already-decided');
    expect((await stateOf(id)).status).toBe('pending_approval');
    const second = await h.api('p2@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(second.body).toMatchObject({ status: 'approved', approvals: 2, needed: 2 });
    await waitForStatus(id, ['succeeded']);
    expect(sideEffectsFor('two-1')).toBe(1);
  });

  it('lets the requester cancel while pending, and nobody else', async () => {
    const id = await submit(
      httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: 'cancel-1' } } }),
    );
    await waitForStatus(id, ['pending_approval']);
    // Another requester learns nothing: the same 404 as an unknown id. An approver (who may see
    // every request) is refused with a 403. Neither reaches the workflow: nothing is recorded on it.
    const stranger = await h.api('agent-runner@example.com', `/v1/actions/${id}/cancel`, { body: {} });
    const unknown = await h.api('agent-runner@example.com', `/v1/actions/${randomUUID()}/cancel`, {
      body: {},
    });
    expect(stranger.status).toBe(404);
    expect({ ...stranger.body, instance: undefined }).toEqual({ ...unknown.body, instance: undefined });
    const approver = await h.api('dana@example.com', `/v1/actions/${id}/cancel`, { body: {} });
    expect(approver.status).toBe(403);
    for (const what of ['complete', 'redeem']) {
      const body = what === 'redeem' ? { token: 'x'.repeat(40) } : {};
      expect((await h.api('agent-runner@example.com', `/v1/actions/${id}/${what}`, { body })).status).toBe(
        404,
      );
    }
    expect((await h.api('audit@example.com', `/v1/actions/${id}`)).body.refusedAttempts).toEqual([]);
    const res = await h.api('ci@example.com', `/v1/actions/${id}/cancel`, {
      body: { reason: 'wrong ticket' },
    });
    expect(res.status).toBe(200);
    const s = await waitForStatus(id, ['cancelled']);
    expect(s.endedAt).toBeDefined();
    const approve = await h.api('dana@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(approve.status).toBe(409);
    expect(sideEffectsFor('cancel-1')).toBe(0);
    expect(await auditTypes(id)).toContain('request.cancelled');
  });

  it('treats the same idempotency key and body as the same request, and another body as a conflict', async () => {
    const body = httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: 'idem-1' } } });
    const key = `key-${Date.now()}`;
    const a = await h.api('ci@example.com', '/v1/actions', { body, headers: { 'idempotency-key': key } });
    const b = await h.api('ci@example.com', '/v1/actions', { body, headers: { 'idempotency-key': key } });
    expect(a.status).toBe(202);
    expect(b.status).toBe(200);
    expect(b.body.id).toBe(a.body.id);
    const c = await h.api('ci@example.com', '/v1/actions', {
      body: { ...body, justification: 'a different reason this time' },
      headers: { 'idempotency-key': key },
    });
    expect(c.status).toBe(409);
    expect(c.body.type).toBe('urn:airlock:problem:idempotency-conflict');
    // Another caller's identical key is another request.
    const d = await h.api('agent-runner@example.com', '/v1/actions', {
      body,
      headers: { 'idempotency-key': key },
    });
    expect(d.status).toBe(202);
    expect(d.body.id).not.toBe(a.body.id);
  });

  it('holds ?wait= until the request settles, or answers when the time is up', async () => {
    const started = Date.now();
    const pending = await h.api('ci@example.com', '/v1/actions?wait=2', {
      body: httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: 'wait-1' } } }),
    });
    expect(pending.status).toBe(202);
    expect(pending.body.status).toBe('pending_approval');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    const done = await h.api('ci@example.com', '/v1/actions?wait=30', {
      body: httpRequest({
        environment: 'dev',
        parameters: { method: 'POST', path: '/config', body: { m: 'wait-2' } },
      }),
    });
    // Settled within the wait: answered as done (200), not "accepted" (202).
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('succeeded');
    // The last change is the end: nothing in the state is later than updatedAt.
    expect(Date.parse(done.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(done.body.executedAt));
  });

  it('shows a requester only its own requests', async () => {
    const id = await submit(
      httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: 'own-1' } } }),
    );
    const other = await h.api('agent-runner@example.com', `/v1/actions/${id}`);
    expect(other.status).toBe(404);
    const mine = await h.api('ci@example.com', `/v1/actions/${id}`);
    expect(mine.status).toBe(200);
    const list = await eventually(
      async () => {
        const res = await h.api('ci@example.com', '/v1/actions?limit=100');
        return res.body.items?.some((i: { id: string }) => i.id === id) ? res.body : undefined;
      },
      15_000,
      'the request in the list',
    );
    expect(list.items.every((i: { requester: string }) => i.requester === 'ci@example.com')).toBe(true);
  });

  it('lists page by page with signed cursors, newest first, each request once', async () => {
    const seen: string[] = [];
    const startedAt: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await h.api(
        'audit@example.com',
        `/v1/actions?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      for (const item of page.body.items as { id: string; startedAt: string }[]) {
        seen.push(item.id);
        startedAt.push(item.startedAt);
      }
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.length).toBeGreaterThan(4); // the tests above submitted more than that
    expect(new Set(seen).size).toBe(seen.length);
    expect([...startedAt].sort().reverse()).toEqual(startedAt);
    const pending = await h.api('audit@example.com', '/v1/actions?status=pending_approval&limit=200');
    expect(pending.body.items.every((i: { status: string }) => i.status === 'pending_approval')).toBe(true);
  });

  it('reloads an edited policy and records the new version on the next evaluation', async () => {
    const before = (await h.api('audit@example.com', '/v1/policy')).body.version as string;
    const dry = await h.api('ci@example.com', '/v1/policy/evaluate', {
      body: { action: 'http.other', resource: 'admin-api:/x', environment: 'sandbox', parameters: {} },
    });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({
      effect: 'require_approval',
      rule: 'default',
      policyVersion: before,
      executor: 'http.request',
    });
    writeFileSync(
      join(h.dir, 'policy.yaml'),
      CORE_POLICY.replace(/default:[\s\S]*$/, 'default: { effect: deny, reason: sandbox is closed }\n'),
    );
    const after = await eventually(
      async () => {
        const v = (await h.api('audit@example.com', '/v1/policy')).body.version as string;
        return v !== before ? v : undefined;
      },
      10_000,
      'policy reload',
    );
    const id = await submit(
      httpRequest({
        environment: 'sandbox',
        parameters: { method: 'POST', path: '/x', body: { m: 'reload-1' } },
      }),
    );
    const s = await waitForStatus(id, ['denied']);
    expect(s.policy.version).toBe(after);
    expect(s.reason).toBe('sandbox is closed');
    writeFileSync(join(h.dir, 'policy.yaml'), CORE_POLICY);
    await eventually(
      async () =>
        (await h.api('audit@example.com', '/v1/policy')).body.version === before ? true : undefined,
      10_000,
      'policy restored',
    );
  });

  it('serves an OpenAPI 3.1 document generated from the validating schemas, and rendered docs', async () => {
    const doc = await h.api(undefined, '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/v1/actions', '/v1/actions/{id}/decisions', '/v1/policy/evaluate']),
    );
    const req = doc.body.components.schemas.ActionRequest;
    expect(req.required).toEqual(expect.arrayContaining(['action', 'resource', 'environment', 'parameters']));
    expect(req.additionalProperties).toBe(false);
    const html = await fetch(`${h.url}/docs`);
    expect(html.status).toBe(200);
    expect(await html.text()).toContain('swagger-ui-bundle.js');
    const asset = await fetch(`${h.url}/docs/assets/swagger-ui-bundle.js`);
    expect(asset.status).toBe(200);
  });

  it('accepts the same decision as a Temporal signal (the approval signal), with the same rules', async () => {
    const id = await submit(
      httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: 'signal-1' } } }),
    );
    await waitForStatus(id, ['pending_approval']);
    // As the API sends it: encrypted by the codec and proved with a key from the master key.
    const { client, close } = await temporalClient(inject('temporalAddress'), codecFor(h.env));
    const prover = proverFor(h.env);
    try {
      const handle = client.workflow.getHandle(`action-${id}`);
      await handle.signal(
        decideSignal,
        prover.sign('decide', id, {
          decision: 'approve',
          approver: { id: 'ci@example.com', channel: 'slack' },
        }),
      );
      await eventually(
        async () => ((await stateOf(id)).refusedAttempts.length === 1 ? true : undefined),
        10_000,
        'refusal',
      );
      expect((await stateOf(id)).status).toBe('pending_approval');
      await handle.signal(
        decideSignal,
        prover.sign('decide', id, {
          decision: 'approve',
          approver: { id: 'dana@example.com', channel: 'slack', channelUserId: 'U0DANA' },
        }),
      );
    } finally {
      await close();
    }
    const s = await waitForStatus(id, ['succeeded']);
    expect(s.decisions[0].approver).toEqual({
      id: 'dana@example.com',
      channel: 'slack',
      channelUserId: 'U0DANA',
    });
    expect(s.refusedAttempts[0].code).toBe('self_approval');
  });
});

describe('the Temporal console', () => {
  it("names a waiting request's step in its stack trace, within the worker's frame cap", async () => {
    const id = await submit(
      httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: 'stack' } } }),
    );
    await waitForStatus(id, ['pending_approval']);
    const t = await temporalClient(inject('temporalAddress'), codecFor(h.env));
    try {
      // Once the cards are out the request waits in the stage loop (while a card or audit write is
      // in flight, that call's frames come first), so ask until it gets there.
      const handle = t.client.workflow.getHandle(`action-${id}`);
      const trace = await eventually(
        async () => {
          const now = await handle.query<string>('__stack_trace');
          return now.includes('askApprovers') ? now : undefined;
        },
        10_000,
        'the stage loop in the stack trace',
      );
      const stacks = trace.split('\n\n').filter((s) => s.trim() !== '');
      expect(stacks.length).toBeGreaterThan(0);
      // The waiting loop of the approval stage is named: the cap keeps the frames that matter.
      expect(trace).toContain('askApprovers');
      for (const stack of stacks) {
        const frames = stack.split('\n').filter((l) => l.trim().startsWith('at '));
        expect(frames.length).toBeLessThanOrEqual(WORKFLOW_STACK_FRAMES);
      }
    } finally {
      await t.close();
    }
  });

  it('runs on a dev server that hands activities to the worker eagerly', () => {
    // The tests' own server is started like npm start's (temporal/dev-server.ts).
    expect(inject('temporalPid')).toBeGreaterThan(0);
    const cmdline = readFileSync(`/proc/${inject('temporalPid')}/cmdline`, 'utf8').split('\0');
    const at = cmdline.indexOf('--dynamic-config-value');
    expect(at).toBeGreaterThan(0);
    expect(cmdline[at + 1]).toBe('system.enableActivityEagerExecution=true');
  });
});
