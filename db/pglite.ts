// SqlDb over PGlite (Postgres in WASM): the no-infrastructure backend for `npm start` and tests.
// PGlite is single-connection; its own mutex already queues queries and transactions one at a time.
import { PGlite } from '@electric-sql/pglite';
import { mapDbError } from './errors.js';
import type { SqlDb, SqlExecutor, SqlRows } from './sql.js';

type Queryable = Pick<PGlite, 'query'>;

async function run<T>(q: Queryable, sql: string, params?: unknown[]): Promise<SqlRows<T>> {
  try {
    const res = await q.query<T>(sql, params);
    return { rows: res.rows };
  } catch (err) {
    throw mapDbError(err);
  }
}

/**
 * Opens PGlite at `dataDir` (a directory, created if missing) or in memory when undefined.
 * Inside `transaction`, use only the `tx` given to the callback: calling the outer db there
 * would wait for the transaction to end, i.e. forever.
 */
export async function openPglite(dataDir: string | undefined): Promise<SqlDb> {
  const pglite = dataDir === undefined ? await PGlite.create() : await PGlite.create(dataDir);
  return {
    kind: 'pglite',
    query: <T = Record<string, unknown>>(sql: string, params?: unknown[]) => run<T>(pglite, sql, params),
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, opts?: { first?: string }): Promise<T> {
      // PGlite issues BEGIN, COMMIT on success and ROLLBACK when fn throws (its error is rethrown).
      try {
        return await pglite.transaction(async (t) => {
          if (opts?.first) await run(t, opts.first);
          return fn({ query: (sql, params) => run(t, sql, params) });
        });
      } catch (err) {
        throw mapDbError(err);
      }
    },
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
}
