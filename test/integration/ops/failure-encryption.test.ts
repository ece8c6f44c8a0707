// Failure messages are encrypted in Temporal history. An executor failure's message can
// name target details; the failure converter moves message and stack trace into encoded attributes,
// which the payload codec seals like every other payload. The failure here is real: an API process
// binds the action to a target its worker process does not know, so the executor activity fails
// with "target <name> is not configured" (non-retryable: one ActivityTaskFailed event at once).
// The raw history, read without the key, holds the name nowhere; the API still reports it.
import { randomBytes } from 'node:crypto';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isEncrypted } from '../../../temporal/codec.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { codecFor, temporalClient } from '../audit-evidence/support.js';
import { CORE_POLICY, httpRequest, PRINCIPALS } from '../core/fixtures.js';

const marker = `ghost-target-${randomBytes(6).toString('hex')}`;
let api: Harness;
let worker: Harness;

beforeAll(async () => {
  api = await startHarness({
    policy: CORE_POLICY,
    config: `targets:
  ${marker}: { type: http, environment: dev, resources: ["admin-api:*"], baseUrl: "http://127.0.0.1:9" }
actions:
  - { match: "http.*", executor: http.request, target: ${marker} }
`,
    principals: PRINCIPALS,
    env: { AIRLOCK_ROLE: 'api' },
  });
  worker = await startHarness({
    policy: CORE_POLICY,
    config: `targets:
  other: { type: http, environment: dev, resources: ["admin-api:*"], baseUrl: "http://127.0.0.1:9" }
actions:
  - { match: "http.*", executor: http.request, target: other }
`,
    principals: PRINCIPALS,
    env: {
      AIRLOCK_ROLE: 'worker',
      TEMPORAL_TASK_QUEUE: api.env.TEMPORAL_TASK_QUEUE!,
      DATABASE_URL: api.env.DATABASE_URL!,
      AIRLOCK_ENCRYPTION_KEY: api.env.AIRLOCK_ENCRYPTION_KEY!,
    },
  });
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await api?.stop();
});

describe('failure messages in Temporal history', () => {
  it('are ciphertext in the raw history while the API reports them', async () => {
    const res = await api.api('ci@example.com', '/v1/actions', {
      body: httpRequest({ environment: 'dev', parameters: { method: 'POST', path: '/x', body: {} } }),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const id = res.body.id as string;
    const state = await eventually(
      async () => {
        const s = (await api.api('audit@example.com', `/v1/actions/${id}`)).body;
        return s.status === 'failed' && s.endedAt ? s : undefined;
      },
      30_000,
      'the request to fail',
    );
    // The caller learns why, in plain words.
    expect(state.result.ok).toBe(false);
    expect(state.result.error.message).toBe(`target ${marker} is not configured`);

    const bare = await temporalClient(inject('temporalAddress'));
    try {
      const workflowId = `action-${id}`;
      const history = await bare.client.workflow.getHandle(workflowId).fetchHistory();
      const failed = (history.events ?? []).filter((e) => e.activityTaskFailedEventAttributes);
      expect(failed).toHaveLength(1);
      const failure = failed[0]!.activityTaskFailedEventAttributes!.failure!;
      // What Temporal stores: a placeholder message, no stack, the real ones in an encrypted payload.
      expect(failure.message).toBe('Encoded failure');
      expect(failure.stackTrace ?? '').toBe('');
      expect(failure.applicationFailureInfo?.type).toBe('ExecutorRejected');
      expect(isEncrypted(failure.encodedAttributes!)).toBe(true);

      // Nowhere in the history as Temporal stores it (protobuf) or serves it (the raw RPC answer).
      const bytes = Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish());
      expect(bytes.includes(marker)).toBe(false);
      expect(bytes.includes('is not configured')).toBe(false);
      const rpc = await bare.client.workflowService.getWorkflowExecutionHistory({
        namespace: 'default',
        execution: { workflowId },
      });
      const rpcBytes = Buffer.from(
        proto.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse.encode(rpc).finish(),
      );
      expect(rpcBytes.includes(marker)).toBe(false);
      expect(JSON.stringify(rpc)).not.toContain(marker);

      // Positive control: the key opens it, and the message is the one the API reported.
      const [opened] = await codecFor(api.env).decode([failure.encodedAttributes!]);
      const attrs = JSON.parse(Buffer.from(opened!.data!).toString('utf8'));
      expect(attrs.message).toBe(`target ${marker} is not configured`);
      expect(attrs.stack_trace).toContain(marker);
    } finally {
      await bare.close();
    }
  });
});
