// postgres.grant on a real PostgreSQL: a JIT login role with VALID UNTIL and exactly the granted
// privileges, idempotent grant, revoke that ends sessions and drops the role, no password leaks.
// Roles are cluster-wide: each test uses random request ids and every role is dropped afterwards.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresTarget } from '../../../config/types.js';
import {
  createPostgresGrantExecutor,
  grantPassword,
  grantRoleName,
  postgresGrantExecutor,
} from '../../../executors/postgres-grant.js';
import { scramVerifies } from '../../../executors/scram.js';
import type { ExecutionContext } from '../../../executors/types.js';
import { createTestDatabase, TEST_PG_ADMIN_URL, type TestDatabase } from '../../support/postgres.js';

let db: TestDatabase;
let admin: pg.Client;
let target: PostgresTarget;
const roles: string[] = [];
const PASSWORD = 'Jit-Pa55word-0123456789abcdef';

beforeAll(async () => {
  db = await createTestDatabase('airlock_exec_grant');
  target = {
    type: 'postgres',
    environment: 'production',
    resources: ['postgres://*'],
    url: db.url,
    statementTimeoutMs: 5000,
  };
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  await admin.query(`
    CREATE TABLE orders (id int PRIMARY KEY, total numeric);
    INSERT INTO orders VALUES (1, 9.5), (2, 20);
    CREATE TABLE payroll (id int PRIMARY KEY, salary numeric);
    CREATE SCHEMA sales;
    CREATE TABLE sales.leads (id int PRIMARY KEY);`);
});
afterAll(async () => {
  await admin?.end();
  await db?.drop();
  // Privileges lived in the dropped database; the roles themselves are cluster-wide.
  const c = new pg.Client({ connectionString: TEST_PG_ADMIN_URL });
  await c.connect();
  for (const role of roles) await c.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
  await c.end();
});

function ctx(privileges: unknown[], requestId = randomUUID()): ExecutionContext {
  roles.push(grantRoleName(requestId));
  return {
    requestId,
    idempotencyKey: requestId,
    action: 'db.grant',
    parameters: { privileges, ttlSeconds: 600 },
    parametersHash: 'h',
    requester: 'dev@example.com',
    target,
  };
}

const selectOrders = [{ privilege: 'SELECT', on: 'TABLE', object: 'public.orders' }];
const inAnHour = () => new Date(Date.now() + 3_600_000);

