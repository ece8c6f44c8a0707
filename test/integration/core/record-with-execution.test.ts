// The executor's activity writes the workflow's buffered audit events before it runs anything
// (patch record-with-execution-v1). The real workflow on the real dev server, with the activities
// replaced by recording fakes, so the test can make the audit store fail inside that activity:
// the events must still be written before the action runs, exactly once, and in order.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RecordBatch } from '../../../activities/audit.js';
import type { ExecuteInput } from '../../../activities/execute.js';
import { AUDIT_UNAVAILABLE } from '../../../activities/failure-types.js';
import type { PolicyDecision } from '../../../policy/types.js';
import type { ActionRequestInput, ActionState } from '../../../workflows/types.js';

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

function fakeActivities(steps: Step[], opts: { auditDownInExecutor: boolean }) {
  return {
    async assessRequest() {
      return { enrichment: {}, policy: ALLOW };
    },
    async recordEvents(batch: RecordBatch) {
      steps.push({ kind: 'recordEvents', types: batch.events.map((e) => e.type) });
    },
    async executeAction(input: ExecuteInput) {
      const recorded = input.record ? input.record.events.map((e) => e.type) : null;
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

const input = (): ActionRequestInput => ({
  requestId: randomUUID(),
  requester: 'ci@example.com',
  request: { action: 'http.request', resource: 'svc', environment: 'dev', parameters: { a: 1 } },
  parametersHash: 'h',
  bodyHash: 'b',
  submittedAt: new Date().toISOString(),
  execution: { executor: 'http.request' },
  links: { api: 'http://localhost' },
});

let connection: NativeConnection;
let clientConnection: Connection;
let client: Client;

beforeAll(async () => {
  connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  clientConnection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection: clientConnection });
});

afterAll(async () => {
  await clientConnection?.close();
  await connection?.close();
});

async function runOne(opts: {
  auditDownInExecutor: boolean;
}): Promise<{ steps: Step[]; state: ActionState }> {
  const steps: Step[] = [];
  const taskQueue = `record-with-execution-${randomUUID()}`;
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: fakeActivities(steps, opts),
  });
  const state = await worker.runUntil(
    client.workflow.execute('actionRequest', {
      taskQueue,
      workflowId: `action-${randomUUID()}`,
      args: [input()],
    }) as Promise<ActionState>,
  );
  return { steps, state };
}

describe('audit events written by the executor activity (record-with-execution-v1)', () => {
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
