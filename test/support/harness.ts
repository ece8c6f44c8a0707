// Starts the real composition root (main.ts) for a test: its own PostgreSQL database, task
// queue, policy and config files, on the shared Temporal dev server, with fake chat channels.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pino, { type Logger } from 'pino';
import { inject } from 'vitest';
import type { ChannelAdapter } from '../../bots/channel.js';
import type { ChannelPluginFactory } from '../../bots/plugin.js';
import { generateApiKey, hashApiKey } from '../../config/api-keys.js';
import { type RunningAirlock, startAirlock } from '../../main.js';
import { archiverScheduleId } from '../../temporal/archiver-schedule.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

export interface Principal {
  principal: string;
  roles: string[];
  /** The human this principal's API key always acts for (apiKeys[].onBehalfOf). */
  onBehalfOf?: string;
}

export interface HarnessOptions {
  policy: string;
  /** Service config YAML without apiKeys; the harness adds one key per principal. */
  config: string;
  principals: Principal[];
  channels?: ChannelAdapter[];
  /** Channel plugins (the Teams or Slack adapter under test, against their fakes). */
  plugins?: ChannelPluginFactory[];
  env?: Record<string, string>;
  /** The service's logger (default: silent); the fault cases keep its lines to check refusals. */
  logger?: Logger;
}

export interface Harness {
  airlock: RunningAirlock;
  env: NodeJS.ProcessEnv;
  url: string;
  db: TestDatabase;
  dir: string;
  keys: Record<string, string>;
  /** fetch against the API as a principal (by e-mail). */
  api(
    principal: string | undefined,
    path: string,
    init?: { method?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-h-'));
  const db = await createTestDatabase();
  const keys: Record<string, string> = {};
  const apiKeyLines = opts.principals.map((p) => {
    const key = generateApiKey('test');
    keys[p.principal] = key;
    const behalf = p.onBehalfOf ? `, onBehalfOf: ${p.onBehalfOf}` : '';
    return `  - { principal: ${p.principal}, roles: [${p.roles.join(', ')}], sha256: ${hashApiKey(key)}${behalf} }`;
  });
  writeFileSync(join(dir, 'policy.yaml'), opts.policy);
  writeFileSync(join(dir, 'airlock.yaml'), `apiKeys:\n${apiKeyLines.join('\n')}\n${opts.config}`);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: '0',
    AIRLOCK_CONFIG: join(dir, 'airlock.yaml'),
    AIRLOCK_POLICY: join(dir, 'policy.yaml'),
    AIRLOCK_DATA_DIR: join(dir, 'data'),
    AIRLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `airlock-test-${randomBytes(6).toString('hex')}`,
    LOG_LEVEL: 'silent',
    // The archiver appends history.archived to closed requests whenever its Schedule fires (every
    // 5 min by default, aligned to the clock), which would land in the middle of tests that compare
    // a request's exact event list. Tests of the archiver set their own short interval.
    AIRLOCK_ARCHIVE_INTERVAL: '6h',
    // The suites submit and poll far faster than any caller should; the cases about rate limits
    // set their own.
    AIRLOCK_RATE_LIMIT_WRITES: 'off',
    AIRLOCK_RATE_LIMIT_READS: 'off',
    ...opts.env,
  };
  let airlock: RunningAirlock;
  try {
    airlock = await startAirlock(env, {
      workflowBundlePath: inject('workflowBundlePath'),
      logger: opts.logger ?? silentLogger,
      channels: opts.channels,
      plugins: opts.plugins,
    });
  } catch (err) {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const url = airlock.url!;
  return {
    airlock,
    env,
    url,
    db,
    dir,
    keys,
    api: apiCaller(url, keys),
    async stop() {
      await airlock.stop();
      await deleteArchiverSchedule(env);
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** fetch against one Airlock API (by its URL) as a principal of `keys`, JSON in and out. */
export function apiCaller(url: string, keys: Record<string, string>): Harness['api'] {
  return async (principal, path, init = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    if (principal) headers.authorization = `Bearer ${keys[principal]}`;
    if (init.body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${url}${path}`, {
      method: init.method ?? (init.body !== undefined ? 'POST' : 'GET'),
      headers,
      body:
        init.body === undefined
          ? undefined
          : typeof init.body === 'string'
            ? init.body
            : JSON.stringify(init.body),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: keep the text.
    }
    return { status: res.status, body, headers: res.headers };
  };
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
}

/**
 * The archiver's Schedule outlives the service by design; on the shared test server it would keep
 * starting workflows on a task queue nobody polls any more, so each harness removes its own.
 */
async function deleteArchiverSchedule(env: NodeJS.ProcessEnv): Promise<void> {
  if (!env.TEMPORAL_ADDRESS || !env.TEMPORAL_TASK_QUEUE) return;
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  try {
    await new Client({ connection }).schedule
      .getHandle(archiverScheduleId(env.TEMPORAL_TASK_QUEUE))
      .delete()
      .catch(() => {});
  } finally {
    await connection.close();
  }
}
