#!/usr/bin/env node
// `npm start`: installs what is missing (dependencies, the Temporal CLI where Go is there),
// then runs the whole service on its embedded defaults: main.ts under tsx.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTemporalCli } from '../temporal/ensure-cli.mjs';
import { ensureDependencies } from './ensure-deps.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

try {
  ensureDependencies(root);
  if (!process.env.TEMPORAL_ADDRESS) {
    const cli = ensureTemporalCli();
    if (cli) console.error(`[airlock] Temporal CLI: ${cli}`);
    else
      console.error(
        '[airlock] No Temporal CLI and no Go: the Temporal SDK will download the CLI at start-up.',
      );
  }
} catch (err) {
  console.error(`[airlock] ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}

console.error('[airlock] Starting Airlock (Temporal dev server, worker, API)...');
const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'main.ts')], {
  cwd: root,
  // Fewer glibc malloc arenas and a heap limit: the worker's threads otherwise keep freed memory,
  // and V8 lets its heaps grow far past what is live (docs/runbook.md).
  env: { MALLOC_ARENA_MAX: '2', NODE_OPTIONS: '--max-old-space-size=512', ...process.env },
  stdio: 'inherit',
});
// Ctrl-C reaches the child through the terminal's process group; SIGTERM is passed on.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
