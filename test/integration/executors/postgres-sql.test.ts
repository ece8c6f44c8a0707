// postgres.sql on a real, fresh PostgreSQL database: one transaction, rollback on failure,
// exactly once per request id (marker row), statement timeout, retryable connection errors.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PostgresTarget } from '../../../config/types.js';
import { postgresSqlExecutor } from '../../../executors/postgres-sql.js';
import { type ExecutionContext, ExecutorError, isRetryable } from '../../../executors/types.js';
import type { ExecutionResult } from '../../../workflows/types.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

let db: TestDatabase;
let admin: pg.Client;
let target: PostgresTarget;

beforeAll(async () => {
  db = await createTestDatabase('airlock_exec_sql');
  // Trust auth ignores the password; it is there to prove it never reaches a message.
  const url = new URL(db.url);
  url.password = 'hunter2-very-secret';
  target = {
    type: 'postgres',
    environment: 'production',
    resources: ['postgres://*'],
    url: url.toString(),
    statementTimeoutMs: 5000,
  };
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  await admin.query('CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)');
});
afterAll(async () => {
  await admin?.end();
  await db?.drop();
});
beforeEach(async () => {
  await admin.query('TRUNCATE items');
});

function ctx(sql: string | string[], requestId = randomUUID(), t: PostgresTarget = target): ExecutionContext {
  return {
    requestId,
    idempotencyKey: requestId,
    action: 'db.schema.migrate',
    parameters: { sql },
    parametersHash: 'h',
    requester: 'ci@example.com',
    target: t,
  };
}

