// executeAction writes the audit events it is handed before the executor runs, and runs nothing
// when it cannot write them (the workflow side is
// test/integration/core/record-with-execution.test.ts).
import { ApplicationFailure } from '@temporalio/common';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { RecordBatch } from '../../../activities/audit.js';
import type { ActivityDeps } from '../../../activities/deps.js';
import { createExecuteActivities, type ExecuteInput } from '../../../activities/execute.js';
import type { AuditEventInput, RequestIndexRow } from '../../../audit/types.js';
import { ExecutorRegistry } from '../../../executors/registry.js';
import { AUDIT_UNAVAILABLE } from '../../../workflows/failure-types.js';
import { quietActivityEnvironment } from '../../support/activity-env.js';

const batch: RecordBatch = {
  events: [
    {
      requestId: 'r1',
      eventKey: 'wf:1',
      type: 'execution.started',
      actor: 'system',
      at: '2026-11-22T00:00:00.000Z',
      data: { executor: 'noop', gone: undefined },
    },
  ],
  index: { requestId: 'r1', status: 'executing' } as RequestIndexRow,
};

function setUp(storeDown: boolean, executorName = 'noop') {
  const log: string[] = [];
  const audit = {
    async appendMany(events: AuditEventInput[], opts: { keepStored?: boolean; index?: RequestIndexRow }) {
      if (storeDown) throw new Error('connect ECONNREFUSED');
      log.push(`append ${events.map((e) => e.eventKey).join(',')} keepStored=${opts.keepStored}`);
      // The index row is written in the same transaction as the events.
      if (opts.index) log.push(`index ${opts.index.status}`);
      expect(events[0]?.data).toEqual({ executor: 'noop' });
      return events;
    },
  };
  const executors = new ExecutorRegistry().register({
    name: 'noop',
    async execute() {
      log.push('execute');
      return { ok: true };
    },
  });
  const deps = { audit, executors, config: { targets: {} }, logger: pino({ level: 'silent' }) };
  const { executeAction } = createExecuteActivities(deps as unknown as ActivityDeps);
  const input: ExecuteInput = {
    requestId: 'r1',
    action: 'noop',
    parameters: {},
    parametersHash: 'h',
    requester: 'ci@example.com',
    binding: { executor: executorName, mode: 'once' },
    record: batch,
  };
  return { log, run: () => quietActivityEnvironment().run(executeAction, input) };
}

describe('executeAction with the workflow events to record', () => {
  it('writes the events and the index row, then executes', async () => {
    const { log, run } = setUp(false);
    await expect(run()).resolves.toEqual({ ok: true });
    expect(log).toEqual(['append wf:1 keepStored=true', 'index executing', 'execute']);
  });

  it('executes nothing and fails retryably as AuditUnavailable when the store is down', async () => {
    const { log, run } = setUp(true);
    const failure = await run().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: AUDIT_UNAVAILABLE, nonRetryable: false });
    expect(log).toEqual([]);
  });

  it('writes the events even when the executor has gone from the config, then refuses', async () => {
    const { log, run } = setUp(false, 'gone');
    const failure = await run().catch((err: unknown) => err);
    expect(failure).toMatchObject({ type: 'ExecutorRejected', nonRetryable: true });
    expect(log).toEqual(['append wf:1 keepStored=true', 'index executing']);
  });
});
