// The executor's activity writes the workflow's buffered audit events before it runs anything,
// so approval and execution cost one write instead of two. The real workflow on the real dev server, with the activities
// replaced by recording fakes, so the test can make the audit store fail inside that activity:
// the events must still be written before the action runs, exactly once, and in order.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import type { RecordBatch } from '../../../activities/audit.js';
import type { ExecuteInput } from '../../../activities/execute.js';
import type { PolicyDecision } from '../../../policy/types.js';
import { AUDIT_UNAVAILABLE } from '../../../workflows/failure-types.js';
import { decideUpdate } from '../../../workflows/messages.js';
import type { ActionState } from '../../../workflows/types.js';
import { requestInput, signedDecision, testProver, useTemporal, verifyWith } from './workflow-support.js';

const ALLOW: PolicyDecision = {
  effect: 'allow',
  risk: 'low',
  rule: 'auto',
  policyVersion: 'test',
  stages: [],
  denyReasonRequired: false,
};

/** What the fake activities saw, in the order they saw it. */
type Step = { kind: 'recordEvents'; types: string[] } | { kind: 'execute'; recorded: string[] | null };

const NEEDS_DANA: PolicyDecision = {
  ...ALLOW,
  effect: 'require_approval',
  rule: 'dba',
  stages: [
    {
      approvers: ['dba'],
      approverIdentities: ['dana@example.com'],
      minApprovals: 1,
      timeoutMs: 60_000,
      notify: [],
    },
  ],
};

interface FakeOptions {
  auditDownInExecutor?: boolean;
  /** The executor's activity fails with this type before it wrote anything (e.g. it timed out). */
  executorFailsAs?: string;
  policy?: PolicyDecision;
  /** How long enrichment and policy take (the workflow is `evaluating` meanwhile). */
  assessMs?: number;
}

function fakeActivities(steps: Step[], opts: FakeOptions) {
  return {
    verifyMessage: verifyWith(testProver),
    async assessRequest() {
      if (opts.assessMs) await new Promise((r) => setTimeout(r, opts.assessMs));
      return { enrichment: { degraded: [] }, policy: opts.policy ?? ALLOW };
    },
    async postCards() {
      return { cards: [], errors: [], failed: [] };
    },
    async recordEvents(batch: RecordBatch) {
      steps.push({ kind: 'recordEvents', types: batch.events.map((e) => e.type) });
    },
    async executeAction(input: ExecuteInput) {
      const recorded = input.record ? input.record.events.map((e) => e.type) : null;
      if (opts.executorFailsAs) {
        throw ApplicationFailure.create({ type: opts.executorFailsAs, message: 'gone', nonRetryable: true });
      }
      if (input.record && opts.auditDownInExecutor) {
        // As activities/execute.ts reports a store that stays down: nothing ran.
        throw ApplicationFailure.create({
          type: AUDIT_UNAVAILABLE,
          message: 'store down',
          nonRetryable: true,
        });
      }
      steps.push({ kind: 'execute', recorded });
      return { ok: true, output: { status: 200 } };
    },
  };
}

const temporal = useTemporal();

async function runOne(
  opts: FakeOptions,
  meanwhile?: (handle: WorkflowHandle) => Promise<void>,
): Promise<{ steps: Step[]; state: ActionState }> {
  const steps: Step[] = [];
  const taskQueue = `record-with-execution-${randomUUID()}`;
  const worker = await Worker.create({
    connection: temporal.worker(),
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: fakeActivities(steps, opts),
  });
  const input = requestInput();
  const state = await worker.runUntil(async () => {
    const handle = await temporal.client().workflow.start('actionRequest', {
      taskQueue,
      workflowId: `action-${input.requestId}`,
      args: [input],
      // A local activity longer than 80% of this ends the workflow task early (a heartbeat), so
      // an update can reach the workflow while enrichment still runs, as after a worker crash.
      workflowTaskTimeout: '2s',
    });
    await meanwhile?.(handle);
    return (await handle.result()) as ActionState;
  });
  return { steps, state };
}

describe('audit events written by the executor activity', () => {
  it('hands the events before execution to the executor, which writes them first', async () => {
    const { steps, state } = await runOne({ auditDownInExecutor: false });
    expect(state.status).toBe('succeeded');
    expect(steps).toEqual([
      {
        kind: 'execute',
        recorded: ['request.submitted', 'policy.evaluated', 'request.approved', 'execution.started'],
      },
      { kind: 'recordEvents', types: ['request.succeeded'] },
    ]);
  });

  it('writes them itself, then executes, when the executor could not write them', async () => {
    const { steps, state } = await runOne({ auditDownInExecutor: true });
    expect(state.status).toBe('succeeded');
    expect(steps).toEqual([
      {
        kind: 'recordEvents',
        types: ['request.submitted', 'policy.evaluated', 'request.approved', 'execution.started'],
      },
      { kind: 'execute', recorded: null },
      { kind: 'recordEvents', types: ['request.succeeded'] },
    ]);
  });
});

describe('events handed to an executor that failed', () => {
  it('go out again with the next write, before the outcome', async () => {
    const { steps, state } = await runOne({ executorFailsAs: 'ExecutorRejected' });
    expect(state.status).toBe('failed');
    expect(steps).toEqual([
      {
        kind: 'recordEvents',
        types: [
          'request.submitted',
          'policy.evaluated',
          'request.approved',
          'execution.started',
          'request.failed',
        ],
      },
    ]);
  });
});

describe('a decision that arrives while the request is evaluated', () => {
  it('waits for the policy answer, then counts, instead of being refused as not pending', async () => {
    let answer: unknown;
    const { state } = await runOne({ policy: NEEDS_DANA, assessMs: 3_000 }, async (handle) => {
      answer = await handle.executeUpdate(decideUpdate, {
        args: [
          signedDecision(handle.workflowId, {
            decision: 'approve',
            approver: { id: 'dana@example.com', channel: 'api' },
          }),
        ],
      });
    });
    expect(answer).toMatchObject({ status: 'approved' });
    expect(state.status).toBe('succeeded');
    expect(state.refusals).toEqual([]);
    expect(state.decidedBy).toBe('dana@example.com');
  });
});
