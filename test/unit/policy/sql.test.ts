// SQL in policy rules is read by PostgreSQL's own parser: the demo's never-drop-prod rule sees a
// DROP TABLE whatever comments, case, quoting or statement lists surround it, ignores the words
// inside literals and comments, and fails closed on SQL that does not parse.

import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { evaluatePolicy } from '../../../policy/evaluate.js';
import { loadPolicyFile, parsePolicy } from '../../../policy/load.js';
import { parseSql, parseSqlParameter, SqlParseError } from '../../../policy/sql.js';
import { request } from './helpers.js';

describe('parseSql', () => {
  it('gives each statement its kind and its own text, multi-byte text included', () => {
    const statements = parseSql("SELECT 'é;ü' ; DROP/**/TABLE x;\n  UPDATE t SET a = 1");
    expect(statements.map((s) => [s.kind, s.text])).toEqual([
      ['SelectStmt', "SELECT 'é;ü'"],
      ['DropStmt', 'DROP/**/TABLE x'],
      ['UpdateStmt', 'UPDATE t SET a = 1'],
    ]);
    expect(statements[1]!.node).toMatchObject({ removeType: 'OBJECT_TABLE' });
  });

  it('keeps a BEGIN ATOMIC body in its statement', () => {
    const kinds = parseSql('CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3');
    expect(kinds.map((s) => s.kind)).toEqual(['CreateFunctionStmt', 'SelectStmt']);
  });

  it('has no statements in blank text or comments, and raises on what does not parse', () => {
    expect(parseSql('  ')).toEqual([]);
    expect(parseSql(' ; -- nothing')).toEqual([]);
    expect(() => parseSql('SELEKT 1')).toThrow(SqlParseError);
    expect(() => parseSql('SELEKT 1')).toThrow(/syntax error at or near "SELEKT"/);
    expect(parseSqlParameter(['SELECT 1', 'SELECT 2; SELECT 3'])).toHaveLength(3);
    expect(() => parseSqlParameter(42)).toThrow(SqlParseError);
    expect(() => parseSqlParameter(['SELECT 1', 2])).toThrow(SqlParseError);
  });
});

describe('the demo policy reads SQL with the parser', () => {
  const migrate = async (sql: unknown) => {
    const demo = await loadPolicyFile('demo/policy.yaml');
    return evaluatePolicy(demo, request({ action: 'db.schema.migrate', parameters: { sql } }));
  };

  it.each([
    'DROP TABLE x',
    'drop table x',
    'DrOp\nTABLE x',
    'DROP/**/TABLE x',
    'DROP/* nested /* comment */ still */TABLE x',
    'DROP -- a comment\n TABLE x',
    'SELECT 1; UPDATE t SET a = 1; DROP TABLE x; SELECT 2',
    'INSERT INTO t VALUES (\'a;b\'); DROP TABLE IF EXISTS "we;ird""name" CASCADE',
    'SELECT $$ ; $$; DROP\tTABLE public.x',
  ])('denies %j', async (sql) => {
    const decision = await migrate(sql);
    expect(decision).toMatchObject({ effect: 'deny', rule: 'never-drop-prod' });
    expect(decision.notes).toBeUndefined();
  });

  it('denies a DROP TABLE in any element of a statement list', async () => {
    const decision = await migrate(['SELECT 1', 'DROP TABLE x']);
    expect(decision).toMatchObject({ effect: 'deny', rule: 'never-drop-prod' });
    expect(decision.notes).toBeUndefined();
  });

  it.each([
    "SELECT 'drop table x'",
    'SELECT $$DROP TABLE x$$',
    '-- DROP TABLE x\nSELECT 1',
    '/* DROP TABLE x */ SELECT 1',
    'SELECT "drop table x" FROM t',
    'DROP INDEX drop_table_idx',
  ])('does not deny %j', async (sql) => {
    expect(await migrate(sql)).toMatchObject({ effect: 'require_approval', rule: 'default' });
  });

  it('fails closed on SQL that does not parse: the deny rule matches, with a note', async () => {
    const decision = await migrate('DROP TABLE x; SELEKT');
    expect(decision).toMatchObject({ effect: 'deny', rule: 'never-drop-prod' });
    expect(decision.notes).toEqual([
      expect.objectContaining({
        kind: 'whenError',
        treatedAs: 'match',
        message: expect.stringContaining('SQL does not parse'),
      }),
    ]);
  });
});

describe('sqlKinds and sqlStatements in CEL', () => {
  const policyWith = (when: string, effect: 'allow' | 'deny') =>
    parsePolicy(
      stringify({
        version: 1,
        groups: { security: ['sec@example.com'] },
        rules: [{ name: 'rule', when, effect }],
        default: { effect: 'require_approval', stages: [{ approvers: ['security'], timeout: '1h' }] },
      }),
      'test.yaml',
    );
  const decide = (when: string, effect: 'allow' | 'deny', sql: unknown) =>
    evaluatePolicy(policyWith(when, effect), request({ parameters: { sql } }));

  it('lists statement kinds and lets a rule look into the parse node', () => {
    const reads = 'sqlKinds(parameters.sql).all(k, k == "SelectStmt")';
    expect(decide(reads, 'allow', 'SELECT 1; SELECT 2').rule).toBe('rule');
    expect(decide(reads, 'allow', 'SELECT 1; DELETE FROM t').rule).toBe('default');
    const local = 'sqlStatements(parameters.sql).exists(s, s.kind == "VariableSetStmt" && s.node.is_local)';
    expect(decide(local, 'deny', 'SET LOCAL work_mem = 1').rule).toBe('rule');
    expect(decide(local, 'deny', 'SELECT 1').rule).toBe('default');
  });

  it('never allows SQL it could not read', () => {
    const reads = 'sqlKinds(parameters.sql).all(k, k == "SelectStmt")';
    const decision = decide(reads, 'allow', 'SELECT 1; SELEKT 2');
    expect(decision).toMatchObject({ effect: 'require_approval', rule: 'default' });
    expect(decision.notes).toMatchObject([{ kind: 'whenError', treatedAs: 'no_match' }]);
    expect(decide(reads, 'allow', { not: 'sql' }).rule).toBe('default');
  });
});
