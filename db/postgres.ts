// SqlDb over a pg.Pool: the production backend. Transactions get a dedicated client; connection
// problems surface as SqlConnectionError after connectionTimeoutMillis instead of hanging.
import pg from 'pg';
import { mapDbError } from './errors.js';
import type { SqlDb, SqlExecutor, SqlRows } from './sql.js';

export interface PostgresOptions {
  /** Pool size (default 10). */
  max?: number;
  /** How long to wait for a connection before failing (default 5000 ms). */
  connectionTimeoutMillis?: number;
  /** Server-side statement_timeout in ms (default: none). */
  statementTimeoutMillis?: number;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

async function run<T>(q: Queryable, sql: string, params?: unknown[]): Promise<SqlRows<T>> {
  try {
    const res = await q.query(sql, params);
    return { rows: res.rows as T[] };
  } catch (err) {
    throw mapDbError(err);
  }
}

/** Opens a pool and checks it with one round trip, so a bad URL fails here, not on first use. */
export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<SqlDb> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
    idleTimeoutMillis: 30_000,
    application_name: 'airlock',
    ...(options.statementTimeoutMillis !== undefined
      ? { statement_timeout: options.statementTimeoutMillis }
      : {}),
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener Node
  // would crash. The pool already discards that client, and the next query reports the problem.
  pool.on('error', () => {});
  try {
    await run(pool, 'SELECT 1');
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }

  return {
    kind: 'postgres',
    query: <T = Record<string, unknown>>(sql: string, params?: unknown[]) => run<T>(pool, sql, params),
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, opts?: { first?: string }): Promise<T> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw mapDbError(err);
      }
      let broken: Error | undefined;
      // A checked-out client has no idle listener: without this, a connection lost mid-transaction
      // (database restart, network cut) is an uncaught 'error' that kills the process. The pending
      // query fails on its own; the client is destroyed on release.
      const onError = (err: Error) => {
        broken = err;
      };
      client.on('error', onError);
      try {
        // A simple (unparameterized) query may hold several statements: one round trip for both.
        await run(client, opts?.first ? `BEGIN; ${opts.first}` : 'BEGIN');
        const tx: SqlExecutor = { query: (sql, params) => run(client, sql, params) };
        const result = await fn(tx);
        await run(client, 'COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          // The connection is unusable: destroy it rather than return it to the pool.
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        }
        throw err;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
    async close() {
      await pool.end();
    },
  };
}
