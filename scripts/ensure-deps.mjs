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
  // A fresh clone gets `npm ci` (exactly the lockfile); a stale node_modules is brought to the
  // locked versions with `npm install`, which keeps what is already there. Install scripts are
  // skipped (see .ci/run).
  const args = existsSync(join(root, 'node_modules')) ? ['install'] : ['ci'];
  console.error(`[airlock] Installing dependencies (npm ${args[0]} --ignore-scripts)...`);
  const res = spawnSync('npm', [...args, '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (res.status !== 0) throw new Error(`npm ${args[0]} failed with exit code ${res.status}`);
}
