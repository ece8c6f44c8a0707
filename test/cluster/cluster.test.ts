// Airlock on a real Temporal cluster: the server's four services each in its own process on
// PostgreSQL (test/cluster/cluster.ts), Airlock as two API and two worker processes on its own
// PostgreSQL audit store. The core lifecycle through either API, a decision through the other API
// than the submission, kill -9 of one Airlock worker while requests wait and while one executes,
// kill -9 and restart of the history service with many requests pending, the archiver's Schedule
// across two workers, and the Web UI scenarios on the compose file's UI release (test/cluster/ui-server.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../temporal/dev-server.js';
import { type HttpTargetFake, startHttpTarget } from '../fakes/http-target.js';
import { callsWith, expectAuditIntact, expectChainIntact, waitForStatus } from '../faults/support.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../integration/core/fixtures.js';
import { chromiumPath } from '../integration/ops/browser.js';
import { type AirlockProcess, apiReady, startProcess, workerReady } from '../integration/ops/processes.js';
import { findPendingWithSavedQuery, readInputWithCodecSession } from '../integration/ops/web-ui-scenarios.js';
import { apiCaller, eventually, type Harness, startHarness } from '../support/harness.js';
import { startCluster, startDevServerAsCluster, type TemporalCluster } from './cluster.js';
import { AIRLOCK_ENV, TEMPORAL_SERVICES, TEMPORAL_UI_VERSION } from './contract.js';
import { startUiServer, type UiServer } from './ui-server.js';

/** The same scenarios on the dev server instead, for its figures (no service to kill there). */
const ON_DEV_SERVER = process.env.AIRLOCK_CLUSTER_TEMPORAL === 'dev-server';
const BACKEND = ON_DEV_SERVER ? 'dev server' : 'cluster';
/** Requests pending when the history service is killed (AIRLOCK_CLUSTER_PENDING overrides). */
const PENDING = Number(process.env.AIRLOCK_CLUSTER_PENDING ?? 100);
/** The archiver's Schedule interval on the cluster's workers: short, so it fires during the run. */
const ARCHIVE_INTERVAL = '10s';

let cluster: TemporalCluster;
let target: HttpTargetFake;
let h: Harness;
const apis: Harness[] = [];
const workers: AirlockProcess[] = [];
const all: AirlockProcess[] = [];
let apiPorts: number[] = [];
/** The compose file's Web UI, on the cluster, its codec the in-process API's. */
let ui: UiServer;

/** Exactly the variables docker-compose.temporal.yml gives the role (test/cluster/contract.ts). */
async function roleEnv(role: 'api' | 'worker', port: number): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    AIRLOCK_ROLE: role,
    TEMPORAL_ADDRESS: cluster.address,
    TEMPORAL_NAMESPACE: cluster.namespace,
    DATABASE_URL: h.env.DATABASE_URL!,
    AIRLOCK_ENCRYPTION_KEY: h.env.AIRLOCK_ENCRYPTION_KEY!,
    AIRLOCK_PUBLIC_URL: `http://localhost:${role === 'api' ? port : apiPorts[0]}`,
    AIRLOCK_CONFIG: h.env.AIRLOCK_CONFIG!,
    AIRLOCK_POLICY: h.env.AIRLOCK_POLICY!,
    LOG_LEVEL: 'info',
  };
  if (role === 'api') env.PORT = String(port);
  else {
    env.METRICS_PORT = String(port);
    env.TEMPORAL_METRICS_ADDRESS = `127.0.0.1:${await freePort()}`;
  }
  expect(Object.keys(env).sort()).toEqual(
    [...AIRLOCK_ENV.common, ...AIRLOCK_ENV[role]].filter((k) => k !== 'TEMPORAL_UI_URL').sort(),
  );
  return env;
}

async function startWorker(): Promise<AirlockProcess> {
  const env = await roleEnv('worker', await freePort());
  const p = await startProcess(
    { ...h.env, ...env, AIRLOCK_ARCHIVE_INTERVAL: ARCHIVE_INTERVAL },
    workerReady,
    300_000,
  );
  all.push(p);
  workers.push(p);
  return p;
}

async function killHard(p: AirlockProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGKILL');
  await p.exited;
}

