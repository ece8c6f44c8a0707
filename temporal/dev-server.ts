// Starts and stops the Temporal CLI's dev server (SQLite file, Web UI, Airlock's search
// attributes) for `npm start` and for the tests. Production points TEMPORAL_ADDRESS elsewhere.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_TYPES } from '../workflows/search-attributes.js';

/**
 * Server settings the dev server does not default to. Eager activity execution: an activity that a
 * workflow task schedules on its own task queue comes back with the task's completion, instead of
 * through matching, which took 20-30 ms per activity on the bench machine (an approved
 * request's execution starts that much sooner). docs/runbook.md asks for it on other servers.
 */
export const DYNAMIC_CONFIG: Record<string, unknown> = { 'system.enableActivityEagerExecution': true };

const dynamicConfigArgs = (): string[] =>
  Object.entries(DYNAMIC_CONFIG).flatMap(([key, value]) => [
    '--dynamic-config-value',
    `${key}=${JSON.stringify(value)}`,
  ]);

export interface DevServerOptions {
  cliPath: string;
  /** SQLite file for persistence; omitted = in memory (tests). */
  dbFilename?: string;
  port?: number;
  uiPort?: number;
  headless?: boolean;
  namespace?: string;
  codecEndpoint?: string;
  /** Where the server's own output goes; omitted = discarded. */
  logFile?: string;
  ip?: string;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  /** The server process when we spawned it ourselves (absent for the SDK-downloaded one). */
  process?: ChildProcess;
  stop(): Promise<void>;
}

/** A free TCP port on the loopback interface (bind to 0, read it, release it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port ?? (await freePort());
  const uiPort = opts.headless ? undefined : (opts.uiPort ?? (await freePort()));
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--log-level', 'warn'];
  if (opts.dbFilename) args.push('--db-filename', opts.dbFilename);
  if (opts.headless) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (opts.namespace && opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  if (opts.codecEndpoint) args.push('--ui-codec-endpoint', opts.codecEndpoint);
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_TYPES))
    args.push('--search-attribute', `${name}=${type}`);
  args.push(...dynamicConfigArgs());

  const child = spawn(opts.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  if (opts.logFile) {
    const log = createWriteStream(opts.logFile, { flags: 'a' });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const address = `${ip}:${port}`;
  const ready = await Promise.race([waitForFrontend(address, 60_000), exited.then(() => false as const)]);
  if (ready !== true) {
    child.kill('SIGKILL');
    throw new Error(`the Temporal dev server did not start on ${address}: ${output.trim() || 'no output'}`);
  }
  return {
    address,
    uiUrl: uiPort ? `http://${ip === '0.0.0.0' ? 'localhost' : ip}:${uiPort}` : undefined,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function waitForFrontend(address: string, timeoutMs: number): Promise<true> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.getSystemInfo({});
        return true;
      } finally {
        await conn.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`Temporal frontend at ${address} not ready: ${String(lastError)}`);
}

/**
 * Fallback where no CLI can be found or built: the Temporal SDK downloads the CLI itself
 * (needs internet) and runs the same dev server, persistent and with its Web UI.
 */
export async function startDownloadedDevServer(
  opts: Omit<DevServerOptions, 'cliPath' | 'logFile'>,
): Promise<DevServer> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const { SA } = await import('../workflows/search-attributes.js');
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port ?? (await freePort());
  const uiPort = opts.headless ? undefined : (opts.uiPort ?? (await freePort()));
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ip,
      port,
      ...(uiPort ? { ui: true, uiPort } : {}),
      ...(opts.dbFilename ? { dbFilename: opts.dbFilename } : {}),
      namespace: opts.namespace,
      searchAttributes: Object.values(SA),
      extraArgs: [
        ...dynamicConfigArgs(),
        ...(opts.codecEndpoint ? ['--ui-codec-endpoint', opts.codecEndpoint] : []),
      ],
    },
  });
  return {
    address: env.address,
    uiUrl: uiPort ? `http://${ip}:${uiPort}` : undefined,
    stop: () => env.teardown(),
  };
}
