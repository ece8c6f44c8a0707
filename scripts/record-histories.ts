// Records the Temporal histories that guard the action-request workflow against
// non-determinism: test/integration/replay.test.ts replays every file this script writes to
// test/fixtures/histories/ against the current workflow code, so `npm test` fails when a code
// change would break requests that are already running in production.
//
//   npx tsx scripts/record-histories.ts                # record every scenario
//   npx tsx scripts/record-histories.ts expiry cancel  # re-record only these scenarios
//
// It starts everything for real on this machine: its own headless Temporal dev server (the
// Temporal CLI, installed with Go when missing), a fresh PostgreSQL database for the audit trail
// and another as the target of `postgres.grant` (TEST_DATABASE_URL, as in the tests), a local
// HTTP target, a recording chat channel, and the real service through `startAirlock`. Each
// scenario drives one request over the REST API until its workflow has closed, then writes that
// workflow's full history (historyToJSON, the format `Worker.runReplayHistory` reads back).
//
// When to re-record: Airlock has had no release yet, so no execution of an older workflow can
// be running anywhere: after a change to workflows/, re-record every scenario and review the
// diff. From the first release on, a replay failure means the change would break requests in
// flight: version it instead (docs/versioning.md), and keep the old histories beside new ones.
// When you add a path to the workflow (a new message, executor mode or step): add a scenario.
// Activity, API and policy changes do not need re-recording: the replay runs no activity.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { temporal } from '@temporalio/proto';
import pg from 'pg';
import pino from 'pino';
import { generateApiKey, hashApiKey } from '../config/api-keys.js';
import { grantRoleName } from '../executors/postgres-grant.js';
import { payloadKeyFrom } from '../lib/keys.js';
import { startAirlock } from '../main.js';
import { EncryptionCodec } from '../temporal/codec.js';
import { startDevServer } from '../temporal/dev-server.js';
import { ensureTemporalCli } from '../temporal/ensure-cli.mjs';
import { startHttpTarget } from '../test/fakes/http-target.js';
import { RecordingChannel } from '../test/fakes/recording-channel.js';
import { createTestDatabase, TEST_PG_ADMIN_URL } from '../test/support/postgres.js';

export const HISTORIES_DIR = fileURLToPath(new URL('../test/fixtures/histories/', import.meta.url));
/**
 * Fixed, public, test-only key: should payloads ever be encrypted with a codec derived from it,
 * the replay test can decode the recorded histories with the same key.
 */
export const RECORDING_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

const POLICY = `version: 1
groups:
  dba: [dana@example.com, dev@example.com]
  oncall: [sam@example.com]
  pair: [p1@example.com, p2@example.com, p3@example.com]
channels:
  dba-chat: { slack: { channel: C0DBA } }
  oncall-chat: { slack: { channel: C0ONCALL } }
rules:
  - name: no-drops
    match: { action: "db.schema.drop" }
    effect: deny
    risk: critical
    reason: dropping schema objects is never run through automation
  - name: dev-is-free
    match: { environment: dev }
    effect: allow
  - name: two-person
    match: { action: "http.twoperson" }
    effect: require_approval
    risk: high
    stages:
      - { approvers: [pair], minApprovals: 2, timeout: 10m, notify: [dba-chat] }
  - name: escalating
    match: { action: "http.escalate" }
    effect: require_approval
    stages:
      - { approvers: [dba], timeout: 3s, reminderBefore: 1s, notify: [dba-chat] }
      - { approvers: [oncall], timeout: 4s, notify: [oncall-chat] }
  - name: production
    match: { environment: production }
    effect: require_approval
    risk: high
    requireJustification: { minLength: 10 }
    stages:
      - { approvers: [dba], timeout: 10m, notify: [dba-chat] }
default:
  effect: require_approval
  stages:
    - { approvers: [dba], timeout: 10m, notify: [dba-chat] }
`;

function serviceConfig(targetUrl: string, targetDbUrl: string): string {
  return `targets:
  echo: { type: http, environment: production, resources: ["admin-api:*"], baseUrl: "${targetUrl}", headers: { Authorization: "Bearer recording-target-token" } }
  echo-dev: { type: http, environment: dev, resources: ["admin-api:*"], baseUrl: "${targetUrl}", headers: { Authorization: "Bearer recording-target-token" } }
  db: { type: postgres, environment: production, resources: ["postgres://*"], url: "${targetDbUrl}" }
actions:
  - { match: "http.*", executor: http.request, target: echo }
  - { match: "http.*", executor: http.request, target: echo-dev }
  - { match: "db.schema.*", executor: postgres.sql, target: db }
  - { match: "db.grant", executor: postgres.grant, target: db }
  - { match: "gate.*", executor: callback, environment: production }
callbacks:
  allow: ["http://127.0.0.1:*"]
grants:
  defaultTtl: 2s
  maxTtl: 1m
gate:
  tokenTtl: 1m
  completionTimeout: 1m
`;
}

