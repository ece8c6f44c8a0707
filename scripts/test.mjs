#!/usr/bin/env node
// `npm test`: installs what is missing, checks the services the tests need (the Temporal CLI
// and PostgreSQL), then runs the linter, the type-checker and every test.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTemporalCli } from '../temporal/ensure-cli.mjs';
import { ensureDependencies } from './ensure-deps.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(label, cmd, args) {
  console.error(`[airlock] ${label}: ${cmd} ${args.join(' ')}`);
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) {
    console.error(`[airlock] ${label} failed (exit ${res.status ?? res.signal})`);
    process.exit(res.status ?? 1);
  }
}

try {
  ensureDependencies(root);
  const cli = ensureTemporalCli();
  if (!cli)
    throw new Error(
      'the tests need the Temporal CLI: install Go (it is built with go install) or set TEMPORAL_CLI_PATH',
    );
  process.env.TEMPORAL_CLI_PATH = cli;
} catch (err) {
  console.error(`[airlock] ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}

const pgUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const probe = spawnSync(
  process.execPath,
  [
    '-e',
    `const pg=require('pg');const c=new pg.Client({connectionString:${JSON.stringify(pgUrl)},connectionTimeoutMillis:3000});c.connect().then(()=>c.end()).then(()=>process.exit(0),()=>process.exit(1))`,
  ],
  { cwd: root },
);
if (probe.status !== 0) {
  console.error(
    `[airlock] PostgreSQL is not reachable at ${pgUrl.replace(/:[^:@/]*@/, ':***@')}; start it or set TEST_DATABASE_URL.`,
  );
  process.exit(1);
}

run('lint', 'npm', ['run', '--silent', 'lint']);

// vitest's JSON report gives the counts for one plain closing line that any CI can read.
const report = join(mkdtempSync(join(tmpdir(), 'airlock-test-')), 'report.json');
const res = spawnSync(
  'npx',
  [
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: 'inherit' },
);
let counts;
try {
  counts = JSON.parse(readFileSync(report, 'utf8'));
} catch {
  counts = undefined;
}
if (counts) {
  const skipped = counts.numPendingTests + counts.numTodoTests;
  console.log(
    `tests: ${counts.numPassedTests} passed, ${counts.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`,
  );
}
process.exit(res.status ?? 1);