async function loginAs(role: string, password: string): Promise<pg.Client> {
  const url = new URL(db.url);
  url.username = role;
  url.password = password;
  const c = new pg.Client({ connectionString: url.toString() });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

async function roleRow(
  role: string,
): Promise<{ rolvaliduntil: Date | null; rolpassword: string | null } | undefined> {
  const r = await admin.query<{ rolvaliduntil: Date | null; rolpassword: string | null }>(
    'SELECT rolvaliduntil, rolpassword FROM pg_authid WHERE rolname = $1',
    [role],
  );
  return r.rows[0];
}

describe('postgres.grant', () => {
  it('creates a login role with VALID UNTIL, a SCRAM verifier of the password, and reports it', async () => {
    const c = ctx(selectOrders);
    const validUntil = new Date(Math.floor(Date.now() / 1000) * 1000 + 1_800_000);
    const r = await postgresGrantExecutor.grant(c, { password: PASSWORD, validUntil });
    const role = grantRoleName(c.requestId);
    expect(r).toEqual({
      ok: true,
      output: { role, database: db.name, validUntil: validUntil.toISOString() },
    });
    const row = await roleRow(role);
    expect(row?.rolvaliduntil?.toISOString()).toBe(validUntil.toISOString());
    expect(row?.rolpassword).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(scramVerifies(row?.rolpassword ?? '', PASSWORD)).toBe(true);
    expect(scramVerifies(row?.rolpassword ?? '', `${PASSWORD}x`)).toBe(false);
    expect(JSON.stringify(r)).not.toContain(PASSWORD);
  });

  it('the role logs in and reads the granted table, and nothing else', async () => {
    const c = ctx(selectOrders);
    await postgresGrantExecutor.grant(c, { password: PASSWORD, validUntil: inAnHour() });
    const client = await loginAs(grantRoleName(c.requestId), PASSWORD);
    try {
      const rows = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM orders');
      expect(rows.rows[0]?.n).toBe(2);
      await expect(client.query('SELECT * FROM payroll')).rejects.toMatchObject({ code: '42501' });
      await expect(client.query('DELETE FROM orders')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await client.end();
    }
  });

  it('grants on a schema and all its tables', async () => {
    const c = ctx([
      { privilege: 'USAGE', on: 'SCHEMA', object: 'sales' },
      { privilege: 'INSERT', on: 'ALL TABLES IN SCHEMA', object: 'sales' },
    ]);
    expect((await postgresGrantExecutor.grant(c, { password: PASSWORD, validUntil: inAnHour() })).ok).toBe(
      true,
    );
    const r = await admin.query<{ ins: boolean; sel: boolean }>(
      "SELECT has_table_privilege($1, 'sales.leads', 'INSERT') AS ins, has_table_privilege($1, 'sales.leads', 'SELECT') AS sel",
      [grantRoleName(c.requestId)],
    );
    expect(r.rows[0]).toEqual({ ins: true, sel: false });
  });

  it('granting twice (a retried activity) is idempotent', async () => {
    const c = ctx(selectOrders);
    const first = await postgresGrantExecutor.grant(c, { password: PASSWORD, validUntil: inAnHour() });
    const second = await postgresGrantExecutor.grant(c, { password: PASSWORD, validUntil: inAnHour() });
    expect(second.ok).toBe(true);
    expect(second.output?.role).toBe(first.output?.role);
    const r = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1', [
      grantRoleName(c.requestId),
    ]);
    expect(r.rows[0]?.n).toBe(1);
    const client = await loginAs(grantRoleName(c.requestId), PASSWORD);
    await client.query('SELECT 1 FROM orders');
    await client.end();
  });

  it('revoke ends open sessions, drops the role, and may run again', async () => {
    const c = ctx(selectOrders);
    const role = grantRoleName(c.requestId);
    await postgresGrantExecutor.grant(c, { password: PASSWORD, validUntil: inAnHour() });
    const session = await loginAs(role, PASSWORD);
    const revoked = await postgresGrantExecutor.revoke(c);
    expect(revoked).toMatchObject({
      ok: true,
      output: { role, revoked: true, existed: true, sessionsTerminated: 1 },
    });
    await expect(session.query('SELECT 1 FROM orders')).rejects.toBeTruthy();
    await session.end().catch(() => undefined);
    expect(await roleRow(role)).toBeUndefined();
    await expect(loginAs(role, PASSWORD)).rejects.toMatchObject({ code: '28000' });
    const again = await postgresGrantExecutor.revoke(c);
    expect(again).toMatchObject({ ok: true, output: { role, existed: false } });
  });

  it('refuses bad identifiers without creating anything', async () => {
    const c = ctx([{ privilege: 'SELECT', on: 'TABLE', object: 'orders; DROP TABLE payroll' }]);
    const r = await postgresGrantExecutor.grant(c, { password: PASSWORD, validUntil: inAnHour() });
    expect(r).toMatchObject({ ok: false, error: { type: 'invalid_parameters' } });
    expect(await roleRow(grantRoleName(c.requestId))).toBeUndefined();
  });

  it('a missing table fails the whole grant (no half-made role), and the password stays out', async () => {
    const c = ctx([...selectOrders, { privilege: 'SELECT', on: 'TABLE', object: 'public.nope' }]);
    const r = await postgresGrantExecutor.grant(c, { password: PASSWORD, validUntil: inAnHour() });
    expect(r).toMatchObject({ ok: false, error: { type: 'grant_error' } });
    expect(r.error?.message).toMatch(/42P01/);
    expect(JSON.stringify(r)).not.toContain(PASSWORD);
    expect(await roleRow(grantRoleName(c.requestId))).toBeUndefined();
  });

  it('refuses a weak password without echoing it', async () => {
    const c = ctx(selectOrders);
    const r = await postgresGrantExecutor.grant(c, { password: "short' pw", validUntil: inAnHour() });
    expect(r).toMatchObject({ ok: false, error: { type: 'invalid_password' } });
    expect(JSON.stringify(r)).not.toContain('short');
  });

  it('with a master key, execute derives the password and the TTL itself', async () => {
    const masterKey = Buffer.alloc(32, 9);
    const executor = createPostgresGrantExecutor({ masterKey });
    const c = ctx(selectOrders);
    const before = Date.now();
    const r = await executor.execute(c);
    expect(r.ok).toBe(true);
    const row = await roleRow(grantRoleName(c.requestId));
    expect(scramVerifies(row?.rolpassword ?? '', grantPassword(masterKey, c.requestId))).toBe(true);
    const until = row?.rolvaliduntil?.getTime() ?? 0;
    expect(until).toBeGreaterThanOrEqual(before + 599_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 601_000);
    expect((await postgresGrantExecutor.execute(ctx(selectOrders))).error?.type).toBe(
      'grant_needs_credentials',
    );
  });
});
