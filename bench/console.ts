// The approver console's pages with many requests pending: the inbox ("waiting for me", which
// reads request_index) and a request's page (its sealed state snapshot, the card, presentAction),
// each fetched one at a time on the loopback, so the figure is the server's time plus a loopback
// round trip. bench/run.ts measures them while its 10,000 real requests wait;
// `npx tsx bench/console.ts [--pending N]` measures them alone: an API process on a fresh
// database seeded with N pending requests as the workflow writes them (sealed state snapshots,
// the index row with who may decide), written to bench/results/console.json.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditStore } from '../audit/store.js';
import { generateApiKey, hashApiKey } from '../config/api-keys.js';
import { openPostgres } from '../db/postgres.js';
import { buildKeyring } from '../lib/keys.js';
import { EncryptionCodec } from '../temporal/codec.js';
import { freePort, startDevServer } from '../temporal/dev-server.js';
import { ensureTemporalCli } from '../temporal/ensure-cli.mjs';
import { stateSealer } from '../temporal/state-snapshot.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { indexRow } from '../workflows/state.js';
import type { ActionState } from '../workflows/types.js';
import { atMost, GOALS } from './goals.js';
import {
  type LatencySummary,
  pool,
  round,
  spawnService,
  stopChild,
  summarize,
  waitForHealth,
} from './lib.js';

export interface ConsolePageTimes {
  pending: number;
  inboxShown: number;
  inbox: LatencySummary;
  requestPage: LatencySummary;
  goals: { inboxP95Ms: { max: number; met: boolean }; requestPageP95Ms: { max: number; met: boolean } };
}

const GOAL_P95_MS = GOALS.console.p95MsMax;

/** Signs in with an API key as a person does (the form, its token, the session cookie). */
async function signIn(url: string, key: string): Promise<string> {
  const form = await fetch(`${url}/console/sign-in`);
  const pre = form.headers
    .getSetCookie()
    .find((c) => c.startsWith('airlock_console_pre='))
    ?.split(';')[0];
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!pre || !csrf) throw new Error('console sign-in form without its token');
  const res = await fetch(`${url}/console/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: pre, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf, key }),
  });
  const session = res.headers
    .getSetCookie()
    .find((c) => c.startsWith('airlock_console='))
    ?.split(';')[0];
  if (res.status !== 303 || !session) throw new Error(`console sign-in: ${res.status}`);
  return session;
}

export async function measureConsolePages(opts: {
  url: string;
  approverKey: string;
  pendingIds: string[];
  probes: number;
}): Promise<ConsolePageTimes> {
  const cookie = await signIn(opts.url, opts.approverKey);
  const get = async (path: string) => {
    const started = performance.now();
    const res = await fetch(`${opts.url}${path}`, { headers: { cookie }, redirect: 'manual' });
    const text = await res.text();
    const ms = performance.now() - started;
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${text.slice(0, 200)}`);
    return { ms, text };
  };
  // Warm-up: the first pages compile templates and fill the connection pool.
  for (let i = 0; i < 5; i++) await get('/console/inbox');
  const inbox: number[] = [];
  let inboxShown = 0;
  await pool('console inbox', opts.probes, 1, async () => {
    const { ms, text } = await get('/console/inbox');
    inbox.push(ms);
    inboxShown = text.match(/href="\/console\/requests\//g)?.length ?? 0;
  });
  const page: number[] = [];
  await pool('console request page', opts.probes, 1, async () => {
    const id = opts.pendingIds[Math.floor(Math.random() * opts.pendingIds.length)]!;
    const { ms, text } = await get(`/console/requests/${id}`);
    if (!text.includes('Approve')) throw new Error('the request page shows no decision form');
    page.push(ms);
  });
  const i = summarize(inbox);
  const r = summarize(page);
  return {
    pending: opts.pendingIds.length,
    inboxShown,
    inbox: i,
    requestPage: r,
    goals: {
      inboxP95Ms: atMost(i.p95Ms, GOAL_P95_MS),
      requestPageP95Ms: atMost(r.p95Ms, GOAL_P95_MS),
    },
  };
}

const POLICY_VERSION = 'b'.repeat(64);

