// postgres.sql and postgres.grant parameter checks: statement splitting by the parser, no
// transaction control, no change to the settings the target enforces,
// strict identifiers and an allow-list of privileges; deterministic grant role names.
import { describe, expect, it } from 'vitest';
import {
  grantRoleName,
  parseGrantParameters,
  postgresGrantExecutor,
} from '../../../executors/postgres-grant.js';
import { parseStatements, postgresSqlExecutor } from '../../../executors/postgres-sql.js';

describe('postgres.sql statements', () => {
  it('splits as PostgreSQL does: literals, comments, dollar quotes and BEGIN ATOMIC bodies hold', () => {
    const sql = `INSERT INTO t VALUES ('a;b', E'c\\';d'); -- x; y
      /* a; /* nested; */ b; */ CREATE FUNCTION f() RETURNS int AS $fn$ SELECT 1; $fn$ LANGUAGE sql;
      CREATE FUNCTION g() RETURNS int BEGIN ATOMIC SELECT 1; SELECT 2; END;
      SELECT "we;ird" FROM t;;  `;
    const { statements, problems } = parseStatements({ sql });
    expect(problems).toEqual([]);
    expect(statements).toHaveLength(4);
    expect(statements[0]).toBe("INSERT INTO t VALUES ('a;b', E'c\\';d')");
    expect(statements[1]).toMatch(/CREATE FUNCTION[\s\S]*\$fn\$ LANGUAGE sql$/);
    expect(statements[2]).toMatch(/^CREATE FUNCTION g\(\)[\s\S]*SELECT 2; END$/);
    expect(statements[3]).toBe('SELECT "we;ird" FROM t');
  });

  it.each([
    '  -- c\n COMMIT',
    '/* x */ rollback to savepoint a',
    'start transaction',
    'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE',
    'SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY',
  ])('refuses transaction control: %j', (sql) => {
    expect(postgresSqlExecutor.validate?.({ sql }).join()).toMatch(/statement 1 controls the transaction/);
  });

  it.each([
    ['SET LOCAL statement_timeout = 0', /changes statement_timeout/],
    ['set/**/statement_timeout TO DEFAULT', /changes statement_timeout/],
    ['SET "Statement_Timeout" = 0', /changes statement_timeout/],
    ['RESET statement_timeout', /changes statement_timeout/],
    ['RESET ALL', /resets every session setting/],
    ['SET lock_timeout = 0', /changes lock_timeout/],
    ['SET idle_in_transaction_session_timeout = 0', /changes idle_in_transaction_session_timeout/],
    ['SET LOCAL ROLE postgres', /changes role/],
    ['SET SESSION AUTHORIZATION postgres', /changes session_authorization/],
    ["SELECT set_config('statement_timeout', '0', true)", /calls set_config/],
    ["SELECT * FROM (SELECT pg_catalog.set_config('lock_timeout', '0', false)) AS x", /calls set_config/],
    ["UPDATE pg_settings SET setting = '0' WHERE name = 'statement_timeout'", /updates pg_settings/],
  ])('refuses changing an enforced setting: %j', (sql, why) => {
    const problems = postgresSqlExecutor.validate?.({ sql: ['SELECT 1', sql] }) ?? [];
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^sql: statement 2 /);
    expect(problems[0]).toMatch(why);
  });

  it.each([
    "SET LOCAL work_mem = '64MB'",
    "SELECT 'set_config(statement_timeout, 0)'",
    'UPDATE t SET statement_timeout = 0',
    'DO $$ BEGIN PERFORM 1; END $$',
  ])('lets other statements through: %j', (sql) => {
    expect(postgresSqlExecutor.validate?.({ sql })).toEqual([]);
  });

  it('refuses SQL that does not parse, naming where', () => {
    expect(postgresSqlExecutor.validate?.({ sql: ['SELECT 1', 'SELEKT 2'] })).toEqual([
      'sql: SQL does not parse: syntax error at or near "SELEKT"',
    ]);
  });
});

describe('postgres.sql validate', () => {
  it('accepts a string or an array, refuses transaction control and junk', () => {
    expect(parseStatements({ sql: 'SELECT 1; SELECT 2' }).statements).toEqual(['SELECT 1', 'SELECT 2']);
    expect(postgresSqlExecutor.validate?.({ sql: ['SELECT 1', 'SELECT 2'] })).toEqual([]);
    expect(postgresSqlExecutor.validate?.({ sql: ['SELECT 1', 'COMMIT', 'DROP TABLE t'] }).join()).toMatch(
      /statement 2 controls the transaction/,
    );
    expect(postgresSqlExecutor.validate?.({ sql: '  -- nothing\n ;' }).join()).toMatch(/no statement/);
    expect(postgresSqlExecutor.validate?.({ sql: [] })).toHaveLength(1);
    expect(postgresSqlExecutor.validate?.({ sql: 'SELECT 1', extra: 1 })).toHaveLength(1);
  });
});

describe('postgres.grant validate', () => {
  const ok = { privileges: [{ privilege: 'SELECT', on: 'TABLE', object: 'public.orders' }], ttlSeconds: 600 };

  it('accepts allowed privileges', () => {
    expect(parseGrantParameters(ok).ok).toBe(true);
    expect(
      postgresGrantExecutor.validate?.({
        privileges: [
          { privilege: 'USAGE', on: 'SCHEMA', object: 'sales' },
          { privilege: 'INSERT', on: 'ALL TABLES IN SCHEMA', object: 'sales' },
        ],
      }),
    ).toEqual([]);
  });

  it.each(['orders; DROP TABLE x', 'public."orders"', 'a.b.c', '1orders', 'orders--', '', 'or ders'])(
    'refuses the identifier %j',
    (object) => {
      const problems = postgresGrantExecutor.validate?.({
        privileges: [{ privilege: 'SELECT', on: 'TABLE', object }],
      });
      expect(problems?.join()).toMatch(/object/);
    },
  );

  it('refuses privileges outside the allow-list or for the wrong object kind', () => {
    const v = (privilege: string, on: string, object = 'x') =>
      postgresGrantExecutor.validate?.({ privileges: [{ privilege, on, object }] }).join() ?? '';
    expect(v('ALL', 'TABLE')).toMatch(/privilege/);
    expect(v('SUPERUSER', 'TABLE')).toMatch(/privilege/);
    expect(v('USAGE', 'TABLE')).toMatch(/cannot be granted on TABLE/);
    expect(v('SELECT', 'DATABASE')).toMatch(/on/);
    expect(v('USAGE', 'SCHEMA', 'a.b')).toMatch(/must be a schema name/);
    expect(postgresGrantExecutor.validate?.({ privileges: [] })).toHaveLength(1);
    expect(postgresGrantExecutor.validate?.({ ...ok, ttlSeconds: -1 })).toHaveLength(1);
  });
});

describe('grantRoleName', () => {
  it('is deterministic, lower case, short and distinct per request', () => {
    const a = grantRoleName('01J9ZQ3V8K-Request');
    expect(a).toBe(grantRoleName('01J9ZQ3V8K-Request'));
    expect(a).toMatch(/^airlock_01j9zq3v8kre_[0-9a-f]{10}$/);
    expect(grantRoleName('x'.repeat(500)).length).toBeLessThanOrEqual(63);
    expect(grantRoleName('01J9ZQ3V8K-Request-2')).not.toBe(a);
  });
});
