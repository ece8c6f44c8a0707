// The two SQL backends the audit suite runs on: the machine's real PostgreSQL and in-memory PGlite.

import { openPglite } from '../../../db/pglite.js';
import { openPostgres } from '../../../db/postgres.js';
import type { SqlDb } from '../../../db/sql.js';
import { createTestDatabase } from '../../support/postgres.js';

export interface Backend {
  name: 'postgres' | 'pglite';
  /** A fresh, empty database; `close` also drops it. */
  open(): Promise<{ db: SqlDb; close(): Promise<void> }>;
}

/** Empties a database between tests (PGlite takes seconds to start, so each file opens one). */
export async function resetSchema(db: SqlDb): Promise<void> {
  await db.query('DROP SCHEMA public CASCADE');
  await db.query('CREATE SCHEMA public');
}

export const BACKENDS: Backend[] = [
  {
    name: 'postgres',
    async open() {
      const t = await createTestDatabase('airlock_audit');
      const db = await openPostgres(t.url, { max: 6 });
      return {
        db,
        async close() {
          await db.close();
          await t.drop();
        },
      };
    },
  },
  {
    name: 'pglite',
    async open() {
      const db = await openPglite(undefined);
      return { db, close: () => db.close() };
    },
  },
];
