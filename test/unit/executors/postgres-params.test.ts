// postgres.sql and postgres.grant parameter checks: statement splitting, no transaction control,
// strict identifiers and an allow-list of privileges; deterministic grant role names.
import { describe, expect, it } from 'vitest';
import {
  grantRoleName,
  parseGrantParameters,
  postgresGrantExecutor,
} from '../../../executors/postgres-grant.js';
import { parseStatements, postgresSqlExecutor } from '../../../executors/postgres-sql.js';
import { isTransactionControl, splitSql } from '../../../executors/sql-split.js';

describe('splitSql', () => {
  it('splits on top-level semicolons only', () => {
    const sql = `INSERT INTO t VALUES ('a;b', E'c\\';d'); -- x; y
      /* a; /* nested; */ b; */ CREATE FUNCTION f() RETURNS int AS $fn$ SELECT 1; $fn$ LANGUAGE sql;
      SELECT "we;ird" FROM t;;  `;
    const parts = splitSql(sql);
    expect(parts).toHaveLength(3);
    expect(parts[0]).toBe("INSERT INTO t VALUES ('a;b', E'c\\';d')");
    expect(parts[1]).toMatch(/CREATE FUNCTION[\s\S]*\$fn\$ LANGUAGE sql$/);
    expect(parts[2]).toBe('SELECT "we;ird" FROM t');
  });

  it('recognises transaction control behind comments', () => {
    expect(isTransactionControl('  -- c\n COMMIT')).toBe(true);
    expect(isTransactionControl('/* x */ rollback to savepoint a')).toBe(true);
    expect(isTransactionControl('start transaction')).toBe(true);
    expect(isTransactionControl('DO $$ BEGIN PERFORM 1; END $$')).toBe(false);
    expect(isTransactionControl('UPDATE t SET ending = 1')).toBe(false);
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