beforeAll(async () => {
  cluster = ON_DEV_SERVER ? await startDevServerAsCluster() : await startCluster();
  target = await startHttpTarget();
  // The in-process harness prepares the audit database, the config files and the keys (an API
  // role of its own that the scenarios do not use).
  const uiPort = await freePort();
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused'),
    principals: PRINCIPALS,
    env: {
      AIRLOCK_ROLE: 'api',
      TEMPORAL_ADDRESS: cluster.address,
      TEMPORAL_NAMESPACE: cluster.namespace,
      TEMPORAL_UI_URL: `http://localhost:${uiPort}`,
    },
  });
  ui = await startUiServer({
    temporalAddress: cluster.address,
    port: uiPort,
    codecEndpoint: `${h.airlock.publicUrl}/codec`,
  });
  apiPorts = [await freePort(), await freePort()];
  // The workers bundle the workflow code themselves: one after the other on a small machine.
  await startWorker();
  await startWorker();
  for (const port of apiPorts) {
    const p = await startProcess({ ...h.env, ...(await roleEnv('api', port)) }, apiReady, 120_000);
    all.push(p);
    apis.push({ ...h, url: `http://127.0.0.1:${port}`, api: apiCaller(`http://127.0.0.1:${port}`, h.keys) });
  }
}, 900_000);

afterAll(async () => {
  for (const p of all) await killHard(p);
  await ui?.stop();
  await h?.stop();
  await target?.close();
  await cluster?.stop();
});

