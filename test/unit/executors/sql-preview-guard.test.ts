// Which statements a postgres.sql preview runs, EXPLAINs or refuses to run, read from the parse
// tree: no comment, case or nesting hides a statement whose effect a rollback does not undo.
import { describe, expect, it } from 'vitest';
import { previewModeOf } from '../../../executors/sql-preview-guard.js';
import { parseSql } from '../../../policy/sql.js';

const mode = (sql: string) => previewModeOf(parseSql(sql)[0]!);

describe('previewModeOf', () => {
  it.each([
    ['UPDATE t SET a = 1 WHERE id = 2', 'run'],
    ['DELETE FROM t', 'run'],
    ['INSERT INTO t VALUES (1)', 'run'],
    ['CREATE INDEX i ON t (a)', 'run'],
    ['ALTER TABLE t ADD COLUMN b int', 'run'],
    ['ANALYZE t', 'run'],
    ['SELECT * FROM t FOR UPDATE', 'run'],
    ['SELECT * INTO t2 FROM t', 'run'],
    ['WITH d AS (DELETE FROM t RETURNING *) SELECT count(*) FROM d', 'run'],
    ['SELECT a FROM t WHERE b > 1', 'explain'],
    ['EXPLAIN SELECT a FROM t', 'run'],
  ])('%s: %s', (sql, expected) => {
    expect(mode(sql).mode).toBe(expected);
  });

  it.each([
    ['vacuum /* x */ t', /VACUUM/],
    ['CREATE INDEX CONCURRENTLY i ON t (a)', /CONCURRENTLY/],
    ['DROP INDEX CONCURRENTLY i', /CONCURRENTLY/],
    ['REINDEX INDEX CONCURRENTLY i', /REINDEX CONCURRENTLY/],
    ["INSERT INTO t VALUES (NEXTVAL('s'))", /nextval/],
    ["SELECT pg_catalog.setval('s', 1)", /setval/],
    ["UPDATE t SET a = (SELECT x FROM dblink('c', 'SELECT 1') AS r(x int))", /dblink/],
    ["SELECT pg_notify('c', 'x')", /pg_notify/],
    ['LISTEN c; NOTIFY c', undefined],
    ["COPY t TO PROGRAM 'gzip > /tmp/t'", /PROGRAM/],
    ["COPY t FROM '/etc/passwd'", /file/],
    ['COPY t TO STDOUT', /streams data/],
    ['DO $$ BEGIN END $$', /DO block/],
    ['CALL p()', /CALL/],
    ['CREATE DATABASE d', /CREATE DATABASE/],
    ['ALTER SYSTEM SET work_mem = 1', /ALTER SYSTEM/],
    ['SELECT pg_advisory_lock(1)', /session lock/],
  ])('does not run %s', (sql, why) => {
    if (why === undefined) {
      const [, notify] = parseSql(sql);
      expect(previewModeOf(notify!)).toMatchObject({ mode: 'not_run', why: expect.stringMatching(/NOTIFY/) });
      return;
    }
    expect(mode(sql)).toMatchObject({ mode: 'not_run', why: expect.stringMatching(why) });
  });
});
