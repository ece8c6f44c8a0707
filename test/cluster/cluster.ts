// A real Temporal cluster for the cluster test: the server built from its Go module, its two
// PostgreSQL databases created and migrated with its SQL tool on the machine's PostgreSQL, and
// the frontend, history, matching and worker services each in a process of its own (so one can
// be killed and restarted), then the namespace and Airlock's search attributes registered.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import pg from 'pg';
import { stringify } from 'yaml';
import { DYNAMIC_CONFIG, startDevServer, waitForFrontend } from '../../temporal/dev-server.js';
import { ensureTemporalCli } from '../../temporal/ensure-cli.mjs';
import { searchAttributeScript } from '../support/compose.js';
import { TEST_PG_ADMIN_URL } from '../support/postgres.js';
import {
  TEMPORAL_DB_PLUGIN,
  TEMPORAL_HISTORY_SHARDS,
  TEMPORAL_NAMESPACE,
  TEMPORAL_NAMESPACE_RETENTION,
  TEMPORAL_SCHEMAS,
  TEMPORAL_SERVICES,
  type TemporalService,
} from './contract.js';
import { ensureTemporalServer } from './server-binaries.js';

/** test/cluster/temporal-cluster.yaml, found by `--root <dir> --config . --env temporal-cluster`. */
const CONFIG_DIR = fileURLToPath(new URL('.', import.meta.url));
const CONFIG_ENV = 'temporal-cluster';

/**
 * The dev server's settings plus one for the test only: the namespace and search attributes
 * registered a moment before the first workflow start must reach every service's cache without
 * the default 10 s wait.
 */
const CLUSTER_DYNAMIC_CONFIG: Record<string, unknown> = {
  ...DYNAMIC_CONFIG,
  'system.namespaceCacheRefreshInterval': '1s',
};

export interface TemporalCluster {
  /** host:port of the frontend's gRPC endpoint. */
  address: string;
  namespace: string;
  /** The live process of a service (undefined while killed). */
  process(service: TemporalService): ChildProcess | undefined;
  /** kill -9 of one service's process; resolves once it is gone. */
  kill(service: TemporalService): Promise<void>;
  /** Starts one service's process again (same ports, same databases). */
  start(service: TemporalService): Promise<void>;
  /** The last lines a service wrote (for failure messages). */
  output(service: TemporalService): string;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[], what: string): void {
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
  if (res.status !== 0) {
    throw new Error(
      `${what} failed (exit ${res.status ?? res.signal}): ${(res.stderr || res.stdout).trim()}`,
    );
  }
}

/** Creates a database and brings it to the newest schema with the server's own SQL tool. */
function setupDatabase(sqlTool: string, schemaDir: string, name: string): void {
  const admin = new URL(TEST_PG_ADMIN_URL);
  const conn = [
    '--plugin',
    TEMPORAL_DB_PLUGIN,
    '--ep',
    admin.hostname,
    '--port',
    admin.port || '5432',
    '--user',
    decodeURIComponent(admin.username || 'postgres'),
    ...(admin.password ? ['--password', decodeURIComponent(admin.password)] : []),
    '--db',
    name,
  ];
  run(sqlTool, [...conn, 'create-database'], `temporal-sql-tool create-database ${name}`);
  run(sqlTool, [...conn, 'setup-schema', '-v', '0.0'], `temporal-sql-tool setup-schema ${name}`);
  run(
    sqlTool,
    [...conn, 'update-schema', '-d', join(schemaDir, 'versioned')],
    `temporal-sql-tool update-schema ${name}`,
  );
}