async function submit(via: Harness, marker: string, overrides: Record<string, unknown> = {}) {
  const res = await via.api('ci@example.com', '/v1/actions', {
    body: httpRequest({
      parameters: { method: 'POST', path: '/cluster', body: { m: marker } },
      ...overrides,
    }),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id as string;
}

const decide = (via: Harness, id: string, decision: 'approve' | 'deny', who = 'dana@example.com') =>
  via.api(who, `/v1/actions/${id}/decisions`, {
    body: decision === 'deny' ? { decision, reason: 'not on the cluster today' } : { decision },
  });

/**
 * The request's audit trail is intact once its ending is recorded: the state can show the end a
 * moment before the ending event is appended (seen with a denial on the cluster).
 */
async function expectEnded(via: Harness, id: string, ending = 'request.succeeded'): Promise<void> {
  await eventually(
    async () => {
      const audit = await via.api('audit@example.com', `/v1/actions/${id}/audit`);
      return audit.body.events?.some((e: { type: string }) => e.type === ending) ? true : undefined;
    },
    30_000,
    `${ending} of ${id}`,
  );
  await expectAuditIntact(via, id, ending);
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

describe('Airlock on a Temporal cluster', () => {
  it.skipIf(ON_DEV_SERVER)(
    'runs the server as four processes and Airlock as two APIs and two workers',
    () => {
      const pids = TEMPORAL_SERVICES.map((s) => cluster.process(s)?.pid);
      expect(new Set(pids).size).toBe(4);
      expect(pids.every(Boolean)).toBe(true);
      expect(apis).toHaveLength(2);
      expect(workers).toHaveLength(2);
    },
  );

  it.each([0, 1])('auto-allows through API %i (and measures the latency)', async (i) => {
    const via = apis[i]!;
    const ms: number[] = [];
    for (let n = 0; n < 20; n++) {
      const started = performance.now();
      const res = await via.api('ci@example.com', '/v1/actions?wait=20', {
        body: httpRequest({
          environment: 'dev',
          parameters: { method: 'POST', path: '/auto', body: { m: `auto-${i}-${n}-` } },
        }),
      });
      ms.push(performance.now() - started);
      expect(res.body.status, JSON.stringify(res.body)).toBe('succeeded');
      expect(callsWith(target, `auto-${i}-${n}-`).effects).toBe(1);
    }
    console.log(
      `[${BACKEND}] auto-allow submit?wait -> succeeded via API ${i + 1}: p50 ${percentile(ms, 50).toFixed(0)} ms, p90 ${percentile(ms, 90).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms (n=${ms.length})`,
    );
  });

  it('approves through API 1 requests submitted through API 2, exactly once at the target', async () => {
    const ms: number[] = [];
    for (let n = 0; n < 10; n++) {
      const id = await submit(apis[1]!, `cross-approve-${n}-`);
      await waitForStatus(apis[0]!, id, ['pending_approval']);
      // The long poll on API 2 answers when the execution has finished.
      const settled = apis[1]!.api('audit@example.com', `/v1/actions/${id}?wait=20`);
      const started = performance.now();
      expect((await decide(apis[0]!, id, 'approve')).status).toBe(200);
      const done = (await settled).body;
      ms.push(performance.now() - started);
      expect(done.status).toBe('succeeded');
      expect(done.decidedBy).toBe('dana@example.com');
      expect(callsWith(target, `cross-approve-${n}-`).effects).toBe(1);
      await expectEnded(apis[0]!, id);
    }
    console.log(
      `[${BACKEND}] decision via API 1 -> succeeded (long poll on API 2): p50 ${percentile(ms, 50).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms (n=${ms.length})`,
    );
  });

  it('denies through API 2 a request submitted through API 1: nothing runs', async () => {
    const id = await submit(apis[0]!, 'cross-deny-');
    await waitForStatus(apis[1]!, id, ['pending_approval']);
    expect((await decide(apis[1]!, id, 'deny')).status).toBe(200);
    await waitForStatus(apis[0]!, id, ['denied']);
    expect(callsWith(target, 'cross-deny-').calls).toHaveLength(0);
    await expectEnded(apis[1]!, id, 'request.denied');
  });

  it('escalates, then expires, with nobody deciding', async () => {
    const id = await submit(apis[0]!, 'expire-', { action: 'http.escalate' });
    await waitForStatus(apis[1]!, id, ['expired'], 60_000);
    const audit = await apis[1]!.api('audit@example.com', `/v1/actions/${id}/audit`);
    const types = audit.body.events.map((e: { type: string }) => e.type);
    expect(types).toContain('request.escalated');
    expect(types).toContain('request.expired');
    expect(audit.body.verification.ok).toBe(true);
    expect(callsWith(target, 'expire-').calls).toHaveLength(0);
  });

  it('kill -9 of one worker while requests wait: the other finishes each exactly once', async () => {
    const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => submit(apis[i % 2]!, `wkill-${i}-`)));
    for (const id of ids) await waitForStatus(apis[0]!, id, ['pending_approval']);
    await killHard(workers[0]!);
    for (const [i, id] of ids.entries())
      expect((await decide(apis[(i + 1) % 2]!, id, 'approve')).status).toBe(200);
    for (const [i, id] of ids.entries()) {
      await waitForStatus(apis[i % 2]!, id, ['succeeded'], 120_000);
      expect(callsWith(target, `wkill-${i}-`).effects).toBe(1);
      await expectEnded(apis[0]!, id);
    }
    // Two workers again for what follows.
    await startWorker();
  });

  it('kill -9 of the worker running the executor call: the other retries it, once at the target', async () => {
    // One live worker takes the call, so the one to kill is known; a second one starts meanwhile.
    const live = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    for (const w of live.slice(1)) await killHard(w);
    const running = live[0]!;
    const id = await submit(apis[0]!, 'xkill-');
    await waitForStatus(apis[0]!, id, ['pending_approval']);
    target.hangNext(1);
    expect((await decide(apis[1]!, id, 'approve')).status).toBe(200);
    await eventually(
      async () => (callsWith(target, 'xkill-').calls.some((c) => c.outcome === 'hung') ? true : undefined),
      30_000,
      'the executor call at the target',
    );
    await startWorker();
    await killHard(running);
    // The activity's heartbeat timeout (30 s) notices the dead worker; the retry runs on the other.
    const done = await waitForStatus(apis[1]!, id, ['succeeded', 'failed'], 180_000);
    expect(done.status).toBe('succeeded');
    const { calls, effects } = callsWith(target, 'xkill-');
    expect(effects).toBe(1);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    // The retry carried the hung call's Idempotency-Key: had the first call gone through, the
    // target would have answered the retry from it instead of acting twice.
    expect(new Set(calls.map((c) => c.headers['idempotency-key'])).size).toBe(1);
    await expectEnded(apis[0]!, id);
    await startWorker();
  }, 600_000);

  it.skipIf(ON_DEV_SERVER)(
    `kill -9 of the history service with ${PENDING} requests pending, then its restart: all finish`,
    async () => {
      const ids: string[] = [];
      for (let i = 0; i < PENDING; i++) ids.push(await submit(apis[i % 2]!, `hkill-${i}-`));
      for (const id of ids) await waitForStatus(apis[0]!, id, ['pending_approval'], 120_000);

      await cluster.kill('history');
      // While history is down a request can still be read (its state is in Airlock's PostgreSQL).
      const read = await apis[1]!.api('audit@example.com', `/v1/actions/${ids[0]}`);
      expect(read.status).toBe(200);
      expect(read.body.status).toBe('pending_approval');

      const restarted = performance.now();
      await cluster.start('history');
      // The shards move back to the new process: a decision can fail until they have.
      await eventually(
        async () => {
          const res = await decide(apis[0]!, ids[0]!, 'approve');
          return res.status === 200 ? true : undefined;
        },
        120_000,
        'a decision after the history restart',
      );
      console.log(
        `[cluster] history restart -> first decision accepted: ${(performance.now() - restarted).toFixed(0)} ms`,
      );
      for (const [i, id] of ids.entries()) {
        if (i === 0) continue;
        const res = await decide(apis[i % 2]!, id, 'approve');
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      }
      for (const [i, id] of ids.entries()) {
        await waitForStatus(apis[i % 2]!, id, ['succeeded'], 180_000);
        expect(callsWith(target, `hkill-${i}-`).effects).toBe(1);
        await expectEnded(apis[0]!, id);
      }
      console.log(
        `[cluster] history restart -> all ${PENDING} succeeded: ${(performance.now() - restarted).toFixed(0)} ms`,
      );
      await expectChainIntact(apis[1]!);
    },
    900_000,
  );

  // The SRE's and the auditor's Web UI scenarios (test/integration/ops/web-ui-scenarios.ts) on the
  // compose file's UI release, built from its Go module, in front of the cluster.
  it.skipIf(!chromiumPath)(
    `the Web UI ${TEMPORAL_UI_VERSION}: a saved query finds a pending request and opens its history`,
    async () => {
      const { workflowId, historyPage } = await findPendingWithSavedQuery({ uiUrl: ui.url, h });
      expect(historyPage).toContain(workflowId);
    },
    120_000,
  );
  it.skipIf(!chromiumPath)(
    `the Web UI ${TEMPORAL_UI_VERSION}: an auditor's codec session decodes a request's input`,
    async () => {
      const { marker, withoutSession, withSession } = await readInputWithCodecSession({ uiUrl: ui.url, h });
      expect(withoutSession.codecStatuses).toContain(401);
      expect(withoutSession.page).not.toContain(marker);
      expect(withSession.codecStatuses.every((s) => s === 200)).toBe(true);
      expect(withSession.page).toContain(marker);
    },
    120_000,
  );

  it('runs the archiver Schedule once across the workers: each closed request archived once', async () => {
    const closed = await h.api('audit@example.com', '/v1/actions?status=succeeded&limit=5');
    expect(closed.status).toBe(200);
    const sample = (closed.body.items ?? []).slice(0, 5) as { id: string }[];
    expect(sample.length).toBeGreaterThan(0);
    for (const { id } of sample) {
      const events = await eventually(
        async () => {
          const audit = await apis[0]!.api('audit@example.com', `/v1/actions/${id}/audit`);
          const archived = audit.body.events.filter((e: { type: string }) => e.type === 'history.archived');
          return archived.length > 0 ? archived : undefined;
        },
        120_000,
        `${id} archived`,
      );
      expect(events).toHaveLength(1);
    }
    // Two more firings of the Schedule: still once each.
    await new Promise((r) => setTimeout(r, 25_000));
    for (const { id } of sample) {
      const audit = await apis[1]!.api('audit@example.com', `/v1/actions/${id}/audit`);
      expect(audit.body.events.filter((e: { type: string }) => e.type === 'history.archived')).toHaveLength(
        1,
      );
    }
  }, 300_000);
});
