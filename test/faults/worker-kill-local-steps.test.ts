// Fault case 1 at the steps that run as local activities inside a workflow task: the worker's
// database stalls (a partition: nothing answers, nothing is closed) so that enrichment
// (`assessRequest`) or an event write (`recordEvents`: a decision's, or the final one after the
// executor ran) blocks, the worker is killed with SIGKILL while blocked there, the database comes
// back and a new worker takes over. Every request finishes exactly once, its audit events are
// exactly those of an undisturbed request, and the chain verifies. The full run also kills the
// worker while the executor's activity waits to write the events first.
//
// Only the worker goes through the proxy: the API keeps its direct connection, so it stays able to
// read and verify the trail while the worker is stuck, and the only thing that blocks is the step.
import { createServer, request as httpRequestRaw, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_APPEND_LOCK_KEY } from '../../audit/store.js';
import { openPostgres } from '../../db/postgres.js';
import { type HttpTargetFake, startHttpTarget } from '../fakes/http-target.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../integration/core/fixtures.js';
import { eventually, type Harness, startHarness } from '../support/harness.js';
import { type StallableProxy, startStallableProxy } from './stall-proxy.js';
import {
  callsWith,
  expectChainIntact,
  FULL,
  size,
  startWorkerProcess,
  type WorkerProcess,
  waitForStatus,
} from './support.js';

let h: Harness;
let target: HttpTargetFake;
let gate: TargetGate;
let proxy: StallableProxy;
const workers: WorkerProcess[] = [];
/** The worker processes' log lines (JSON, LOG_LEVEL=info), all of them in order. */
const workerLog: string[] = [];
let expectedAuto: string[];
let expectedApproved: string[];

/** Holds executor calls whose body carries a marker until released, then forwards them to the fake. */
interface TargetGate {
  url: string;
  hold(marker: string): void;
  arrived(marker: string): boolean;
  release(): void;
  close(): Promise<void>;
}

