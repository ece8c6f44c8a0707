// The sweeper removes a stored starting state only when its workflow never started and it is old
// enough; everything else stays (temporal/seed-sweeper.ts). Real PostgreSQL, real dev server.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AuditStore } from '../../../audit/store.js';
import { migrate } from '../../../db/migrate.js';
import { openPostgres } from '../../../db/postgres.js';
import type { SqlDb } from '../../../db/sql.js';
import { workflowIdFor } from '../../../temporal/action-client.js';
import { sweepOrphanedSeeds } from '../../../temporal/seed-sweeper.js';
import { silentLogger } from '../../support/harness.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

let database: TestDatabase;
let db: SqlDb;
let audit: AuditStore;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  database = await createTestDatabase();
  db = await openPostgres(database.url);
  await migrate(db);
  audit = new AuditStore(db);
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});

afterAll(async () => {
  await connection?.close();
  await db?.close();
  await database?.drop();
});

const HOUR_AGO = new Date(Date.now() - 3_600_000).toISOString();
const seed = (requestId: string, submittedAt = HOUR_AGO) =>
  audit.seedRequestIndex({ requestId, status: 'evaluating', submittedAt }, 'sealed-start');

describe('the orphaned-seed sweeper', () => {
  it('removes an old seed with no workflow and keeps the rest', async () => {
    const orphan = randomUUID();
    const young = randomUUID();
    const started = randomUUID();
    const written = randomUUID();
    await seed(orphan);
    await seed(young, new Date().toISOString());
    await seed(started);
    // A workflow that exists but no worker has run yet (its task queue has none).
    await client.workflow.start('actionRequest', {
      taskQueue: `no-worker-${randomUUID()}`,
      workflowId: workflowIdFor(started),
      args: [{}],
    });
    try {
      await seed(written);
      await audit.upsertRequestIndex({
        requestId: written,
        status: 'denied',
        statePayload: 'wf',
        stateSeq: 4,
      });

      const removed = await sweepOrphanedSeeds({ audit, client, logger: silentLogger });

      expect(removed).toEqual([orphan]);
      expect(await audit.stateSnapshot(orphan)).toBeUndefined();
      expect(await audit.stateSnapshot(young)).toBe('sealed-start');
      expect(await audit.stateSnapshot(started)).toBe('sealed-start');
      expect(await audit.stateSnapshot(written)).toBe('wf');
    } finally {
      await client.workflow.getHandle(workflowIdFor(started)).terminate('test over');
    }
  });

  it('walks every old seed page by page, past the ones whose workflow exists', async () => {
    const waiting = [randomUUID(), randomUUID(), randomUUID()];
    const orphans = [randomUUID(), randomUUID()];
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
    // The three oldest have workflows (a backlog no worker took yet); the orphans come after.
    for (const [i, id] of waiting.entries()) {
      await seed(id, minutesAgo(50 - i));
      await client.workflow.start('actionRequest', {
        taskQueue: `no-worker-${randomUUID()}`,
        workflowId: workflowIdFor(id),
        args: [{}],
      });
    }
    for (const [i, id] of orphans.entries()) await seed(id, minutesAgo(40 - i));
    try {
      const removed = await sweepOrphanedSeeds({ audit, client, logger: silentLogger }, { pageSize: 2 });
      expect(removed).toEqual(orphans);
      for (const id of waiting) expect(await audit.stateSnapshot(id)).toBe('sealed-start');
    } finally {
      for (const id of waiting) await client.workflow.getHandle(workflowIdFor(id)).terminate('test over');
    }
  });

  it('keeps every seed while Temporal does not answer', async () => {
    const orphan = randomUUID();
    await seed(orphan);
    const unreachable = await Connection.connect({ address: inject('temporalAddress') });
    await unreachable.close();
    const removed = await sweepOrphanedSeeds({
      audit,
      client: new Client({ connection: unreachable }),
      logger: silentLogger,
    });
    expect(removed).toEqual([]);
    expect(await audit.stateSnapshot(orphan)).toBe('sealed-start');
  });
});