async function dropDatabases(names: string[]): Promise<void> {
  const c = new pg.Client({ connectionString: TEST_PG_ADMIN_URL });
  await c.connect();
  try {
    for (const name of names) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}

/**
 * A free loopback port below 32768: the membership table stores ports as smallint, so the
 * kernel's ephemeral range (freePort) does not fit.
 */
async function freeLowPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** Resolves once something accepts TCP connections on the port. */
async function waitForPort(port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on port ${port}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startCluster(
  log: (m: string) => void = (m) => console.error(m),
): Promise<TemporalCluster> {
  const bin = ensureTemporalServer(log);
  const cli = ensureTemporalCli({ log });
  if (!cli)
    throw new Error(
      'the cluster test registers search attributes with the Temporal CLI: install Go or set TEMPORAL_CLI_PATH',
    );
  const dir = mkdtempSync(join(tmpdir(), 'airlock-cluster-'));
  const suffix = randomBytes(4).toString('hex');
  const db = `airlock_cluster_${suffix}`;
  const visibilityDb = `${db}_visibility`;
  log(
    `[airlock] Temporal cluster: databases ${db} and ${visibilityDb} (temporal-sql-tool), then four services`,
  );
  setupDatabase(bin.sqlTool, join(bin.moduleDir, TEMPORAL_SCHEMAS.default), db);
  setupDatabase(bin.sqlTool, join(bin.moduleDir, TEMPORAL_SCHEMAS.visibility), visibilityDb);

  const dynamicConfig = join(dir, 'dynamicconfig.yaml');
  writeFileSync(
    dynamicConfig,
    stringify(
      Object.fromEntries(Object.entries(CLUSTER_DYNAMIC_CONFIG).map(([k, value]) => [k, [{ value }]])),
    ),
  );
  const admin = new URL(TEST_PG_ADMIN_URL);
  // Free ports, not 7233 and the rest: the machine's dev servers may hold those.
  const ports: Record<string, number> = {};
  for (const s of TEMPORAL_SERVICES) {
    ports[s] = await freeLowPort();
    ports[`${s}-membership`] = await freeLowPort();
  }
  const frontendHttp = await freeLowPort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AIRLOCK_CLUSTER_SHARDS: String(TEMPORAL_HISTORY_SHARDS),
    AIRLOCK_CLUSTER_DB: db,
    AIRLOCK_CLUSTER_VISIBILITY_DB: visibilityDb,
    AIRLOCK_CLUSTER_PG: `${admin.hostname}:${admin.port || '5432'}`,
    AIRLOCK_CLUSTER_PG_USER: decodeURIComponent(admin.username || 'postgres'),
    AIRLOCK_CLUSTER_PG_PASSWORD: decodeURIComponent(admin.password),
    AIRLOCK_CLUSTER_DYNAMIC_CONFIG: dynamicConfig,
    AIRLOCK_CLUSTER_FRONTEND_HTTP_PORT: String(frontendHttp),
  };
  for (const s of TEMPORAL_SERVICES) {
    env[`AIRLOCK_CLUSTER_${s.toUpperCase()}_PORT`] = String(ports[s]);
    env[`AIRLOCK_CLUSTER_${s.toUpperCase()}_MEMBERSHIP_PORT`] = String(ports[`${s}-membership`]);
  }

  const procs = new Map<TemporalService, ChildProcess>();
  const tails = new Map<TemporalService, string>();
  const spawnService = async (service: TemporalService): Promise<void> => {
    const child = spawn(
      bin.server,
      ['--root', CONFIG_DIR, '--config', '.', '--env', CONFIG_ENV, 'start', '--service', service],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    procs.set(service, child);
    tails.set(service, '');
    const file = createWriteStream(join(dir, `${service}.log`), { flags: 'a' });
    const keep = (chunk: Buffer) => {
      tails.set(service, ((tails.get(service) ?? '') + chunk.toString()).slice(-4000));
      file.write(chunk);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', () => {
      file.end();
      if (procs.get(service) === child) procs.delete(service);
    });
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) =>
        reject(new Error(`temporal ${service} exited (${code ?? signal}): ${tails.get(service)}`)),
      ),
    );
    exited.catch(() => {});
    // The worker service serves no gRPC of its own: its membership port says it is up.
    const port = service === 'worker' ? ports['worker-membership']! : ports[service]!;
    await Promise.race([waitForPort(port, 60_000, `temporal ${service}`), exited]);
  };
  const kill = async (service: TemporalService): Promise<void> => {
    const child = procs.get(service);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  };
  const stop = async (): Promise<void> => {
    await Promise.all(
      [...procs.values()].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await gone;
        clearTimeout(timer);
      }),
    );
    await dropDatabases([db, visibilityDb]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };

  const address = `127.0.0.1:${ports.frontend}`;
  try {
    // One after the other: the first to start writes the cluster metadata, and two at once race
    // on it (the loser exits). They find each other through the membership table.
    await spawnService('history');
    await spawnService('matching');
    await spawnService('frontend');
    await waitForFrontend(address, 60_000);
    await spawnService('worker');
    await registerNamespace(address, cli);
    log(`[airlock] Temporal cluster up: frontend ${address}, logs in ${dir}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    address,
    namespace: TEMPORAL_NAMESPACE,
    process: (service) => procs.get(service),
    kill,
    start: spawnService,
    output: (service) => tails.get(service) ?? '',
    stop,
  };
}

/**
 * The same interface on `temporal server start-dev` (one process, SQLite in memory), so the same
 * scenarios give the dev server's figures next to the cluster's (AIRLOCK_CLUSTER_TEMPORAL=dev-server).
 * It has no separate services to kill.
 */
export async function startDevServerAsCluster(): Promise<TemporalCluster> {
  const cliPath = ensureTemporalCli();
  if (!cliPath) throw new Error('the dev server needs the Temporal CLI: install Go or set TEMPORAL_CLI_PATH');
  const dev = await startDevServer({ cliPath, headless: true });
  const single = () => {
    throw new Error('the dev server runs every service in one process');
  };
  return {
    address: dev.address,
    namespace: TEMPORAL_NAMESPACE,
    process: () => dev.process,
    kill: async () => single(),
    start: async () => single(),
    output: () => '',
    stop: () => dev.stop(),
  };
}

/** What the compose file does: the namespace (auto-setup), then Airlock's search attributes. */
async function registerNamespace(address: string, cliPath: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await connection.workflowService.registerNamespace({
          namespace: TEMPORAL_NAMESPACE,
          workflowExecutionRetentionPeriod: msToTs(TEMPORAL_NAMESPACE_RETENTION),
        });
        break;
      } catch (err) {
        // ALREADY_EXISTS (6): a retry after a timed-out first attempt.
        if ((err as { code?: number }).code === 6) break;
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    // The compose file's one-shot script itself, with the real CLI: what it registers, and how
    // it reads the CLI's list, is what runs here.
    const { script, env } = searchAttributeScript();
    const res = spawnSync('/bin/sh', ['-c', script], {
      env: {
        ...env,
        TEMPORAL_ADDRESS: address,
        // The CLI reads its config from HOME, and stops without one.
        HOME: process.env.HOME,
        PATH: `${dirname(cliPath)}${delimiter}${process.env.PATH}`,
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (res.status !== 0) {
      throw new Error(
        `the compose file's search-attribute script failed (${res.status ?? res.signal}): ${res.stderr}${res.stdout.slice(-1000)}`,
      );
    }
    // Every service must see the namespace before a workflow starts in it.
    const ready = Date.now() + 30_000;
    for (;;) {
      try {
        await connection.workflowService.describeNamespace({ namespace: TEMPORAL_NAMESPACE });
        const sa = await connection.operatorService.listSearchAttributes({ namespace: TEMPORAL_NAMESPACE });
        if (Object.keys(sa.customAttributes ?? {}).includes('AirlockStatus')) break;
      } catch (err) {
        if (Date.now() > ready) throw err;
      }
      if (Date.now() > ready) throw new Error('the namespace or its search attributes never became visible');
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await connection.close();
  }
}
