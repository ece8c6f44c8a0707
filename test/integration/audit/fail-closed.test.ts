// An audit write the store can never accept (a NUL in text or JSON, a lone surrogate: SQLSTATE
// class 22) fails for good as AuditRejected, not retryable, naming only the SQLSTATE; the
// executor then runs nothing. An outage stays retryable. Calls in the same group commit as the
// refused one still go in. On the real PostgreSQL and on PGlite.
import { ApplicationFailure } from '@temporalio/common';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditActivities, type RecordBatch } from '../../../activities/audit.js';
import type { ActivityDeps } from '../../../activities/deps.js';
import { createExecuteActivities } from '../../../activities/execute.js';
import { AuditStore } from '../../../audit/store.js';
import { SqlConnectionError, SqlError, storeCannotAccept } from '../../../db/errors.js';
import { migrate } from '../../../db/migrate.js';
import { ExecutorRegistry } from '../../../executors/registry.js';
import { AUDIT_REJECTED } from '../../../workflows/failure-types.js';
import { quietActivityEnvironment } from '../../support/activity-env.js';
import { BACKENDS } from './backends.js';

let n = 0;
const batchFor = (requestId: string, data: Record<string, unknown>, resource = 'db://x'): RecordBatch => ({
  events: [
    {
      requestId,
      eventKey: `wf:${++n}`,
      type: 'request.submitted',
      actor: 'ci@example.com',
      at: new Date().toISOString(),
      data,
    },
  ],
  index: { requestId, status: 'evaluating', requester: 'ci@example.com', resource },
});

const actorBatch = (requestId: string, actor: string): RecordBatch => {
  const b = batchFor(requestId, {});
  return { ...b, events: [{ ...b.events[0]!, actor }] };
};

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (err: unknown) => err,
  );

describe('storeCannotAccept', () => {
  it.each([
    ['22021', true],
    ['22P05', true],
    ['22P02', true],
    ['54000', true],
    ['40001', false],
    ['55P03', false],
    ['23505', false],
    [undefined, false],
  ])('SQLSTATE %s: %s', (code, expected) => {
    expect(storeCannotAccept(new SqlError('x', code, undefined))).toBe(expected);
  });

  it('never for an outage or an error that is not the database’s', () => {
    expect(storeCannotAccept(new SqlConnectionError('down', '08006', undefined))).toBe(false);
    expect(storeCannotAccept(new Error('connect ECONNREFUSED'))).toBe(false);
  });
});

for (const backend of BACKENDS) {
  describe(`audit writes fail closed (${backend.name})`, () => {
    let opened: Awaited<ReturnType<typeof backend.open>>;
    let store: AuditStore;
    let deps: ActivityDeps;
    const executed: string[] = [];

    beforeAll(async () => {
      opened = await backend.open();
      await migrate(opened.db);
      store = new AuditStore(opened.db);
      const executors = new ExecutorRegistry().register({
        name: 'noop',
        async execute(_params: unknown, ctx: { requestId: string }) {
          executed.push(ctx.requestId);
          return { ok: true };
        },
      } as never);
      deps = {
        audit: store,
        executors,
        config: { targets: {} },
        logger: pino({ level: 'silent' }),
      } as unknown as ActivityDeps;
    }, 120_000);

    afterAll(async () => {
      await opened?.close();
    });

    const run = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A) =>
      quietActivityEnvironment().run(fn, ...args);

    // Event data is stored as canonical JSON text (a NUL there is escaped); the index row's
    // columns and the event's own text columns take the value as it is.
    it.each([
      ['a NUL in the resource of the index row', batchFor('r-nul-index', { ok: true }, 'db://a\u0000b')],
      ['a NUL in the actor of an event', actorBatch('r-nul-actor', 'dana\u0000@example.com')],
    ])('%s: AuditRejected, not retryable, naming only the SQLSTATE', async (_what, batch) => {
      const { recordEvents } = createAuditActivities(deps);
      const failure = await failureOf(run(recordEvents, batch));
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ type: AUDIT_REJECTED, nonRetryable: true });
      const message = (failure as Error).message;
      expect(message).toMatch(/^the audit store can never accept these events \(SQLSTATE 22[0-9A-Z]{3}\)$/);
      expect(await store.eventsFor(batch.events[0]!.requestId)).toEqual([]);
    });

    it('refuses the one bad call of a group commit; the others in it go in', async () => {
      const { recordEvents } = createAuditActivities(deps);
      const good = Array.from({ length: 5 }, (_, i) => batchFor(`r-good-${i}`, { i }));
      const bad = batchFor('r-bad-in-group', {}, 'db://\u0000');
      const results = await Promise.all([...good, bad].map((b) => failureOf(run(recordEvents, b))));
      expect(results.slice(0, 5)).toEqual([undefined, undefined, undefined, undefined, undefined]);
      expect(results[5]).toMatchObject({ type: AUDIT_REJECTED, nonRetryable: true });
      for (const b of good) expect(await store.eventsFor(b.events[0]!.requestId)).toHaveLength(1);
    });

    it('executeAction runs nothing when the events it must write first are refused', async () => {
      const { executeAction } = createExecuteActivities(deps);
      const failure = await failureOf(
        run(executeAction, {
          requestId: 'r-exec',
          action: 'noop',
          parameters: {},
          parametersHash: 'h',
          requester: 'ci@example.com',
          binding: { executor: 'noop', mode: 'once' },
          record: batchFor('r-exec', {}, 'db://a\u0000b'),
        }),
      );
      expect(failure).toMatchObject({ type: AUDIT_REJECTED, nonRetryable: true });
      expect(executed).toEqual([]);
    });
  });
}

describe('an outage stays retryable', () => {
  it('a closed database is not AuditRejected', async () => {
    const backend = BACKENDS[0]!;
    const opened = await backend.open();
    await migrate(opened.db);
    const store = new AuditStore(opened.db);
    await opened.close();
    const { recordEvents } = createAuditActivities({
      audit: store,
      logger: pino({ level: 'silent' }),
    } as unknown as ActivityDeps);
    const failure = await failureOf(quietActivityEnvironment().run(recordEvents, batchFor('r-down', {})));
    expect(failure).toBeDefined();
    expect((failure as { type?: string }).type).not.toBe(AUDIT_REJECTED);
    expect((failure as { nonRetryable?: boolean }).nonRetryable).not.toBe(true);
  }, 60_000);
});
