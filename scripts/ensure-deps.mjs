// Installs the npm dependencies when they are missing or older than package-lock.json, so
// `npm start` and `npm test` work on a fresh clone with nothing run before them.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function ensureDependencies(root) {
  const [major] = process.versions.node.split('.').map(Number);
  if (major < 20) throw new Error(`Airlock needs Node.js 20 or newer; this is ${process.versions.node}`);
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  const stale =
    !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs);
  if (!stale) return;
  // `npm install` installs the locked versions; `npm ci` is refused where a registry lacks other
  // platforms' optional binaries, and install scripts are skipped (see .ci/run for both).
  console.error('[airlock] Installing dependencies (npm install --ignore-scripts)...');
  const res = spawnSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (res.status !== 0) throw new Error(`npm install failed with exit code ${res.status}`);
}
