// Fault case: access to the Temporal namespace is not approver access. Whoever can reach Temporal
// (its CLI, the Web UI, the codec server) sends decisions, cancels and starts straight to the
// workflow, in plaintext or encrypted through the codec: each is refused for lack of Airlock's
// proof, recorded (aggregated under the actor `unverified`), and decides or runs nothing.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cancelUpdate, decideSignal, decideUpdate } from '../../workflows/messages.js';
import { REFUSAL_LIMITS } from '../../workflows/rules.js';
import { startHttpTarget } from '../fakes/http-target.js';
import { RecordingChannel } from '../fakes/recording-channel.js';
import { codecFor, proverFor, temporalClient } from '../integration/audit-evidence/support.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../integration/core/fixtures.js';
import { eventually, type Harness, startHarness } from '../support/harness.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
let targetDb: TestDatabase;

beforeAll(async () => {
  target = await startHttpTarget();
  targetDb = await createTestDatabase('airlock_target');
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(target.url, targetDb.url),
    principals: PRINCIPALS,
    channels: [new RecordingChannel()],
  });
});

afterAll(async () => {
  await h?.stop();
  await target?.close();
  await targetDb?.drop();
});

async function submit(body: Record<string, unknown>): Promise<string> {
  const res = await h.api('ci@example.com', '/v1/actions', { body });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id as string;
}

async function stateOf(id: string) {
  const res = await h.api('audit@example.com', `/v1/actions/${id}`);
  expect(res.status).toBe(200);
  return res.body;
}

const waitForStatus = (id: string, statuses: string[]) =>
  eventually(
    async () => {
      const s = await stateOf(id);
      return statuses.includes(s.status) && (s.status === 'pending_approval' || s.endedAt) ? s : undefined;
    },
    20_000,
    statuses.join('|'),
  );

describe('namespace access is not approver access', () => {
  const danaApproves = { decision: 'approve', approver: { id: 'dana@example.com', channel: 'api' } } as const;

  it('refuses decisions sent straight to Temporal without the proof of the API, plaintext or encrypted', async () => {
    const id = await submit(
      httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: 'forged-1' } } }),
    );
    await waitForStatus(id, ['pending_approval']);
    // `temporal workflow signal --input '{...}'`: a plaintext payload.
    const plain = await temporalClient(inject('temporalAddress'));
    // Through the codec server (an SRE may encode), but with no proof, or a proof for another request.
    const encrypted = await temporalClient(inject('temporalAddress'), codecFor(h.env));
    const other = proverFor(h.env).sign('decide', 'another-request', danaApproves);
    try {
      await plain.client.workflow.getHandle(`action-${id}`).signal(decideSignal, danaApproves as never);
      const handle = encrypted.client.workflow.getHandle(`action-${id}`);
      await handle.signal(decideSignal, danaApproves as never);
      await expect(handle.executeUpdate(decideUpdate, { args: [other] })).rejects.toMatchObject({
        cause: { type: 'unverified_message' },
      });
      await expect(
        handle.executeUpdate(cancelUpdate, { args: [{ by: 'ci@example.com', isAdmin: true } as never] }),
      ).rejects.toMatchObject({ cause: { type: 'unverified_message' } });
    } finally {
      await plain.close();
      await encrypted.close();
    }
    const s = await eventually(
      async () => {
        const st = await stateOf(id);
        return st.refusedAttempts[1]?.count === 1 ? st : undefined;
      },
      10_000,
      'the refusals',
    );
    expect(s.status).toBe('pending_approval');
    expect(s.decisions).toEqual([]);
    // Counted under one actor (a claimed name proves nothing), repeats aggregated per kind.
    const forged = { code: 'unverified_message', actor: 'unverified', channel: 'temporal' };
    expect(s.refusedAttempts).toEqual([
      expect.objectContaining({ ...forged, what: 'decide', count: 3 }),
      expect.objectContaining({ ...forged, what: 'cancel', count: 1 }),
    ]);
    // In the trail: the first of each kind, then at counts 2, 4, 8 ...
    const trail = await h.api('audit@example.com', `/v1/actions/${id}/audit`);
    const refused = trail.body.events.filter((e: { type: string }) => e.type === 'attempt.refused');
    expect(
      refused.map((e: { data: { what: string; count: number } }) => [e.data.what, e.data.count]),
    ).toEqual([
      ['decide', 1],
      ['decide', 2],
      ['cancel', 1],
    ]);
    // The real approver still decides through the API.
    const ok = await h.api('dana@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(ok.status).toBe(200);
    await waitForStatus(id, ['succeeded']);
  });

  it('fails a request workflow started by hand, before anything runs or is recorded', async () => {
    const requestId = randomUUID();
    const input = {
      requestId,
      requester: 'mallory@example.com',
      request: httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: 'forged-start' } } }),
      parametersHash: 'x',
      bodyHash: 'x',
      submittedAt: new Date().toISOString(),
      execution: { executor: 'http.request', target: 'admin-api', mode: 'once' },
      links: { api: h.url },
    };
    const calls = target.calls.length;
    // Reads the outcome with the key, as an SRE would.
    const reader = await temporalClient(inject('temporalAddress'), codecFor(h.env));
    for (const codec of [undefined, codecFor(h.env)]) {
      const id = randomUUID();
      const { client, close } = await temporalClient(inject('temporalAddress'), codec);
      try {
        await client.workflow.start('actionRequest', {
          taskQueue: h.env.TEMPORAL_TASK_QUEUE!,
          workflowId: `action-${id}`,
          args: [{ ...input, requestId: id }],
        });
        await expect(reader.client.workflow.getHandle(`action-${id}`).result()).rejects.toMatchObject({
          cause: { type: 'UnverifiedRequest' },
        });
      } finally {
        await close();
      }
      expect((await h.api('audit@example.com', `/v1/actions/${id}/audit`)).body.events ?? []).toEqual([]);
    }
    await reader.close();
    expect(target.calls.length).toBe(calls);
  });
});

describe('an approver refused again and again', () => {
  it('is turned away before the history after REFUSAL_LIMITS.perActor refusals; the others still decide', async () => {
    const id = await submit(
      httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: 'flood-1' } } }),
    );
    await waitForStatus(id, ['pending_approval']);
    const decide = () =>
      h.api('outsider@example.com', `/v1/actions/${id}/decisions`, { body: { decision: 'approve' } });
    for (let i = 0; i < REFUSAL_LIMITS.perActor; i++) expect((await decide()).status).toBe(403);
    const { client, close } = await temporalClient(inject('temporalAddress'), codecFor(h.env));
    try {
      const handle = client.workflow.getHandle(`action-${id}`);
      const before = (await handle.fetchHistory()).events?.length;
      for (let i = 0; i < 5; i++) {
        const turnedAway = await decide();
        expect(turnedAway.status).toBe(429);
        expect(turnedAway.body.code ?? turnedAway.body.type).toMatch(/too.many.refusals/);
      }
      expect((await handle.fetchHistory()).events?.length).toBe(before);
    } finally {
      await close();
    }
    const s = await stateOf(id);
    expect(s.refusedAttempts).toEqual([
      expect.objectContaining({
        actor: 'outsider@example.com',
        code: 'not_an_approver',
        count: REFUSAL_LIMITS.perActor,
      }),
    ]);
    const ok = await h.api('dana@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(ok.status).toBe(200);
  });
});
