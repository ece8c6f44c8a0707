// An event the audit store can never accept (a data exception, AuditRejected) fails the request
// closed: it ends `failed` with a trail entry naming only the SQLSTATE, the decision call that
// hit it gets an answer, and nothing runs. The real workflow on the real dev server, with fake
// activities whose store refuses one batch.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import type { RecordBatch } from '../../../activities/audit.js';
import { AUDIT_REJECTED } from '../../../workflows/failure-types.js';
import { decideUpdate } from '../../../workflows/messages.js';
import type { ActionState } from '../../../workflows/types.js';
import {
  needsDana,
  requestInput,
  signedDecision,
  testProver,
  useTemporal,
  verifyWith,
} from './workflow-support.js';

const NEEDS_DANA = needsDana([]);

const temporal = useTemporal();

describe('an audit write the store can never accept', () => {
  it('ends the request failed with the SQLSTATE only, answers the decision, and runs nothing', async () => {
    const written: RecordBatch[] = [];
    let executed = 0;
    const taskQueue = `audit-rejected-${randomUUID()}`;
    const worker = await Worker.create({
      connection: temporal.worker(),
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      activities: {
        verifyMessage: verifyWith(testProver),
        async assessRequest() {
          return { enrichment: { degraded: [] }, policy: NEEDS_DANA };
        },
        async postCards() {
          return { cards: [], errors: [], failed: [] };
        },
        async recordEvents(batch: RecordBatch) {
          if (batch.events.some((e) => e.type === 'decision.recorded')) {
            throw ApplicationFailure.create({
              type: AUDIT_REJECTED,
              message: 'the audit store can never accept these events (SQLSTATE 22021)',
              nonRetryable: true,
              details: [{ sqlstate: '22021' }],
            });
          }
          written.push(batch);
        },
        async executeAction() {
          executed++;
          return { ok: true };
        },
      },
    });
    const input = requestInput();
    const { state, answer } = await worker.runUntil(async () => {
      const handle = await temporal.client().workflow.start('actionRequest', {
        taskQueue,
        workflowId: `action-${input.requestId}`,
        args: [input],
      });
      const answer = await handle
        .executeUpdate(decideUpdate, {
          args: [
            signedDecision(handle.workflowId, {
              decision: 'approve',
              approver: { id: 'dana@example.com', channel: 'api' },
            }),
          ],
        })
        .then(
          () => 'accepted',
          (err: { cause?: { type?: string } }) => err.cause?.type ?? 'failed',
        );
      return { state: (await handle.result()) as ActionState, answer };
    });
    expect(answer).not.toBe('accepted');
    expect(state.status).toBe('failed');
    expect(state.outcomeReason).toBe("audit store refused the request's events (SQLSTATE 22021)");
    expect(executed).toBe(0);
    const last = written.at(-1)!;
    expect(last.events.map((e) => [e.type, e.data])).toEqual([
      ['request.failed', { reason: state.outcomeReason, sqlstate: '22021' }],
    ]);
    expect(last.index.status).toBe('failed');
  });
});