/** A pending request as the workflow leaves it after enrichment, policy and its first card. */
function pendingState(n: number, now: number): ActionState {
  const requestId = randomUUID();
  const submittedAt = new Date(now - n * 1000).toISOString();
  return {
    requestId,
    status: 'pending_approval',
    requester: 'ci@example.com',
    request: {
      action: 'http.approve',
      resource: 'bench:/noop',
      environment: 'bench',
      parameters: { method: 'POST', path: '/approve', body: { tag: 'console', n } },
      justification: 'bench: a request waiting for a decision',
    },
    parametersHash: randomBytes(32).toString('hex'),
    bodyHash: randomBytes(32).toString('hex'),
    execution: {
      executor: 'http.request',
      target: 'noop',
      mode: 'once',
      environment: 'bench',
      resource: 'bench:/noop',
    },
    risk: 'medium',
    policy: {
      effect: 'require_approval',
      risk: 'medium',
      rule: 'approval',
      policyVersion: POLICY_VERSION,
      denyReasonRequired: true,
      stages: [
        {
          approvers: ['approvers'],
          approverIdentities: ['approver@example.com', 'second@example.com'],
          minApprovals: 1,
          timeoutMs: 7_200_000,
          notify: [],
        },
      ],
    },
    stageIndex: 0,
    // Deadlines spread over two hours, so the inbox's order is real work.
    stageDeadline: new Date(now + ((n * 7919) % 7_200_000)).toISOString(),
    decisions: [],
    refusals: [],
    enrichment: {
      history: {
        byRequester: { total: 12, byOutcome: { succeeded: 12 } },
        onResource: { total: 3, byOutcome: { succeeded: 3 } },
        windowDays: 30,
      },
      degraded: [],
    },
    cards: [],
    submittedAt,
    updatedAt: submittedAt,
    links: { api: `http://localhost/v1/actions/${requestId}` },
  };
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--pending');
  const n = at > 0 ? Number(process.argv[at + 1]) : 10_000;
  const probes = 300;
  const cliPath = ensureTemporalCli();
  if (!cliPath) throw new Error('the benchmark needs the Temporal CLI: install Go or set TEMPORAL_CLI_PATH');
  const dir = mkdtempSync(join(tmpdir(), 'airlock-bench-console-'));
  const dev = await startDevServer({ cliPath, headless: true });
  const db = await createTestDatabase('airlock_bench_console');
  let api: Awaited<ReturnType<typeof spawnService>> | undefined;
  try {
    const approverKey = generateApiKey('bench');
    const masterKey = randomBytes(32);
    writeFileSync(
      join(dir, 'policy.yaml'),
      'version: 1\ngroups:\n  approvers: [approver@example.com]\ndefault: { effect: deny }\n',
    );
    writeFileSync(
      join(dir, 'airlock.yaml'),
      [
        'apiKeys:',
        `  - { principal: approver@example.com, roles: [approver], sha256: ${hashApiKey(approverKey)} }`,
        'targets:',
        '  noop: { type: http, environment: bench, resources: ["bench:*"], baseUrl: "http://127.0.0.1:9" }',
        'actions:',
        '  - { match: "http.*", executor: http.request, target: noop }',
        '',
      ].join('\n'),
    );
    const port = await freePort();
    api = await spawnService(
      fileURLToPath(new URL('../main.ts', import.meta.url)),
      {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AIRLOCK_ROLE: 'api',
        PORT: String(port),
        AIRLOCK_CONFIG: join(dir, 'airlock.yaml'),
        AIRLOCK_POLICY: join(dir, 'policy.yaml'),
        AIRLOCK_DATA_DIR: join(dir, 'data'),
        AIRLOCK_ENCRYPTION_KEY: masterKey.toString('base64'),
        AIRLOCK_CONSOLE_KEY_SIGNIN: 'true',
        DATABASE_URL: db.url,
        TEMPORAL_ADDRESS: dev.address,
        LOG_LEVEL: 'warn',
        MALLOC_ARENA_MAX: '2',
        NODE_OPTIONS: '--max-old-space-size=512',
      },
      undefined,
    );
    const url = `http://127.0.0.1:${port}`;
    await waitForHealth(url).catch((err: unknown) => {
      throw new Error(
        `${String(err)}: ${api?.exitCode === null ? 'still starting' : `exited ${api?.exitCode}`}`,
      );
    });
    // Seeded as the workflow writes them: the index row (who may decide, the deadline) and the
    // state sealed with the service's own payload key.
    const keyring = buildKeyring(masterKey);
    const sealer = stateSealer(new EncryptionCodec(keyring.payload, keyring.payloadKeys));
    const sql = await openPostgres(db.url, { max: 4 });
    const store = new AuditStore(sql);
    const now = Date.now();
    const ids: string[] = [];
    await pool(`seed ${n} pending`, n, 4, async (i) => {
      const state = pendingState(i, now);
      ids.push(state.requestId);
      await store.upsertRequestIndex({
        ...indexRow(state),
        statePayload: await sealer.seal(state),
        stateSeq: 3,
      });
    });
    await sql.query('ANALYZE request_index');
    await sql.close();
    const times = await measureConsolePages({ url, approverKey, pendingIds: ids, probes });
    const results = {
      generatedBy: 'bench/console.ts',
      finishedAt: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version },
      setup:
        'one API process (AIRLOCK_ROLE=api) on a fresh PostgreSQL database seeded with sealed pending states; pages fetched one at a time on the loopback',
      ...times,
    };
    mkdirSync(fileURLToPath(new URL('./results', import.meta.url)), { recursive: true });
    writeFileSync(
      new URL('./results/console.json', import.meta.url),
      `${JSON.stringify(results, null, 2)}\n`,
    );
    process.stdout.write(
      `console pages with ${n} pending: inbox p50 ${times.inbox.p50Ms} / p95 ${times.inbox.p95Ms} ms (${times.inboxShown} shown); request page p50 ${times.requestPage.p50Ms} / p95 ${times.requestPage.p95Ms} ms; goal p95 <= ${GOAL_P95_MS} ms: ${times.goals.inboxP95Ms.met && times.goals.requestPageP95Ms.met ? 'met' : 'missed'} (${round(probes)} probes each)\n`,
    );
  } finally {
    await stopChild(api);
    await db.drop();
    await dev.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
