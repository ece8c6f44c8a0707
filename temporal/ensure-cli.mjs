#!/usr/bin/env node
// Finds the Temporal CLI (which carries the dev server and Web UI) or installs it with Go.
// Plain JavaScript on purpose: `npm start` and `npm test` call it before dependencies exist.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function goBinDirs() {
  const dirs = [];
  try {
    const gobin = execFileSync('go', ['env', 'GOBIN'], { encoding: 'utf8' }).trim();
    if (gobin) dirs.push(gobin);
    const gopath = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim();
    for (const p of gopath.split(delimiter)) if (p) dirs.push(join(p, 'bin'));
  } catch {
    // No Go toolchain: only the default GOPATH is worth a look.
  }
  dirs.push(join(homedir(), 'go', 'bin'));
  return dirs;
}

/** Every executable called `name` on PATH or in Go's bin directories, in that order. */
export function findExecutables(name, env = process.env) {
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...goBinDirs()];
  return [...new Set(dirs.map((d) => join(d, name)))].filter(executable);
}

/** The path of an installed `temporal` CLI, or undefined. */
export function findTemporalCli(env = process.env) {
  if (env.TEMPORAL_CLI_PATH) {
    if (!executable(env.TEMPORAL_CLI_PATH)) {
      throw new Error(`TEMPORAL_CLI_PATH: ${env.TEMPORAL_CLI_PATH} is not an executable file`);
    }
    return env.TEMPORAL_CLI_PATH;
  }
  return findExecutables('temporal', env)[0];
}

export function hasGo() {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

/**
 * `go install` of the given module@version paths; throws when Go reports an error. `gobin`
 * installs into that directory instead (for a binary whose name another one already takes).
 */
export function goInstall(modules, { log = (m) => console.error(m), what = modules.join(' '), gobin } = {}) {
  log(`[airlock] Installing ${what}: go install ${modules.join(' ')} (first build takes a few minutes)...`);
  const res = spawnSync('go', ['install', ...modules], {
    stdio: ['ignore', 'inherit', 'inherit'],
    ...(gobin ? { env: { ...process.env, GOBIN: gobin } } : {}),
  });
  if (res.status !== 0) {
    throw new Error(
      `go install ${modules.join(' ')} failed with exit code ${res.status}; see Go's error above`,
    );
  }
}

/**
 * Returns the CLI path, installing it with `go install` when Go is there. Returns undefined
 * when neither is possible (the caller then lets the Temporal SDK download the CLI).
 */
export function ensureTemporalCli({ log = (m) => console.error(m), env = process.env } = {}) {
  const found = findTemporalCli(env);
  if (found) return found;
  if (!hasGo()) {
    log('[airlock] No Temporal CLI found and no Go toolchain to build it.');
    return undefined;
  }
  goInstall([TEMPORAL_CLI_MODULE], { log, what: 'the Temporal CLI' });
  const installed = findTemporalCli(env);
  if (!installed) throw new Error('go install succeeded but the temporal binary is not in GOBIN/GOPATH/bin');
  log(`[airlock] Temporal CLI installed at ${installed}`);
  return installed;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const path = ensureTemporalCli();
    if (!path) {
      console.error(
        '[airlock] Install Go or set TEMPORAL_CLI_PATH; `npm start` can also let the Temporal SDK download it.',
      );
      process.exit(1);
    }
    console.log(path);
  } catch (err) {
    console.error(`[airlock] ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
}
