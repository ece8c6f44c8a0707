// The postgres.sql preview on a real PostgreSQL database: exact counts and bounded samples of the
// rows before and after, the table untouched, statements a rollback cannot undo not run, locks and
// errors reported as failed previews; and the drift check at execution (nothing committed).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { previewHash } from '../../../activities/preview.js';
import type { PostgresTarget } from '../../../config/types.js';
import { createPostgresGrantExecutor } from '../../../executors/postgres-grant.js';
import { postgresSqlExecutor } from '../../../executors/postgres-sql.js';
import type { PreviewOutcome } from '../../../executors/types.js';
import type { ActionPreview, DriftTolerance } from '../../../workflows/preview-types.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

let db: TestDatabase;
let admin: pg.Client;
let target: PostgresTarget;

beforeAll(async () => {
  db = await createTestDatabase('airlock_preview_sql');
  target = {
    type: 'postgres',
    environment: 'production',
    resources: ['postgres://*'],
    url: db.url,
    statementTimeoutMs: 5000,
    lockTimeoutMs: 300,
  };
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  await admin.query(
    'CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, tier text NOT NULL, password text, notes text)',
  );
  await admin.query('CREATE SEQUENCE ticket_seq');
});
afterAll(async () => {
  await admin?.end();
  await db?.drop();
});
beforeEach(async () => {
  await admin.query('TRUNCATE customers');
  // 1,204 gold customers in the EU, 100 elsewhere.
  await admin.query(
    "INSERT INTO customers SELECT i, 'customer ' || i, 'gold', 'pw' || i, repeat('x', 200) FROM generate_series(1, 1304) i",
  );
  await admin.query("UPDATE customers SET tier = 'silver' WHERE id > 1204");
});

const preview = (sql: string | string[], t: PostgresTarget = target): Promise<PreviewOutcome> =>
  postgresSqlExecutor.preview!({
    requestId: randomUUID(),
    action: 'db.schema.migrate',
    parameters: { sql },
    requester: 'ci@example.com',
    target: t,
    deadline: Date.now() + 30_000,
  });

const goldCount = async () =>
  Number((await admin.query("SELECT count(*) AS n FROM customers WHERE tier = 'gold'")).rows[0].n);

function approved(outcome: PreviewOutcome, drift: DriftTolerance = {}) {
  const body = {
    ...outcome,
    computedBy: 'airlock' as const,
    executor: 'postgres.sql',
    computedAt: '',
    durationMs: 0,
  };
  const p: ActionPreview = { ...body, hash: previewHash(body) };
  return { preview: p, drift };
}

const execute = (sql: string, approvedPreview: ReturnType<typeof approved>) => {
  const requestId = randomUUID();
  return postgresSqlExecutor.execute({
    requestId,
    idempotencyKey: requestId,
    action: 'db.schema.migrate',
    parameters: { sql },
    parametersHash: 'h',
    requester: 'ci@example.com',
    target,
    approved: approvedPreview,
  });
};

const UPDATE = "UPDATE customers SET tier = 'platinum' WHERE tier = 'gold'";

