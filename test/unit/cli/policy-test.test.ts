// The policy-test command: passes the demo cases, fails (exit 1) and names the mismatch when a
// case expects something the policy does not do.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { run } from '../../../cli/airlock.js';

describe('airlock policy test', () => {
  it('passes the demo policy cases', async () => {
    const lines: string[] = [];
    const code = await run(
      ['policy', 'test', 'demo/policy-tests.yaml', '--policy', 'demo/policy.yaml'],
      (l) => lines.push(l),
    );
    expect(code).toBe(0);
    const cases = (parse(readFileSync('demo/policy-tests.yaml', 'utf8')) as { cases: unknown[] }).cases;
    expect(cases.length).toBeGreaterThanOrEqual(6);
    expect(lines.filter((l) => l.startsWith('PASS'))).toHaveLength(cases.length);
  });

  it('fails and names the difference when a case is wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-cli-'));
    const file = join(dir, 'cases.yaml');
    writeFileSync(
      file,
      'cases:\n  - name: staging is not free\n    request: { action: db.export, environment: staging }\n    expect: { effect: deny }\n',
    );
    const lines: string[] = [];
    const code = await run(['policy', 'test', file, '--policy', 'demo/policy.yaml'], (l) => lines.push(l));
    expect(code).toBe(1);
    expect(lines[0]).toBe('FAIL staging is not free: effect: expected deny, got allow');
  });

  it('refuses a malformed cases file with the field named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-cli-'));
    const file = join(dir, 'cases.yaml');
    writeFileSync(
      file,
      'cases:\n  - name: x\n    request: { environment: prod }\n    expect: { effect: maybe }\n',
    );
    const errors: string[] = [];
    const code = await run(
      ['policy', 'test', file, '--policy', 'demo/policy.yaml'],
      () => {},
      {},
      (l) => errors.push(l),
    );
    expect(code).toBe(2);
    expect(errors.join('\n')).toMatch(/cases\.0\.request\.action/);
  });
});
