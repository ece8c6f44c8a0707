// Policy rules that read Airlock's preview: decided only once it exists (the rules before them
// still decide first), failing closed while it is missing or failed; requirePreview and drift
// are parsed into the decision; bad drift values are load errors.
import { describe, expect, it } from 'vitest';
import { evaluateBeforePreview, evaluatePolicy } from '../../../policy/evaluate.js';
import { parsePolicy } from '../../../policy/load.js';
import type { PolicyInput } from '../../../policy/types.js';

const POLICY = `version: 1
groups: { dba: [dana@example.com], pair: [p1@example.com, p2@example.com] }
rules:
  - name: no-drops
    match: { action: "db.schema.drop" }
    effect: deny
  - name: big-writes
    match: { action: "db.schema.*" }
    when: 'preview.rowsAffected > 1000'
    effect: require_approval
    stages: [{ approvers: [pair], minApprovals: 2, timeout: 10m }]
    drift: { rows: "5%" }
  - name: sql
    match: { action: "db.schema.*" }
    effect: require_approval
    requirePreview: true
    drift: { rows: 3, http: allow }
    stages: [{ approvers: [dba], timeout: 10m }]
default: { effect: deny }
`;
const policy = parsePolicy(POLICY, 'p.yaml');

const input = (action: string, preview?: Record<string, unknown>): PolicyInput => ({
  action,
  resource: 'postgres://analytics/customers',
  environment: 'production',
  parameters: { sql: 'DELETE FROM customers' },
  requester: 'ci@example.com',
  now: '2030-01-02T03:00:00.000Z',
  ...(preview ? { preview } : {}),
});

describe('rules that read the preview', () => {
  it('wait for it: before the preview there is no decision once such a rule is reached', () => {
    expect(policy.rules[1]!.when?.readsPreview).toBe(true);
    expect(policy.rules[0]!.when).toBeUndefined();
    expect(evaluateBeforePreview(policy, input('db.schema.migrate'))).toBeUndefined();
  });

  it('do not hold back the rules before them, nor requests their globs do not match', () => {
    expect(evaluateBeforePreview(policy, input('db.schema.drop'))?.rule).toBe('no-drops');
    expect(evaluateBeforePreview(policy, input('http.config'))?.rule).toBe('default');
  });

  it('decide with the preview: a large write meets the stricter rule, a small one the next', () => {
    const big = evaluatePolicy(policy, input('db.schema.migrate', { status: 'ok', rowsAffected: 1304 }));
    expect(big).toMatchObject({ rule: 'big-writes', afterPreview: true, drift: { rows: { percent: 5 } } });
    expect(big.stages[0]!.minApprovals).toBe(2);
    const small = evaluatePolicy(policy, input('db.schema.migrate', { status: 'ok', rowsAffected: 12 }));
    expect(small).toMatchObject({
      rule: 'sql',
      requirePreview: true,
      drift: { rows: { absolute: 3 }, http: 'allow' },
    });
  });

  it('fail closed when the preview has no figure (failed, unavailable): the stricter rule matches', () => {
    const failed = evaluatePolicy(policy, input('db.schema.migrate', { status: 'failed', reason: 'lock' }));
    expect(failed.rule).toBe('big-writes');
    expect(failed.notes?.[0]).toMatchObject({ kind: 'whenError', rule: 'big-writes', treatedAs: 'match' });
  });

  it.each([
    ['rows: "five"', /drift.rows/],
    ['rows: -1', /drift.rows/],
    ['http: sometimes', /drift.http/],
    ['lines: 3', /drift/],
  ])('refuses drift { %s } at load', (drift, where) => {
    const text = POLICY.replace('drift: { rows: 3, http: allow }', `drift: { ${drift} }`);
    expect(() => parsePolicy(text, 'p.yaml')).toThrow(where);
  });
});