const count = async (): Promise<number | undefined> =>
  (await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM items')).rows[0]?.n;

/** What the activity does: retry retryable errors (with a short pause). */
async function retrying(c: ExecutionContext): Promise<ExecutionResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await postgresSqlExecutor.execute(c);
    } catch (err) {
      if (!isRetryable(err) || attempt > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('postgres.sql', () => {
  it('runs the statements and reports rows affected per statement', async () => {
    const r = await postgresSqlExecutor.execute(
      ctx([
        "INSERT INTO items VALUES (1, 'a'), (2, 'b'); INSERT INTO items VALUES (3, 'c;d')",
        "UPDATE items SET name = 'z' WHERE id < 3",
      ]),
    );
    expect(r).toEqual({ ok: true, output: { rowsAffected: [2, 1, 2], total: 5 } });
    expect(await count()).toBe(3);
  });

  it('rolls back the first statement when the second fails, with the SQLSTATE', async () => {
    const r = await postgresSqlExecutor.execute(
      ctx(["INSERT INTO items VALUES (1, 'a')", "INSERT INTO items VALUES (1, 'duplicate')"]),
    );
    expect(r.ok).toBe(false);
    expect(r.error?.type).toBe('sql_error');
    expect(r.error?.message).toMatch(/statement 2 failed \(23505\)/);
    expect(r.output).toMatchObject({ failedStatement: 1, code: '23505', rolledBack: true });
    expect(JSON.stringify(r)).not.toContain('hunter2');
    expect(await count()).toBe(0);
  });

  it("a failed statement names the condition and the schema objects, never the rows' values", async () => {
    await admin.query("INSERT INTO items VALUES (42, 'top-secret-name')");
    const duplicate = await postgresSqlExecutor.execute(ctx("INSERT INTO items VALUES (42, 'x')"));
    expect(duplicate.error?.message).toBe(
      'statement 1 failed (23505): unique violation (constraint "items_pkey", table "items")',
    );
    expect(JSON.stringify(duplicate)).not.toMatch(/\(id\)=\(42\)|Key/);
    // A cast that fails would quote the value it read; the result does not.
    const cast = await postgresSqlExecutor.execute(ctx('UPDATE items SET id = name::int WHERE id = 42'));
    expect(cast).toMatchObject({ ok: false, output: { code: '22P02' } });
    expect(cast.error?.message).toMatch(/^statement 1 failed \(22P02\): invalid text representation/);
    expect(JSON.stringify(cast)).not.toContain('top-secret-name');
    const raised = await postgresSqlExecutor.execute(
      ctx("DO $$ BEGIN RAISE EXCEPTION 'leak %', (SELECT name FROM items WHERE id = 42); END $$"),
    );
    expect(raised.error?.message).toBe('statement 1 failed (P0001): raised exception');
    expect(JSON.stringify(raised)).not.toContain('top-secret-name');
  });

  it('a syntax error is a final failed result, refused before anything runs', async () => {
    const r = await postgresSqlExecutor.execute(ctx("INSERT INTO items VALUES (1, 'a'); SELEKT 1"));
    expect(r).toMatchObject({ ok: false, error: { type: 'invalid_parameters' } });
    expect(r.error?.message).toMatch(/syntax error at or near "SELEKT"/);
    expect(await count()).toBe(0);
  });

  it('a statement the parser accepts but the server refuses is a failed result with its SQLSTATE', async () => {
    const r = await postgresSqlExecutor.execute(ctx('SELECT * FROM no_such_table'));
    expect(r).toMatchObject({ ok: false, output: { code: '42P01' } });
  });

  it('runs once per request id and then returns the stored result', async () => {
    const c = ctx(["INSERT INTO items VALUES (1, 'a')", "INSERT INTO items VALUES (2, 'b')"]);
    const first = await postgresSqlExecutor.execute(c);
    const second = await postgresSqlExecutor.execute(c);
    expect(first).toEqual({ ok: true, output: { rowsAffected: [1, 1], total: 2 } });
    expect(second).toEqual({ ok: true, output: { rowsAffected: [1, 1], total: 2, alreadyExecuted: true } });
    expect(await count()).toBe(2);
    const marker = await admin.query<{ result: unknown }>(
      'SELECT result FROM airlock_executions WHERE request_id = $1',
      [c.requestId],
    );
    expect(marker.rows[0]?.result).toEqual({ rowsAffected: [1, 1], total: 2 });
  });

  it('runs once when two attempts of the same request race', async () => {
    const c = ctx(["INSERT INTO items VALUES (1, 'a')", 'SELECT pg_sleep(0.3)']);
    const results = await Promise.all([retrying(c), retrying(c)]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.filter((r) => r.output?.alreadyExecuted === true)).toHaveLength(1);
    expect(await count()).toBe(1);
  });

  it('an attempt cut off mid-transaction leaves nothing behind, and the retry runs once', async () => {
    const c = ctx(["INSERT INTO items VALUES (1, 'a')", 'SELECT pg_sleep(0.5)']);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 150);
    const err = await postgresSqlExecutor.execute({ ...c, signal: abort.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecutorError);
    expect(isRetryable(err)).toBe(true);
    expect(await count()).toBe(0);
    const r = await retrying(c);
    expect(r.ok && r.output?.alreadyExecuted === undefined).toBe(true);
    expect(await retrying(c)).toMatchObject({ ok: true, output: { alreadyExecuted: true } });
    expect(await count()).toBe(1);
  });

  it('stops a statement at the target statement timeout', async () => {
    const started = Date.now();
    const r = await postgresSqlExecutor.execute(
      ctx("INSERT INTO items VALUES (1, 'a'); SELECT pg_sleep(5)", randomUUID(), {
        ...target,
        statementTimeoutMs: 200,
      }),
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r).toMatchObject({ ok: false, output: { code: '57014' } });
    expect(await count()).toBe(0);
  });

  it('refuses SQL that would lift its own timeout, without running anything', async () => {
    for (const sql of [
      "INSERT INTO items VALUES (1, 'a'); SET LOCAL statement_timeout = 0; SELECT pg_sleep(5)",
      "INSERT INTO items VALUES (1, 'a'); SELECT set_config('statement_timeout', '0', true); SELECT pg_sleep(5)",
      "INSERT INTO items VALUES (1, 'a'); RESET statement_timeout; SELECT pg_sleep(5)",
      "INSERT INTO items VALUES (1, 'a'); SET ROLE postgres",
    ]) {
      const started = Date.now();
      const r = await postgresSqlExecutor.execute(
        ctx(sql, randomUUID(), { ...target, statementTimeoutMs: 1000 }),
      );
      expect(Date.now() - started).toBeLessThan(1000);
      expect(r).toMatchObject({ ok: false, error: { type: 'invalid_parameters' } });
      expect(r.error?.message).toMatch(/statement 2 (changes|calls)/);
    }
    expect(await count()).toBe(0);
  });

  it('ends a statement at the target limit even when the SQL switched the session timeout off', async () => {
    // A DO body is opaque to the parser: only the client-side deadline stands in its way.
    const sql = [
      "INSERT INTO items VALUES (1, 'a')",
      "DO $$ BEGIN PERFORM set_config('statement_timeout', '0', true); END $$",
      'SELECT pg_sleep(5)',
    ];
    const requestId = randomUUID();
    const started = Date.now();
    const r = await postgresSqlExecutor.execute(ctx(sql, requestId, { ...target, statementTimeoutMs: 1000 }));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(2500);
    expect(r).toMatchObject({
      ok: false,
      error: { type: 'statement_timeout' },
      output: { failedStatement: 2, code: '57014', rolledBack: true },
    });
    expect(r.error?.message).toMatch(/statement 3 ran past the target's limit of 1000 ms/);
    expect(await count()).toBe(0);
    const marker = await admin.query('SELECT 1 FROM airlock_executions WHERE request_id = $1', [requestId]);
    expect(marker.rows).toEqual([]);
    // The backend was stopped, not left sleeping.
    const sleeping = await admin.query("SELECT pid FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(5)'");
    expect(sleeping.rows).toEqual([]);
  });

  it('terminates a backend that swallows the cancel, and commits nothing', async () => {
    const sql = [
      "INSERT INTO items VALUES (1, 'a')",
      "DO $$ BEGIN PERFORM set_config('statement_timeout', '0', true); END $$",
      `DO $$ BEGIN
         LOOP
           BEGIN PERFORM pg_sleep(10); EXCEPTION WHEN query_canceled THEN NULL; END;
         END LOOP;
       END $$`,
    ];
    const requestId = randomUUID();
    const started = Date.now();
    const r = await postgresSqlExecutor.execute(ctx(sql, requestId, { ...target, statementTimeoutMs: 500 }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r).toMatchObject({
      ok: false,
      error: { type: 'statement_timeout' },
      output: { failedStatement: 2 },
    });
    expect(await count()).toBe(0);
    const looping = await admin.query(
      "SELECT pid FROM pg_stat_activity WHERE query LIKE 'DO $$ BEGIN%LOOP%'",
    );
    expect(looping.rows).toEqual([]);
    // The request's lock went with the backend: a new attempt is not told another one still runs.
    const again = await postgresSqlExecutor.execute(ctx("INSERT INTO items VALUES (2, 'b')", requestId));
    expect(again).toMatchObject({ ok: true, output: { rowsAffected: [1] } });
  });

  it('bounds COMMIT too: a slow deferred trigger is stopped, nothing is committed, and the attempt is retried', async () => {
    await admin.query(`CREATE TABLE slow_items (id int);
      CREATE FUNCTION slow_check() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep(5); RETURN NULL; END $$;
      CREATE CONSTRAINT TRIGGER slow_check AFTER INSERT ON slow_items
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_check()`);
    try {
      const sql = [
        "DO $$ BEGIN PERFORM set_config('statement_timeout', '0', true); END $$",
        'INSERT INTO slow_items VALUES (1)',
      ];
      const started = Date.now();
      const err = await postgresSqlExecutor
        .execute(ctx(sql, randomUUID(), { ...target, statementTimeoutMs: 1000 }))
        .catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(2500);
      expect(err).toMatchObject({ type: 'commit_interrupted', retryable: true });
      const rows = await admin.query('SELECT 1 FROM slow_items');
      expect(rows.rows).toEqual([]);
    } finally {
      await admin.query('DROP TABLE slow_items; DROP FUNCTION slow_check()');
    }
  });

  it('refuses transaction control without running anything', async () => {
    const r = await postgresSqlExecutor.execute(
      ctx(["INSERT INTO items VALUES (1, 'a')", 'COMMIT', "INSERT INTO items VALUES (2, 'b')"]),
    );
    expect(r).toMatchObject({ ok: false, error: { type: 'invalid_parameters' } });
    expect(await count()).toBe(0);
  });

  it('a connection failure is retryable and does not show the password', async () => {
    const url = new URL(target.url);
    url.port = '1';
    const err = await postgresSqlExecutor
      .execute(ctx('SELECT 1', randomUUID(), { ...target, url: url.toString() }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecutorError);
    expect(err).toMatchObject({ type: 'connection_error', retryable: true });
    expect(String((err as Error).message)).not.toContain('hunter2');
  });
});