const PRINCIPALS: { principal: string; roles: string[] }[] = [
  { principal: 'ci@example.com', roles: ['requester'] },
  { principal: 'dana@example.com', roles: ['approver', 'requester'] },
  { principal: 'dev@example.com', roles: ['approver'] },
  { principal: 'sam@example.com', roles: ['approver'] },
  { principal: 'p1@example.com', roles: ['approver'] },
  { principal: 'p2@example.com', roles: ['approver'] },
  { principal: 'audit@example.com', roles: ['auditor'] },
];

/** The fields of an API answer (a request, or a problem) that the scenarios look at. */
interface ActionView {
  id?: string;
  status?: string;
  reason?: string;
  endedAt?: string;
  stage?: { number?: number };
  gate?: unknown;
  approvalToken?: unknown;
}
type ApiResult = { status: number; body: ActionView };

interface Ctx {
  api(principal: string, path: string, body?: unknown): Promise<ApiResult>;
  /** Submits as `as` and returns the request id. */
  submit(body: Record<string, unknown>, as?: string): Promise<string>;
  /** Polls the request (as the auditor) until `predicate` holds. */
  waitFor(id: string, predicate: (s: ActionView) => boolean, what: string): Promise<ActionView>;
  expectStatus(res: ApiResult, status: number, what: string): void;
  callbackUrl: string;
}

interface Scenario {
  name: string;
  /** What the recorded history covers. */
  covers: string;
  run(ctx: Ctx): Promise<string>;
}

const production = (marker: string, overrides: Record<string, unknown> = {}) => ({
  action: 'http.config.update',
  resource: 'admin-api:/config',
  environment: 'production',
  parameters: { method: 'POST', path: '/config', body: { marker } },
  justification: 'turn the feature on for the launch',
  ...overrides,
});
const pending = (s: ActionView) => s.status === 'pending_approval';