async function startGate(targetUrl: string): Promise<TargetGate> {
  const to = new URL(targetUrl);
  let held: string | undefined;
  const arrived: string[] = [];
  let open: () => void = () => {};
  let opened = Promise.resolve();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      arrived.push(text);
      if (held !== undefined && text.includes(held)) await opened;
      const out = httpRequestRaw(
        { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
        (up: IncomingMessage) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold(marker) {
      held = marker;
      opened = new Promise((r) => {
        open = r;
      });
    },
    arrived: (marker) => arrived.some((t) => t.includes(marker)),
    release: () => open(),
    close() {
      open();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

beforeAll(async () => {
  target = await startHttpTarget();
  gate = await startGate(target.url);
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(gate.url, 'postgres://unused@127.0.0.1:1/unused'),
    principals: PRINCIPALS,
    env: { AIRLOCK_ROLE: 'api' },
  });
  const real = new URL(h.db.url);
  proxy = await startStallableProxy(real.hostname, Number(real.port || 5432));
}, 180_000);

afterAll(async () => {
  inFlight.abort();
  proxy?.restore();
  for (const w of workers) await w.killHard();
  await h?.stop();
  await proxy?.close();
  await gate?.close();
  await target?.close();
});

// A failed case must not leave the next one a partitioned database or no worker.
afterEach(() => proxy?.restore());
async function ensureWorker(): Promise<void> {
  const last = workers.at(-1)?.child;
  if (!last || last.exitCode !== null || last.signalCode !== null) await startProxiedWorker();
}

/** A worker process whose DATABASE_URL goes through the stallable proxy. */
async function startProxiedWorker(): Promise<WorkerProcess> {
  const viaProxy = new URL(h.db.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  const w = await startWorkerProcess({ ...h, env: { ...h.env, DATABASE_URL: viaProxy.toString() } }, workers);
  let partial = '';
  w.child.stdout?.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    workerLog.push(...lines.filter(Boolean));
  });
  return w;
}

async function submit(environment: 'dev' | 'production', marker: string): Promise<string> {
  const res = await h.api('ci@example.com', '/v1/actions', {
    body: httpRequest({ environment, parameters: { method: 'POST', path: '/local', body: { m: marker } } }),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id as string;
}

/** Approvals still waiting for an answer, ended by afterAll (so the API can stop). */
const inFlight = new AbortController();
async function decideAbortable(id: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${h.url}/v1/actions/${id}/decisions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.keys['dana@example.com']}`, 'content-type': 'application/json' },
    body: JSON.stringify({ decision: 'approve' }),
    signal: inFlight.signal,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const eventTypes = async (id: string): Promise<string[]> => {
  const res = await h.api('audit@example.com', `/v1/actions/${id}/audit`);
  return res.status === 200 ? res.body.events.map((e: { type: string }) => e.type) : [];
};

/**
 * Approves once the card step is in the trail: the request is pending before its best-effort
 * cards are tried, and a decision sent in between records decision.recorded ahead of notify.*,
 * a different order from the reference request's (seen once in a loaded .ci/run).
 */
async function approve(id: string) {
  await eventually(
    async () => ((await eventTypes(id)).some((t) => t.startsWith('notify.')) ? true : undefined),
    30_000,
    `the card step of ${id} in its trail`,
  );
  return h.api('dana@example.com', `/v1/actions/${id}/decisions`, { body: { decision: 'approve' } });
}

/** GET /v1/actions/:id with a time limit: what the API answers while the worker is stuck. */
async function probe(id: string, limitMs = 3_000): Promise<string> {
  const started = Date.now();
  try {
    const res = await fetch(`${h.url}/v1/actions/${id}`, {
      headers: { authorization: `Bearer ${h.keys['audit@example.com']}` },
      signal: AbortSignal.timeout(limitMs),
    });
    const body = (await res.json().catch(() => ({}))) as { status?: string; type?: string };
    return `${res.status} ${res.status === 200 ? body.status : body.type} in ${Date.now() - started} ms`;
  } catch {
    return `no answer within ${limitMs} ms`;
  }
}

const occurrences = (text: string, part: string) => text.split(part).length - 1;
/** The enrichment's history look-up (audit/request-index.ts historyFor). */
const HISTORY_SQL = "SELECT 'requester' AS scope";

/** Ends like an undisturbed request: succeeded, one side effect, exactly the reference events. */
async function expectFinishedOnce(id: string, marker: string, expected: string[]): Promise<void> {
  await waitForStatus(h, id, ['succeeded', 'failed'], 90_000).then((s) => expect(s.status).toBe('succeeded'));
  expect(callsWith(target, marker).effects, marker).toBe(1);
  expect(await eventTypes(id), `events of ${marker}`).toEqual(expected);
}

describe('fault 1 at the local steps: kill -9 while a local activity is blocked on the database', () => {
  it('reference requests on a healthy worker', async () => {
    await startProxiedWorker();
    const auto = await submit('dev', 'ref-auto-');
    const approval = await submit('production', 'ref-approval-');
    await waitForStatus(h, auto, ['succeeded']);
    await waitForStatus(h, approval, ['pending_approval']);
    expect((await approve(approval)).status).toBe(200);
    await waitForStatus(h, approval, ['succeeded']);
    expectedAuto = await eventTypes(auto);
    expectedApproved = await eventTypes(approval);
    expect(expectedAuto).toContain('request.succeeded');
    expect(expectedApproved).toContain('decision.recorded');
  }, 120_000);

  it('enriching: killed inside assessRequest, a new worker finishes every request once', async () => {
    const n = size(2, 6);
    await ensureWorker();
    proxy.stall();
    const stalledAt = Date.now();
    const autos = await Promise.all(
      Array.from({ length: n }, async (_, i) => ({
        marker: `enrich-${i}-`,
        id: await submit('dev', `enrich-${i}-`),
      })),
    );
    const approval = { marker: 'enrich-approval-', id: await submit('production', 'enrich-approval-') };
    const all = [...autos, approval];
    // Blocked in the history look-up: each request's query went out on a pooled connection (with
    // the request id as a parameter) and got nothing back, or, with no idle connection left, the
    // look-up waits for a new one (pg's 5 s connection timeout would then degrade the enrichment,
    // so the kill comes before). Nothing of any request is in the trail yet.
    const inLookUp = (held: string) => ({
      queries: all.filter(({ id }) => held.includes(id)).length,
      historyQueries: occurrences(held, HISTORY_SQL),
      connecting: occurrences(held, 'application_name'),
    });
    await eventually(
      async () => {
        const s = inLookUp(proxy.held());
        return s.historyQueries + s.connecting >= all.length ? true : undefined;
      },
      3_000,
      'every request to be in its history look-up',
    );
    const held = proxy.held();
    const where = inLookUp(held);
    const sent = () => JSON.stringify({ where, held: held.replace(/[^\x20-\x7e]+/g, ' ').slice(0, 3000) });
    expect(where.historyQueries, sent()).toBe(where.queries);
    expect(held, sent()).not.toContain('INSERT INTO');
    const answers = await Promise.all(all.map(({ id }) => probe(id, 1_000)));
    // One more GET with a long limit, running across the kill: what a patient caller gets.
    const patient = probe(autos[0]!.id, 30_000);
    for (const { id } of all) expect(await eventTypes(id)).toEqual([]);
    expect(workerLog.filter((l) => /look-up failed|enrichment failed/.test(l))).toEqual([]);
    const blockedMs = Date.now() - stalledAt;
    await workers.at(-1)!.killHard();
    proxy.restore();
    const restarted = Date.now();
    await startProxiedWorker();

    for (const { id, marker } of autos) await expectFinishedOnce(id, marker, expectedAuto);
    await waitForStatus(h, approval.id, ['pending_approval'], 60_000);
    expect((await approve(approval.id)).status).toBe(200);
    await expectFinishedOnce(approval.id, approval.marker, expectedApproved);
    await expectChainIntact(h);
    // Nothing of the request is stored yet, so GET asks the workflow, whose task is stuck: after the
    // 10 s query deadline the API answers 503 with a problem body (never a hang or a 500).
    const patiently = await patient;
    expect(patiently).toMatch(/^(503 urn:airlock:problem:unavailable|200 evaluating) /);
    console.log(
      `enriching: a GET sent while blocked answered ${patiently}; ` +
        `${where.queries} look-ups on pooled connections, ${where.connecting} waiting for a new one; ` +
        `blocked ${blockedMs} ms, GET while blocked: ${answers.join('; ')}; ` +
        `finished ${Date.now() - restarted} ms after the new worker started`,
    );
  }, 240_000);

  // Short: killed at once. Full: also after 12 s blocked, past the 10 s workflow task timeout, by
  // which the worker has heartbeaten the task (the update's acceptance is then in history).
  for (const blockMs of FULL ? [0, 12_000] : [0]) {
    it(`recording (${blockMs / 1000} s blocked): a decision's and a final write, killed mid-write`, async () => {
      const pending = { marker: `rec-${blockMs}-decision-`, id: '' };
      await ensureWorker();
      pending.id = await submit('production', pending.marker);
      await waitForStatus(h, pending.id, ['pending_approval']);
      // An auto-allowed request whose executor call is held at the target: its record-first write
      // is done, its final write (execution.succeeded, request.succeeded) comes after the call.
      const final = { marker: `rec-${blockMs}-final-`, id: '' };
      gate.hold(final.marker);
      final.id = await submit('dev', final.marker);
      await eventually(async () => gate.arrived(final.marker) || undefined, 30_000, 'the executor call');

      proxy.stall();
      const stalledAt = Date.now();
      let decision: { status: number; body: any } | undefined;
      let decisionMs = 0;
      const deciding = decideAbortable(pending.id).then(
        (r) => {
          decision = r;
          decisionMs = Date.now() - stalledAt;
        },
        (err) => {
          decision = { status: 0, body: String(err) };
        },
      );
      gate.release();
      // Blocked in the writes: the executor's call came back (the final write follows it), and all
      // the worker sent since the stall is the BEGIN of one group-commit transaction, into which
      // the audit store queues both appends (the decision's and the final one); neither is in the
      // trail and the decision call has not been answered.
      await eventually(
        async () =>
          (proxy.held().includes('BEGIN') && callsWith(target, final.marker).effects === 1) || undefined,
        8_000,
        'the writes to reach the stalled database',
      );
      await new Promise((r) => setTimeout(r, 1_000));
      const sent = proxy.held();
      expect(sent).toContain('pg_advisory_xact_lock');
      expect(sent).not.toContain('INSERT');
      if (blockMs > 0) await new Promise((r) => setTimeout(r, blockMs));
      const answers = [await probe(pending.id), await probe(final.id)];
      const answeredWhileBlocked = decision ? `${decision.status} after ${decisionMs} ms` : 'no answer yet';
      expect(await eventTypes(pending.id)).not.toContain('decision.recorded');
      expect(await eventTypes(final.id)).not.toContain('request.succeeded');
      const blockedMs = Date.now() - stalledAt;
      await workers.at(-1)!.killHard();
      proxy.restore();
      const restarted = Date.now();
      await startProxiedWorker();

      await expectFinishedOnce(final.id, final.marker, expectedAuto);
      await Promise.race([deciding, new Promise((r) => setTimeout(r, 90_000))]);
      const after = decision ? `${decision.status} ${JSON.stringify(decision.body)}` : 'no answer in 90 s';
      console.log(
        `recording (${blockMs} ms): blocked ${blockedMs} ms; decision call while blocked: ${answeredWhileBlocked}; ` +
          `GET while blocked: ${answers.join('; ')}; decision call in the end: ${after} ` +
          `(${decisionMs} ms after the stall, ${Date.now() - restarted} ms after the new worker started)`,
      );
      // The update the API sent while the worker was stuck outlived the worker: the new one ran
      // the decision and the caller got its answer (the approval applied once, the action ran once).
      expect(decision?.status, after).toBe(200);
      expect(decision?.body).toMatchObject({ status: 'approved', approvals: 1, needed: 1 });
      await expectFinishedOnce(pending.id, pending.marker, expectedApproved);
      await expectChainIntact(h);
    }, 300_000);
  }

  // Not a local activity, but a step with the same duty: the
  // executor's activity writes the events first. Here that write waits for the audit append lock
  // (held by the test), the worker is killed there, and the retry on the new worker comes after
  // the activity's 30 s heartbeat timeout: full run only.
  it.runIf(FULL)(
    "recording first in the executor's activity: killed before it ran anything",
    async () => {
      const marker = 'record-first-';
      const lock = await openPostgres(h.db.url, { max: 1 });
      const connection = await Connection.connect({ address: h.env.TEMPORAL_ADDRESS! });
      let id = '';
      let pendingActivity: string | undefined;
      let answer = '';
      const lockedAt = Date.now();
      try {
        await lock.query('SELECT pg_advisory_lock($1)', [AUDIT_APPEND_LOCK_KEY]);
        id = await submit('dev', marker);
        await eventually(
          async () => {
            const { rows } = await lock.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
            );
            return rows[0]!.n >= 1 || undefined;
          },
          15_000,
          "the executor's first write to wait for the append lock",
        );
        // The raw describe: the SDK's would decode the memo, which the service encrypts.
        const described = await new Client({ connection }).workflowService.describeWorkflowExecution({
          namespace: h.env.TEMPORAL_NAMESPACE ?? 'default',
          execution: { workflowId: `action-${id}` },
        });
        pendingActivity = described.pendingActivities?.[0]?.activityType?.name ?? undefined;
        expect(pendingActivity).toBe('executeAction');
        expect(callsWith(target, marker).calls).toHaveLength(0);
        expect(await eventTypes(id)).toEqual([]);
        answer = await probe(id, 1_000);
        await workers.at(-1)!.killHard();
      } finally {
        await lock.query('SELECT pg_advisory_unlock($1)', [AUDIT_APPEND_LOCK_KEY]).catch(() => {});
        await lock.close();
        await connection.close();
      }
      const blockedMs = Date.now() - lockedAt;
      const restarted = Date.now();
      await startProxiedWorker();
      await expectFinishedOnce(id, marker, expectedAuto);
      await expectChainIntact(h);
      console.log(
        `record-first: blocked ${blockedMs} ms in ${pendingActivity}, GET while blocked: ${answer}; ` +
          `finished ${Date.now() - restarted} ms after the new worker started`,
      );
    },
    180_000,
  );
});