describe('postgres.sql preview', () => {
  it('shows the exact count and a bounded sample before and after, and changes nothing', async () => {
    const p = await preview(UPDATE);
    expect(p.status).toBe('ok');
    expect(p.rowsAffected).toBe(1204);
    expect(p.summary).toEqual(['1. UPDATE customers: 1,204 rows (sample below)']);
    const s = p.sql!.statements[0]!;
    expect(s).toMatchObject({ kind: 'UpdateStmt', mode: 'run', table: 'customers', rows: 1204 });
    expect(s.after!.rows).toHaveLength(20);
    expect(s.after!.truncated).toBe(true);
    expect(s.after!.columns).toEqual(['id', 'name', 'tier', 'password', 'notes']);
    const col = (name: string) => s.after!.columns.indexOf(name);
    for (const row of s.after!.rows) expect(row[col('tier')]).toBe('platinum');
    for (const row of s.before!.rows) expect(row[col('tier')]).toBe('gold');
    // The same rows, before and after; secrets hidden, long values cut.
    expect(s.before!.rows.map((r) => r[0])).toEqual(s.after!.rows.map((r) => r[0]));
    expect(s.after!.rows[0]![col('password')]).toBe('••••');
    expect(Array.from(s.after!.rows[0]![col('notes')]!).length).toBeLessThanOrEqual(60);
    expect(p.sql!.rolledBack).toBe(true);
    expect(await goldCount()).toBe(1204);
  });

  it('samples the rows a DELETE removes, and EXPLAINs a read without running it', async () => {
    const p = await preview(['DELETE FROM customers', "SELECT * FROM customers WHERE tier = 'silver'"]);
    expect(p.status).toBe('ok');
    const [del, read] = p.sql!.statements;
    expect(del).toMatchObject({ mode: 'run', rows: 1304 });
    expect(del!.before!.rows).toHaveLength(20);
    expect(read).toMatchObject({ mode: 'explain' });
    expect(read!.estimatedRows).toBeGreaterThan(0);
    expect(read!.plan).toMatch(/Scan on customers/);
    expect(p.rowsAffected).toBe(1304);
    expect(await goldCount()).toBe(1204);
  });

  it('runs an EXPLAIN as it is, holding execution to no figure of it', async () => {
    // EXPLAIN ANALYZE executes its statement: the next one sees its effect, and both roll back.
    const p = await preview([
      `EXPLAIN ANALYZE ${UPDATE}`,
      "UPDATE customers SET tier = 'gold' WHERE tier = 'platinum'",
    ]);
    expect(p.status).toBe('ok');
    expect(p.sql!.statements[0]).toMatchObject({ kind: 'ExplainStmt', mode: 'run' });
    expect(p.sql!.statements[0]!.rows).toBeUndefined();
    expect(p.summary[0]).toBe('1. EXPLAIN: run and rolled back');
    expect(p.sql!.statements[1]!.rows).toBe(1204);
    expect(await goldCount()).toBe(1204);
  });

  it.each([
    ['VACUUM customers', /VACUUM cannot run inside a transaction/],
    ['CREATE INDEX CONCURRENTLY customers_tier ON customers (tier)', /CONCURRENTLY/],
    ["SELECT nextval('ticket_seq')", /nextval, which advances a sequence/],
    ["NOTIFY customers_changed, 'x'", /NOTIFY sends a notification/],
    ["COPY customers TO PROGRAM 'cat > /tmp/x'", /PROGRAM runs a program on the server/],
    [
      "SELECT dblink_exec('host=elsewhere', 'DELETE FROM t')",
      /dblink_exec, which acts on another connection/,
    ],
    ['DO $$ BEGIN PERFORM 1; END $$', /DO block/],
  ])('does not run %s, and says why', async (sql, why) => {
    const p = await preview(sql);
    expect(p.status).toBe('unavailable');
    expect(p.reason).toMatch(why);
    expect(p.sql!.statements[0]!.mode).toBe('not_run');
    expect(p.summary[0]).toMatch(/not run/);
  });

  it('previews up to a statement it may not run, and runs nothing after it', async () => {
    const p = await preview([UPDATE, 'VACUUM customers', 'DELETE FROM customers']);
    expect(p.status).toBe('partial');
    expect(p.reason).toMatch(/statement 2 \(VACUUM customers\)/);
    expect(p.sql!.statements.map((s) => s.mode)).toEqual(['run', 'not_run', 'not_run']);
    expect(p.sql!.statements[0]!.rows).toBe(1204);
    expect(p.rowsAffected).toBeUndefined();
  });

  it('reports a lock it could not take within lock_timeout as a failed preview', async () => {
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE customers IN ACCESS EXCLUSIVE MODE');
      const p = await preview(UPDATE);
      expect(p.status).toBe('failed');
      expect(p.reason).toMatch(/waited longer than the target's lock_timeout of 300 ms/);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
  });

  it('reports what the statement would fail with, without the values', async () => {
    const p = await preview("INSERT INTO customers VALUES (1, 'dup', 'gold', NULL, NULL)");
    expect(p.status).toBe('failed');
    expect(p.reason).toMatch(/statement 1 .* fails on the target \(23505\): unique violation/);
    expect(p.reason).not.toMatch(/dup/);
  });
});

describe('drift check at execution', () => {
  it('refuses to commit when more rows match than the preview showed', async () => {
    const p = await preview(UPDATE);
    await admin.query("UPDATE customers SET tier = 'gold' WHERE id BETWEEN 1205 AND 1210");
    const r = await execute(UPDATE, approved(p));
    expect(r.ok).toBe(false);
    expect(r.error?.type).toBe('drift_detected');
    expect(r.error?.message).toMatch(/statement 1 affected 1,210 rows, the approved preview 1,204/);
    expect(r.output).toMatchObject({
      drift: [{ statement: 1, previewed: 1204, actual: 1210, allowed: 0 }],
      rolledBack: true,
    });
    expect(await goldCount()).toBe(1210);
    const marker = await admin.query('SELECT count(*)::int AS n FROM airlock_executions');
    expect(marker.rows[0].n).toBe(0);
  });

  it("commits within the rule's tolerance, and when reality matches", async () => {
    const p = await preview(UPDATE);
    await admin.query("UPDATE customers SET tier = 'gold' WHERE id BETWEEN 1205 AND 1210");
    const r = await execute(UPDATE, approved(p, { rows: { percent: 5 } }));
    expect(r).toMatchObject({ ok: true, output: { rowsAffected: [1210] } });
    expect(await goldCount()).toBe(0);
  });
});

describe('postgres.grant preview', () => {
  const grant = createPostgresGrantExecutor({ defaultTtlMs: 3_600_000 });
  const previewGrant = (parameters: Record<string, unknown>) =>
    grant.preview!({
      requestId: randomUUID(),
      action: 'db.grant',
      parameters,
      requester: 'ci@example.com',
      target,
      deadline: Date.now() + 30_000,
    });

  it('shows the exact statements and the privileges the role would hold, and creates no role', async () => {
    const p = await previewGrant({
      privileges: [
        { privilege: 'SELECT', on: 'TABLE', object: 'public.customers' },
        { privilege: 'USAGE', on: 'SCHEMA', object: 'public' },
      ],
      ttlSeconds: 900,
    });
    expect(p.status).toBe('ok');
    const g = p.grant!;
    expect(g.statements[0]).toMatch(
      /^CREATE ROLE "airlock_[a-z0-9_]+" WITH LOGIN NOSUPERUSER .* PASSWORD '<SCRAM verifier/,
    );
    expect(g.statements).toContain(`GRANT SELECT ON TABLE "public"."customers" TO "${g.role}"`);
    expect(g.privileges).toEqual(
      expect.arrayContaining([
        { privilege: 'SELECT', on: 'TABLE', object: 'public.customers' },
        { privilege: 'USAGE', on: 'SCHEMA', object: 'public' },
      ]),
    );
    expect(g.ttlSeconds).toBe(900);
    expect(p.summary[0]).toMatch(/privilege\(s\) for 900 s, then revoked/);
    const roles = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [g.role]);
    expect(roles.rowCount).toBe(0);
  });

  it('a GRANT on a table that does not exist fails in the preview, before anyone approves it', async () => {
    const p = await previewGrant({
      privileges: [{ privilege: 'SELECT', on: 'TABLE', object: 'public.nope' }],
    });
    expect(p.status).toBe('failed');
    expect(p.reason).toMatch(
      /statement 1 \(GRANT SELECT ON TABLE "public"."nope"\) fails on the target \(42P01\): undefined table/,
    );
  });
});
