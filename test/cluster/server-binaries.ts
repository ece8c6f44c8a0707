// Finds or builds the real Temporal server and its SQL schema tool the way
// temporal/ensure-cli.mjs provides the CLI: `go install` of the pinned module, the binaries
// cached in Go's bin directory, and a message saying what is happening and what to do.
import { execFileSync, spawnSync } from 'node:child_process';
import { findExecutables, goInstall, hasGo } from '../../temporal/ensure-cli.mjs';
import { TEMPORAL_SERVER_MODULES, TEMPORAL_SERVER_VERSION } from './contract.js';

export interface TemporalServerBinaries {
  /** `server`: every service, one per process with `start --service <name>`. */
  server: string;
  /** `sql` (temporal-sql-tool): creates the databases and applies the schemas. */
  sqlTool: string;
  /** The server module's source directory (its schema/ and config/ directories). */
  moduleDir: string;
}

const SERVER_MODULE = 'go.temporal.io/server';

/** Whether Go stamped `binary` as built from package `pkg` of `module` at `version`. */
export function builtFrom(binary: string, pkg: string, module: string, version: string): boolean {
  const res = spawnSync('go', ['version', '-m', binary], { encoding: 'utf8' });
  if (res.status !== 0) return false;
  const path = /^\s*path\s+(\S+)/m.exec(res.stdout)?.[1];
  const mod = /^\s*mod\s+(\S+)\s+(\S+)/m.exec(res.stdout);
  return path === pkg && mod?.[1] === module && mod[2] === version;
}

/** A binary named `name` built from `pkg` at the pinned version (another version is skipped). */
function findBuilt(name: string, pkg: string): string | undefined {
  return findExecutables(name).find((bin) =>
    builtFrom(bin, pkg, SERVER_MODULE, `v${TEMPORAL_SERVER_VERSION}`),
  );
}

function findBoth(): { server?: string; sqlTool?: string } {
  return {
    server: findBuilt('server', `${SERVER_MODULE}/cmd/server`),
    sqlTool: findBuilt('sql', `${SERVER_MODULE}/cmd/tools/sql`),
  };
}

export function ensureTemporalServer(
  log: (m: string) => void = (m) => console.error(m),
): TemporalServerBinaries {
  if (!hasGo()) {
    throw new Error(
      `the cluster test builds the Temporal server ${TEMPORAL_SERVER_VERSION} with Go (go install ${TEMPORAL_SERVER_MODULES.join(' ')}); install Go 1.23 or later`,
    );
  }
  let found = findBoth();
  if (!found.server || !found.sqlTool) {
    goInstall(TEMPORAL_SERVER_MODULES, {
      log,
      what: `the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL tool (about two minutes)`,
    });
    found = findBoth();
    if (!found.server || !found.sqlTool) {
      throw new Error('go install succeeded but the server and sql binaries are not in GOBIN/GOPATH/bin');
    }
    log(`[airlock] Temporal server installed at ${found.server}, SQL tool at ${found.sqlTool}`);
  }
  // The module is in the cache after go install; `go mod download` says where (and fetches it
  // when the binaries were cached but the module cache was cleaned).
  const info = JSON.parse(
    execFileSync('go', ['mod', 'download', '-json', `${SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION}`], {
      encoding: 'utf8',
    }),
  ) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download ${SERVER_MODULE}: ${info.Error ?? 'no directory'}`);
  return { server: found.server, sqlTool: found.sqlTool, moduleDir: info.Dir };
}