export const SCENARIOS: Scenario[] = [
  {
    name: 'auto-allow-executed',
    covers: 'policy allow, http.request executor, succeeded, callback sent',
    async run(ctx) {
      return ctx.submit(production('auto', { environment: 'dev', callbackUrl: ctx.callbackUrl }));
    },
  },
  {
    name: 'policy-deny',
    covers: 'policy deny before any card or executor',
    async run(ctx) {
      return ctx.submit({
        action: 'db.schema.drop',
        resource: 'postgres://analytics/customers',
        environment: 'production',
        parameters: { sql: 'DROP TABLE customers' },
        justification: 'cleanup of old tables',
      });
    },
  },
  {
    name: 'approve-then-execute',
    covers: 'one stage, card posted, decide update approves, executor runs, cards updated',
    async run(ctx) {
      const id = await ctx.submit(production('approve'));
      await ctx.waitFor(id, pending, 'pending_approval');
      const res = await ctx.api('dana@example.com', `/v1/actions/${id}/decisions`, {
        decision: 'approve',
        reason: 'looks fine',
      });
      ctx.expectStatus(res, 200, 'approve');
      return id;
    },
  },
  {
    name: 'sql-preview-approve-execute',
    covers: 'postgres.sql preview before the first card, approval, execution held to the preview',
    async run(ctx) {
      const id = await ctx.submit({
        action: 'db.schema.migrate',
        resource: 'postgres://analytics/preview_demo',
        environment: 'production',
        parameters: {
          sql: [
            'CREATE TABLE IF NOT EXISTS preview_demo (id int PRIMARY KEY)',
            'INSERT INTO preview_demo VALUES (1)',
          ],
        },
        justification: 'seed the preview demo table',
      });
      await ctx.waitFor(id, pending, 'pending_approval');
      const res = await ctx.api('dana@example.com', `/v1/actions/${id}/decisions`, { decision: 'approve' });
      ctx.expectStatus(res, 200, 'approve');
      return id;
    },
  },
  {
    name: 'deny-with-reason-after-refused-self-approval',
    covers: 'self-approval refused (update rejected after auditing), then denied with a reason',
    async run(ctx) {
      const id = await ctx.submit(production('deny'), 'dana@example.com');
      await ctx.waitFor(id, pending, 'pending_approval');
      const self = await ctx.api('dana@example.com', `/v1/actions/${id}/decisions`, { decision: 'approve' });
      ctx.expectStatus(self, 403, 'self-approval');
      const res = await ctx.api('dev@example.com', `/v1/actions/${id}/decisions`, {
        decision: 'deny',
        reason: 'not during the freeze',
      });
      ctx.expectStatus(res, 200, 'deny');
      return id;
    },
  },
  {
    name: 'two-person-rule',
    covers: 'minApprovals 2: a first approval keeps it pending, a second approves, executor runs',
    async run(ctx) {
      const id = await ctx.submit(production('two', { action: 'http.twoperson' }));
      await ctx.waitFor(id, pending, 'pending_approval');
      const first = await ctx.api('p1@example.com', `/v1/actions/${id}/decisions`, { decision: 'approve' });
      ctx.expectStatus(first, 200, 'first approval');
      const second = await ctx.api('p2@example.com', `/v1/actions/${id}/decisions`, { decision: 'approve' });
      ctx.expectStatus(second, 200, 'second approval');
      return id;
    },
  },
  {
    name: 'escalation-then-approve',
    covers: 'reminder timer, stage timeout, escalation to stage 2, approval by a stage-2 approver',
    async run(ctx) {
      const id = await ctx.submit(production('escalate', { action: 'http.escalate' }));
      await ctx.waitFor(id, (s) => pending(s) && s.stage?.number === 2, 'stage 2');
      const res = await ctx.api('sam@example.com', `/v1/actions/${id}/decisions`, { decision: 'approve' });
      ctx.expectStatus(res, 200, 'stage-2 approval');
      return id;
    },
  },
  {
    name: 'expiry',
    covers: 'reminder, both stages time out, expired, cards updated',
    async run(ctx) {
      return ctx.submit(production('expire', { action: 'http.escalate' }));
    },
  },
  {
    name: 'cancel',
    covers: 'cancel update by the requester while pending',
    async run(ctx) {
      const id = await ctx.submit(production('cancel'));
      await ctx.waitFor(id, pending, 'pending_approval');
      const res = await ctx.api('ci@example.com', `/v1/actions/${id}/cancel`, { reason: 'wrong ticket' });
      ctx.expectStatus(res, 200, 'cancel');
      return id;
    },
  },
  {
    name: 'gate-redeem-complete',
    covers: 'callback executor: token issued, callback sent, redeem update, complete update',
    async run(ctx) {
      const id = await ctx.submit({
        action: 'gate.deploy',
        resource: 'k8s:prod/web',
        environment: 'production',
        parameters: { image: 'web:1.2.3' },
        justification: 'release 1.2.3 to production',
        callbackUrl: ctx.callbackUrl,
      });
      await ctx.waitFor(id, pending, 'pending_approval');
      const res = await ctx.api('dana@example.com', `/v1/actions/${id}/decisions`, { decision: 'approve' });
      ctx.expectStatus(res, 200, 'approve');
      await ctx.waitFor(id, (s) => s.status === 'approved' && s.gate !== undefined, 'gate token');
      const mine = await ctx.api('ci@example.com', `/v1/actions/${id}`);
      ctx.expectStatus(mine, 200, 'read as requester');
      const token = mine.body.approvalToken;
      if (typeof token !== 'string')
        throw new Error(`no approvalToken for the requester: ${JSON.stringify(mine.body)}`);
      const redeemed = await ctx.api('ci@example.com', `/v1/actions/${id}/redeem`, { token });
      ctx.expectStatus(redeemed, 200, 'redeem');
      const completed = await ctx.api('ci@example.com', `/v1/actions/${id}/complete`, {
        outcome: 'succeeded',
        details: { deployed: 'web:1.2.3' },
      });
      ctx.expectStatus(completed, 200, 'complete');
      return id;
    },
  },
  {
    name: 'jit-grant-ttl-revoked',
    covers: 'postgres.grant on a real database, active, TTL timer, revoked',
    async run(ctx) {
      const id = await ctx.submit({
        action: 'db.grant',
        resource: 'postgres://target/orders',
        environment: 'production',
        parameters: {
          privileges: [{ privilege: 'SELECT', on: 'TABLE', object: 'public.orders' }],
          ttlSeconds: 2,
        },
        justification: 'investigate the order totals',
      });
      await ctx.waitFor(id, pending, 'pending_approval');
      const res = await ctx.api('dana@example.com', `/v1/actions/${id}/decisions`, { decision: 'approve' });
      ctx.expectStatus(res, 200, 'approve');
      return id;
    },
  },
  {
    name: 'jit-grant-released',
    covers: 'postgres.grant, active, released early by the requester (complete update), revoked',
    async run(ctx) {
      const id = await ctx.submit({
        action: 'db.grant',
        resource: 'postgres://target/orders',
        environment: 'production',
        parameters: {
          privileges: [{ privilege: 'SELECT', on: 'TABLE', object: 'public.orders' }],
          ttlSeconds: 60,
        },
        justification: 'investigate the order totals',
      });
      await ctx.waitFor(id, pending, 'pending_approval');
      const res = await ctx.api('dana@example.com', `/v1/actions/${id}/decisions`, { decision: 'approve' });
      ctx.expectStatus(res, 200, 'approve');
      await ctx.waitFor(id, (s) => s.status === 'active', 'active grant');
      const released = await ctx.api('ci@example.com', `/v1/actions/${id}/complete`, {});
      ctx.expectStatus(released, 200, 'release');
      return id;
    },
  },
];

const FINAL = new Set(['succeeded', 'failed', 'denied', 'expired', 'cancelled', 'revoked']);

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const unknown = only.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) {
    throw new Error(
      `unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  }
  const scenarios = only.length > 0 ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;

  const cliPath = ensureTemporalCli();
  if (!cliPath) throw new Error('recording needs the Temporal CLI: install Go or set TEMPORAL_CLI_PATH');
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err: unknown) => console.error(`cleanup: ${err}`));
  };
  try {
    const server = await startDevServer({ cliPath, headless: true });
    cleanups.push(() => server.stop());
    const auditDb = await createTestDatabase('airlock_record');
    cleanups.push(() => auditDb.drop());
    // JIT roles are cluster-wide: drop any a failed scenario left behind, after the database.
    const requestIds: string[] = [];
    cleanups.push(() =>
      withClient(TEST_PG_ADMIN_URL, async (c) => {
        for (const id of requestIds)
          await c.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(grantRoleName(id))}`);
      }),
    );
    const targetDb = await createTestDatabase('airlock_record_target');
    cleanups.push(() => targetDb.drop());
    await withClient(targetDb.url, (c) =>
      c.query('CREATE TABLE orders (id int PRIMARY KEY, total numeric); INSERT INTO orders VALUES (1, 9.5);'),
    );
    const target = await startHttpTarget();
    cleanups.push(() => target.close());
    const callbacks = await startCallbackReceiver();
    cleanups.push(() => callbacks.close());

    const dir = mkdtempSync(join(tmpdir(), 'airlock-record-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const keys: Record<string, string> = {};
    const keyLines = PRINCIPALS.map((p) => {
      keys[p.principal] = generateApiKey('rec');
      return `  - { principal: ${p.principal}, roles: [${p.roles.join(', ')}], sha256: ${hashApiKey(keys[p.principal]!)} }`;
    });
    writeFileSync(join(dir, 'policy.yaml'), POLICY);
    writeFileSync(
      join(dir, 'airlock.yaml'),
      `apiKeys:\n${keyLines.join('\n')}\n${serviceConfig(target.url, targetDb.url)}`,
    );
    const airlock = await startAirlock(
      {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: '0',
        AIRLOCK_CONFIG: join(dir, 'airlock.yaml'),
        AIRLOCK_POLICY: join(dir, 'policy.yaml'),
        AIRLOCK_DATA_DIR: join(dir, 'data'),
        AIRLOCK_ENCRYPTION_KEY: RECORDING_ENCRYPTION_KEY,
        DATABASE_URL: auditDb.url,
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_TASK_QUEUE: `airlock-record-${randomBytes(4).toString('hex')}`,
        LOG_LEVEL: 'silent',
      },
      {
        logger: pino({ level: process.env.RECORD_LOG_LEVEL ?? 'silent' }),
        channels: [new RecordingChannel()],
      },
    );
    cleanups.push(() => airlock.stop());
    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    // Payloads are encrypted (AIRLOCK_ENCRYPTION_KEY): this client reads the workflow's result.
    const client = new Client({
      connection,
      dataConverter: {
        payloadCodecs: [new EncryptionCodec(payloadKeyFrom(Buffer.from(RECORDING_ENCRYPTION_KEY, 'base64')))],
      },
    });

    const api = async (principal: string, path: string, body?: unknown): Promise<ApiResult> => {
      const res = await fetch(`${airlock.url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          authorization: `Bearer ${keys[principal]}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return {
        status: res.status,
        body: (typeof parsed === 'object' && parsed !== null ? parsed : {}) as ActionView,
      };
    };
    const expectStatus = (res: ApiResult, status: number, what: string) => {
      if (res.status !== status) {
        throw new Error(`${what}: expected HTTP ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
      }
    };
    const ctx: Ctx = {
      api,
      expectStatus,
      callbackUrl: callbacks.url,
      async submit(body, as = 'ci@example.com') {
        const res = await api(as, '/v1/actions', body);
        expectStatus(res, 202, 'submit');
        const id = res.body.id;
        if (typeof id !== 'string') throw new Error(`submit: no id in ${JSON.stringify(res.body)}`);
        requestIds.push(id);
        return id;
      },
      async waitFor(id, predicate, what) {
        const deadline = Date.now() + 30_000;
        for (;;) {
          const res = await api('audit@example.com', `/v1/actions/${id}`);
          if (res.status === 200 && predicate(res.body)) return res.body;
          if (res.status === 200 && FINAL.has(res.body.status ?? '') && res.body.endedAt) {
            throw new Error(`${id} ended ${res.body.status} (${res.body.reason}) while waiting for ${what}`);
          }
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} of ${id}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
    };

    mkdirSync(HISTORIES_DIR, { recursive: true });
    const written: string[] = [];
    for (const scenario of scenarios) {
      const started = Date.now();
      const id = await scenario.run(ctx);
      const handle = client.workflow.getHandle(`action-${id}`);
      const result = (await withTimeout(handle.result(), 60_000, `${scenario.name} to close`)) as {
        status: string;
      };
      const history = await handle.fetchHistory();
      const file = join(HISTORIES_DIR, `${scenario.name}.json`);
      writeFileSync(file, `${historyJson(history)}\n`);
      written.push(file);
      console.log(
        `${scenario.name}: ${result.status}, ${history.events?.length ?? 0} events, ${Date.now() - started} ms -> ${file}`,
      );
    }
    // The fixtures live in the repository, so they take the repository's JSON format (`biome check`).
    const formatted = spawnSync('npx', ['biome', 'format', '--write', ...written], { stdio: 'inherit' });
    if (formatted.status !== 0) console.error('biome format failed: run `npx biome format --write` on them');
  } finally {
    await cleanup();
  }
}

/**
 * The SDK's `historyToJSON`, or the same protobuf JSON made with the protobufjs copy that
 * @temporalio/proto was built with. With this lock file npm nests one protobufjs 8 copy under each
 * @temporalio package (the top-level protobufjs is @grpc/proto-loader's 7), so the SDK helper's
 * `instanceof Type` check fails with "type must be a Type"; the output format is the same.
 */
export function historyJson(history: temporal.api.history.v1.IHistory): string {
  try {
    return historyToJSON(history);
  } catch (err) {
    if (!(err instanceof TypeError) || !/must be a Type/.test(err.message)) throw err;
    const require = createRequire(import.meta.url);
    const protoMain = require.resolve('@temporalio/proto');
    const protojson = createRequire(protoMain)('protobufjs/ext/protojson') as {
      toJson(type: unknown, message: unknown): unknown;
    };
    const { patchProtobufRoot } = require('@temporalio/proto/lib/patch-protobuf-root') as {
      patchProtobufRoot(root: unknown): { lookupType(name: string): unknown };
    };
    // Required, not imported: tsx's entry module cannot name-import this CommonJS package.
    const root = require(protoMain) as typeof import('@temporalio/proto');
    const historyType = patchProtobufRoot(root).lookupType('temporal.api.history.v1.History');
    const message = root.temporal.api.history.v1.History.fromObject(history);
    return JSON.stringify(protojson.toJson(historyType, message), null, 2);
  }
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Accepts the signed outcome callbacks (200), so that the callback activity succeeds at once. */
async function startCallbackReceiver(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/airlock-callback`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      console.error(`(admin database: ${TEST_PG_ADMIN_URL})`);
      process.exit(1);
    },
  );
}
