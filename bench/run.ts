// `npm run bench [-- --quick] [--cluster]`: Airlock against bare Temporal, measured in one run on
// one fresh Temporal (the local dev server, or with --cluster the real server's four services) and
// one fresh PostgreSQL database, so the ratios hold on a noisy machine. Writes bench/results/latest.json and latest.md (the README's performance section is
// generated from the markdown, never typed).
//
// Airlock runs as two real processes (main.ts with AIRLOCK_ROLE=worker and =api), the baseline
// worker as a third; this process only generates load. startAirlock has no hook for a custom
// executor registry, so the "no-op executor" is the built-in http.request executor against a
// local fake target that answers 200 at once (test/fakes/http-target.ts).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { generateApiKey, hashApiKey } from '../config/api-keys.js';
import { openPostgres } from '../db/postgres.js';
import { freePort } from '../temporal/dev-server.js';
import { ensureTemporalCli } from '../temporal/ensure-cli.mjs';
import { startHttpTarget } from '../test/fakes/http-target.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { measureArchiver, pauseArchiver } from './archiver.js';
import { measureAudit } from './audit.js';
import { measureConsolePages } from './console.js';
import { atLeast, atMost, GOALS } from './goals.js';
import {
  cpuMs,
  hostTicks,
  type LatencySummary,
  type Pids,
  pool,
  type Rss,
  round,
  rssMb,
  spawnService,
  stealPercent,
  stopChild,
  summarize,
  waitFor,
  waitForHealth,
} from './lib.js';
import { mcpUpstreamConfig, mcpUpstreamEnv, measureMcpOverhead } from './mcp.js';
import {
  measurePreviewTimes,
  measureTimeToCard,
  PREVIEW_BINDINGS,
  PREVIEW_TABLE_ROWS,
  previewTargetsConfig,
  seedPreviewTable,
} from './previews.js';
import { renderMarkdown, updateReadme } from './report.js';
import { meanBetween, type SdkMeans, scrapeSdkMetrics } from './sdk-metrics.js';
import { startBenchTemporal } from './temporal.js';
import { meanPhases, millis, type TimedRun } from './timeline.js';

const quick = process.argv.includes('--quick');
// --sqlite: the dev server on a SQLite file (as `npm start` runs it) instead of in memory.
const sqlite = process.argv.includes('--sqlite');
// --cluster: the real Temporal server as four service processes on PostgreSQL (bench/temporal.ts);
// its results go to bench/results/cluster.json and .md, and the README keeps the dev server's.
const onCluster = process.argv.includes('--cluster');
const SIZES = quick
  ? {
      latency: 30,
      throughput: 120,
      concurrency: 16,
      approvals: 30,
      pending: 500,
      audit: 5_000,
      previews: 5,
      archiverBudgetMs: 120_000,
    }
  : {
      latency: 300,
      throughput: 2_000,
      concurrency: 16,
      approvals: 300,
      pending: 10_000,
      audit: 50_000,
      previews: 20,
      archiverBudgetMs: 180_000,
    };

const root = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(root, 'main.ts');
const BASELINE_WORKER = join(root, 'bench/baseline/worker.ts');
const RESULTS = join(root, 'bench/results');

const POLICY = `version: 1
groups:
  approvers: [approver@example.com]
rules:
  - name: auto
    match: { action: "http.auto" }
    effect: allow
  - name: mcp-notes
    match: { action: "mcp.notes.*" }
    effect: allow
  - name: db-approval
    match: { action: "db.*" }
    effect: require_approval
    stages:
      - { approvers: [approvers], timeout: 2h }
  - name: approval
    match: { action: "http.approve" }
    effect: require_approval
    stages:
      - { approvers: [approvers], timeout: 2h }
default: { effect: deny }
`;

/** As `npm start` and the Dockerfile run Airlock (docs/runbook.md); the baseline worker gets them too. */
const MEMORY_SETTINGS = { MALLOC_ARENA_MAX: '2', NODE_OPTIONS: '--max-old-space-size=512' };
/** BENCH_CPU_PROFILE=<dir>: every service writes a V8 CPU profile there when it stops (for DevTools). */
const PROFILE = process.env.BENCH_CPU_PROFILE;
const nodeArgs = (name: string) => (PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE, name)}`] : []);

const workerRunning = (output: string) => output.includes('"msg":"worker running"');
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

async function main(): Promise<void> {
  const startedAt = new Date();
  const ticksAtStart = hostTicks();
  const cliPath = ensureTemporalCli();
  if (!cliPath) throw new Error('the benchmark needs the Temporal CLI: install Go or set TEMPORAL_CLI_PATH');
  const dir = mkdtempSync(join(tmpdir(), 'airlock-bench-'));
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((e: unknown) => log(`cleanup: ${String(e)}`));
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    log(`mode ${quick ? 'quick' : 'full'}: ${JSON.stringify(SIZES)}`);
    const temporalServer = await startBenchTemporal({ cluster: onCluster, sqlite, dir, cliPath });
    cleanups.push(() => temporalServer.stop());
    const db = await createTestDatabase('airlock_bench');
    cleanups.push(() => db.drop());
    const target = await startHttpTarget();
    cleanups.push(() => target.close());
    // The previews' target: a database of its own with a 1-million-row table.
    const previewDb = await createTestDatabase('airlock_bench_previews');
    cleanups.push(() => previewDb.drop());
    log(`seeding ${PREVIEW_TABLE_ROWS} rows for the preview scenarios`);
    await seedPreviewTable(previewDb.url);
    const connection = await Connection.connect({ address: temporalServer.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });
    log(
      `Temporal at ${temporalServer.address}: ${temporalServer.description}; PostgreSQL database ${db.name}`,
    );

    // --- baseline ---------------------------------------------------------------------------
    const baselineQueue = `bench-baseline-${randomBytes(4).toString('hex')}`;
    const baselineMetrics = `127.0.0.1:${await freePort()}`;
    const startBaselineWorker = async (name: string) => {
      const child = await spawnService(
        BASELINE_WORKER,
        {
          ...process.env,
          TEMPORAL_ADDRESS: temporalServer.address,
          TEMPORAL_TASK_QUEUE: baselineQueue,
          TEMPORAL_METRICS_ADDRESS: baselineMetrics,
          ...MEMORY_SETTINGS,
        },
        workerRunning,
        { nodeArgs: nodeArgs(name) },
      );
      cleanups.push(() => stopChild(child));
      return child;
    };
    const baseWorker = await startBaselineWorker('baseline');
    const runBaseline = async () => {
      const workflowId = `baseline-${randomBytes(8).toString('hex')}`;
      await client.workflow.execute('baseline', { taskQueue: baselineQueue, workflowId });
      return workflowId;
    };
    await pool('baseline warm-up', 10, 4, runBaseline);
    const baseline = await measure(
      'baseline',
      runBaseline,
      { worker: baseWorker.pid, temporal: temporalServer.pids() },
      baselineMetrics,
    );
    const baselineRss = rssMb(baseWorker.pid);
    const baselineHistory = await historyProfile(client, baseline.serialRuns.at(-1)!.workflowId);
    await stopChild(baseWorker);

    // --- Airlock (worker and API as separate processes) ---------------------------------------
    const keys = { requester: generateApiKey('bench'), approver: generateApiKey('bench') };
    writeFileSync(join(dir, 'policy.yaml'), POLICY);
    writeFileSync(
      join(dir, 'airlock.yaml'),
      `apiKeys:
  - { principal: ci@example.com, roles: [requester], sha256: ${hashApiKey(keys.requester)} }
  - { principal: approver@example.com, roles: [approver], sha256: ${hashApiKey(keys.approver)} }
targets:
  noop: { type: http, environment: bench, resources: ["bench:*"], baseUrl: "${target.url}" }
${previewTargetsConfig(previewDb.url)}
actions:
  - { match: "http.*", executor: http.request, target: noop }
${PREVIEW_BINDINGS}
${mcpUpstreamConfig()}`,
    );
    const apiPort = await freePort();
    const airlockMetrics = `127.0.0.1:${await freePort()}`;
    const airlockEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AIRLOCK_CONFIG: join(dir, 'airlock.yaml'),
      AIRLOCK_POLICY: join(dir, 'policy.yaml'),
      AIRLOCK_DATA_DIR: join(dir, 'data'),
      AIRLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: temporalServer.address,
      TEMPORAL_TASK_QUEUE: `bench-airlock-${randomBytes(4).toString('hex')}`,
      TEMPORAL_METRICS_ADDRESS: airlockMetrics,
      LOG_LEVEL: 'info',
      // The load comes from one principal by design: measure the service, not its rate limits.
      AIRLOCK_RATE_LIMIT_WRITES: 'off',
      AIRLOCK_RATE_LIMIT_READS: 'off',
      // The console's pages are measured signed in with the approver's key.
      AIRLOCK_CONSOLE_KEY_SIGNIN: 'true',
      ...mcpUpstreamEnv(join(dir, 'mcp-calls.jsonl')),
      ...MEMORY_SETTINGS,
    };
    log('starting the Airlock worker (bundles the workflow) and API');
    const worker = await spawnService(MAIN, { ...airlockEnv, AIRLOCK_ROLE: 'worker' }, workerRunning, {
      nodeArgs: nodeArgs('worker'),
    });
    cleanups.push(() => stopChild(worker));
    const api = await spawnService(
      MAIN,
      { ...airlockEnv, AIRLOCK_ROLE: 'api', PORT: String(apiPort) },
      undefined,
      { nodeArgs: nodeArgs('api') },
    );
    cleanups.push(() => stopChild(api));
    const url = `http://127.0.0.1:${apiPort}`;
    await waitForHealth(url);
    await pauseArchiver(client, airlockEnv.TEMPORAL_TASK_QUEUE!);
    const http = apiClient(url, keys);
    // Each process's RSS and peak after every phase: the peak may be set before the pending phase.
    const memoryTrail: { after: string; worker?: Rss; api?: Rss }[] = [];
    const markMemory = (after: string) =>
      memoryTrail.push({ after, worker: rssMb(worker.pid), api: rssMb(api.pid) });
    markMemory('start');

    let seq = 0;
    const autoBody = () => ({
      action: 'http.auto',
      resource: 'bench:/noop',
      environment: 'bench',
      parameters: { method: 'POST', path: '/noop', body: { n: ++seq } },
    });
    const submitAuto = async () => {
      const res = await http.post('requester', '/v1/actions?wait=60', autoBody());
      if (res.status !== 200 || res.body.status !== 'succeeded')
        throw new Error(`auto-allow: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      return res.body.id as string;
    };
    await pool('auto-allow warm-up', 10, 4, submitAuto);
    const effectsBefore = target.sideEffects();
    const autoIds: string[] = [];
    const autoAllow = await measure(
      'auto-allow',
      async () => {
        const id = await submitAuto();
        autoIds.push(id);
        return `action-${id}`;
      },
      { worker: worker.pid, api: api.pid, temporal: temporalServer.pids() },
      airlockMetrics,
    );
    const executedExactlyOnce = target.sideEffects() - effectsBefore === autoIds.length;
    markMemory('auto-allow');
    // The baseline's throughput once more, so drift on a shared machine (it moved 30-58 wf/s
    // between runs) brackets Airlock's run: the ratio is against the mean of both.
    log('baseline throughput again, after Airlock (Airlock idles meanwhile)');
    const baseWorkerAgain = await startBaselineWorker('baseline-again');
    await pool('baseline warm-up', 10, 4, runBaseline);
    const baselineAgain = await measureThroughput('baseline again', runBaseline, {
      worker: baseWorkerAgain.pid,
      temporal: temporalServer.pids(),
    });
    await stopChild(baseWorkerAgain);
    const baselinePerSecond = round((baseline.throughputPerSecond + baselineAgain.throughputPerSecond) / 2);
    const autoProfile = await averageProfiles(
      client,
      autoIds.slice(0, 20).map((id) => `action-${id}`),
    );
    // The last 20 one-at-a-time runs of each (warm): where the latency goes.
    const baselinePhases = await meanPhases(client, baseline.serialRuns.slice(-20));
    const autoPhases = await meanPhases(client, autoAllow.serialRuns.slice(-20));

    // --- MCP gateway -----------------------------------------------------------------------------
    // The gateway's overhead is judged against REST latency measured just before it, in the same
    // conditions: the MCP calls come thousands of requests after the first REST figure (and before
    // the archiver was paused, its runs had doubled REST latency by then on the cluster).
    const restBeforeMcp = await measureSerial('auto-allow again, before MCP', async () => {
      return `action-${await submitAuto()}`;
    });
    const mcp = await measureMcpOverhead({
      url,
      requesterKey: keys.requester,
      callsFile: join(dir, 'mcp-calls.jsonl'),
      sizes: { latency: SIZES.latency, throughput: SIZES.throughput / 2, concurrency: SIZES.concurrency },
    });
    markMemory('MCP');

    // --- approval path --------------------------------------------------------------------------
    const submitPending = async (tag: string) => {
      const res = await http.post('requester', '/v1/actions', {
        action: 'http.approve',
        resource: 'bench:/noop',
        environment: 'bench',
        parameters: { method: 'POST', path: '/approve', body: { tag, n: ++seq } },
      });
      if (res.status !== 202)
        throw new Error(`submit: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      return res.body.id as string;
    };
    const pendingOf = async (id: string) => {
      const r = await http.get('approver', `/v1/actions/${id}`);
      return r.body.status === 'pending_approval' ? true : undefined;
    };
    const approvalIds = await pool('approval: submit', SIZES.approvals, 8, () => submitPending('approval'));
    await pool('approval: wait pending', approvalIds.length, 8, (i) =>
      waitFor('pending', () => pendingOf(approvalIds[i]!), 60_000),
    );
    const decisionAnswer: number[] = [];
    const answerToExecuted: number[] = [];
    const answerToSettled: number[] = [];
    const sdkBeforeDecisions = await scrapeSdkMetrics(airlockMetrics);
    await pool('approval: decide', approvalIds.length, 1, async (i) => {
      const id = approvalIds[i]!;
      const t0 = Date.now();
      const res = await http.post('approver', `/v1/actions/${id}/decisions`, { decision: 'approve' });
      const answered = Date.now();
      if (res.status !== 200)
        throw new Error(`decide: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      decisionAnswer.push(answered - t0);
      const done = await waitFor(
        'succeeded',
        async () => {
          const s = (await http.get('approver', `/v1/actions/${id}`)).body;
          return s.status === 'succeeded' ? s : undefined;
        },
        60_000,
        5,
      );
      answerToSettled.push(Date.now() - answered);
      answerToExecuted.push(Date.parse(done.executedAt) - answered);
    });
    const decisionsWorkerSide = meanBetween(sdkBeforeDecisions, await scrapeSdkMetrics(airlockMetrics));
    const approvedProfile = await averageProfiles(
      client,
      approvalIds.slice(0, 20).map((id) => `action-${id}`),
    );
    markMemory('approvals');

    // --- verified previews -------------------------------------------------------------------------
    log('previews: the executor on 1,000 and 1,000,000 rows, then submit to first card with and without');
    const previewTimes = await measurePreviewTimes(previewDb.url, SIZES.previews);
    const timeToCard = await measureTimeToCard(http, SIZES.previews);
    markMemory('previews');

    // --- many pending ---------------------------------------------------------------------------
    const n = SIZES.pending;
    const memBefore = { worker: rssMb(worker.pid), api: rssMb(api.pid) };
    const t0 = Date.now();
    const pendingIds = await pool(`${n} pending: submit`, n, 32, () => submitPending('pending'));
    const submitSeconds = (Date.now() - t0) / 1000;
    let polls = 0;
    // Visibility is eventually consistent; the list by status says when all are waiting.
    await waitFor(
      'all pending',
      async () => {
        const counts = await client.workflow.count(
          `TaskQueue = '${airlockEnv.TEMPORAL_TASK_QUEUE}' AND AirlockStatus = 'pending_approval'`,
        );
        if (process.stderr.isTTY) process.stderr.write(`\r  pending in visibility: ${counts.count}/${n}   `);
        else if (++polls % 5 === 0) process.stderr.write(`  pending in visibility: ${counts.count}/${n}\n`);
        return counts.count >= n ? true : undefined;
      },
      30 * 60_000,
      1000,
    );
    process.stderr.write('\n');
    const memPending = { worker: rssMb(worker.pid), api: rssMb(api.pid) };
    markMemory(`${n} pending`);
    const getLat: number[] = [];
    const listLat: number[] = [];
    const probes = quick ? 100 : 1000;
    await pool('GET while pending', probes, 8, async () => {
      const id = pendingIds[Math.floor(Math.random() * pendingIds.length)]!;
      const s = Date.now();
      const r = await http.get('approver', `/v1/actions/${id}`);
      getLat.push(Date.now() - s);
      if (r.status !== 200) throw new Error(`GET ${r.status}`);
    });
    await pool('list while pending', quick ? 50 : 300, 4, async () => {
      const s = Date.now();
      const r = await http.get('approver', '/v1/actions?status=pending_approval&limit=50');
      listLat.push(Date.now() - s);
      if (r.status !== 200) throw new Error(`list ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    });
    const consolePages = await measureConsolePages({
      url,
      approverKey: keys.approver,
      pendingIds,
      probes: quick ? 50 : 300,
    });
    const drainBase = target.sideEffects();
    const d0 = Date.now();
    await pool(`${n} pending: approve`, n, 32, async (i) => {
      const r = await http.post('approver', `/v1/actions/${pendingIds[i]}/decisions`, {
        decision: 'approve',
      });
      if (r.status !== 200) throw new Error(`decide ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    });
    const decideSeconds = (Date.now() - d0) / 1000;
    await waitFor('drain', () => (target.sideEffects() - drainBase >= n ? true : undefined), 30 * 60_000, 50);
    const drainSeconds = (Date.now() - d0) / 1000;
    const memAfter = { worker: rssMb(worker.pid), api: rssMb(api.pid) };
    markMemory('drain');

    // --- history archiver -------------------------------------------------------------------------
    log('history archiver: one run over every request closed so far');
    const airlockDb = await openPostgres(db.url);
    cleanups.push(() => airlockDb.close());
    const archiverRun = await measureArchiver(
      client,
      airlockDb,
      airlockEnv.TEMPORAL_TASK_QUEUE!,
      { worker: worker.pid, temporal: temporalServer.pids() },
      SIZES.archiverBudgetMs,
    );
    markMemory('archiver');
    await stopChild(api);
    await stopChild(worker);

    // --- audit trail ----------------------------------------------------------------------------
    // The store alone: Temporal goes first, so its background work after the drain (transfer and
    // visibility tasks of thousands of closed workflows) does not share the two cores with it.
    await temporalServer.stop();
    const auditDb = await createTestDatabase('airlock_bench_audit');
    cleanups.push(() => auditDb.drop());
    const sql = await openPostgres(auditDb.url);
    cleanups.push(() => sql.close());
    const { appendOneRate, appendManyRate, verifyRate, totalEvents, verifyOk } = await measureAudit(sql, {
      singles: Math.min(SIZES.audit, quick ? 3_000 : 20_000),
      events: SIZES.audit,
    });

    // --- results --------------------------------------------------------------------------------
    const ratio = (a: number, b: number) => round(a / b, 2);
    const results = {
      generatedBy: 'bench/run.ts',
      mode: quick ? 'quick' : 'full',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        memoryGb: round(totalmem() / 2 ** 30),
        node: process.version,
        stealPercent: stealPercent(ticksAtStart, hostTicks()),
      },
      sizes: SIZES,
      setup: {
        temporal: temporalServer.description,
        database: 'fresh PostgreSQL database per run',
        airlock: 'main.ts as two processes: AIRLOCK_ROLE=worker and AIRLOCK_ROLE=api',
        executor:
          'http.request against a local fake target answering 200 at once (no custom executor hook in startAirlock)',
        baseline: 'bench/baseline: one workflow, one no-op activity, default Worker options, own process',
        load: `latency: one request at a time; throughput: ${SIZES.concurrency} in flight`,
        archiver: `the history archiver's Schedule paused during the scenarios, then one triggered run over every request closed by then, measured for at most ${SIZES.archiverBudgetMs / 1000} s`,
        memory: `every worker and the API with ${Object.entries(MEMORY_SETTINGS)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}, as npm start and the Dockerfile run them`,
      },
      scenarios: {
        baseline: {
          ...withoutRuns(baseline),
          phases: baselinePhases,
          /** Before and after Airlock's run; the throughput ratio is against their mean. */
          throughputRuns: [baseline.throughputPerSecond, baselineAgain.throughputPerSecond],
          throughputMeanPerSecond: baselinePerSecond,
          workerRssMb: baselineRss,
          historyEvents: baselineHistory.events,
          activities: baselineHistory.activities,
        },
        autoAllow: {
          ...withoutRuns(autoAllow),
          phases: autoPhases,
          latencyRatioP50: ratio(autoAllow.latency.p50Ms, baseline.latency.p50Ms),
          latencyRatioP99: ratio(autoAllow.latency.p99Ms, baseline.latency.p99Ms),
          throughputRatio: ratio(autoAllow.throughputPerSecond, baselinePerSecond),
          executedExactlyOnce,
          goals: {
            latencyRatioP50: atMost(
              autoAllow.latency.p50Ms / baseline.latency.p50Ms,
              GOALS.autoAllow.latencyRatioP50Max,
            ),
            throughputRatio: atLeast(
              autoAllow.throughputPerSecond / baselinePerSecond,
              GOALS.autoAllow.throughputRatioMin,
            ),
          },
          profile: autoProfile,
        },
        mcp: {
          ...mcp,
          restLatencyJustBefore: restBeforeMcp.latency,
          goals: {
            overheadP50Ms: atMost(
              mcp.overheadP50Ms,
              round(restBeforeMcp.latency.p50Ms + GOALS.mcpOverheadOverRestMs),
            ),
          },
        },
        approvalPath: {
          requests: approvalIds.length,
          decisionAnswer: summarize(decisionAnswer),
          answerToExecutionFinished: summarize(answerToExecuted),
          answerToStatusSucceededSeenByPolling: summarize(answerToSettled),
          workerSide: decisionsWorkerSide,
          goals: {
            p50Ms: atMost(summarize(answerToExecuted).p50Ms, GOALS.approvalPath.p50MsMax),
            p99Ms: atMost(summarize(answerToExecuted).p99Ms, GOALS.approvalPath.p99MsMax),
          },
          profile: approvedProfile,
        },
        previews: { tableRows: PREVIEW_TABLE_ROWS, ...previewTimes, timeToCard },
        archiver: archiverRun,
        manyPending: {
          pending: n,
          submitPerSecond: round(n / submitSeconds),
          rssMb: { idle: memBefore, whilePending: memPending, afterDrain: memAfter },
          memoryTrail,
          getWhilePending: summarize(getLat),
          listWhilePending: summarize(listLat),
          console: consolePages,
          decisionsPerSecond: round(n / decideSeconds),
          drainPerSecond: round(n / drainSeconds),
          goals: {
            rssMbPerProcess: atMost(
              Math.max(
                memPending.worker?.rssMb ?? 0,
                memPending.api?.rssMb ?? 0,
                memAfter.worker?.peakRssMb ?? 0,
                memAfter.api?.peakRssMb ?? 0,
              ),
              GOALS.manyPending.rssMbMax,
            ),
            getP99Ms: atMost(summarize(getLat).p99Ms, GOALS.manyPending.getP99MsMax),
            listP99Ms: atMost(summarize(listLat).p99Ms, GOALS.manyPending.listP99MsMax),
          },
        },
        audit: {
          appendOnePerCallPerSecond: round(appendOneRate),
          appendManyPerSecond: round(appendManyRate),
          verifyPerSecond: round(verifyRate),
          verifiedEvents: totalEvents,
          verifyOk,
          goals: {
            appendPerSecond: {
              ...atLeast(appendOneRate, GOALS.audit.appendPerSecondMin),
              metWithBatching: appendManyRate >= GOALS.audit.appendPerSecondMin,
            },
            verifyPerSecond: atLeast(verifyRate, GOALS.audit.verifyPerSecondMin),
          },
        },
      },
    };
    mkdirSync(RESULTS, { recursive: true });
    const name = onCluster ? 'cluster' : 'latest';
    writeFileSync(join(RESULTS, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
    const md = renderMarkdown(results);
    writeFileSync(join(RESULTS, `${name}.md`), md);
    process.stdout.write(md);
    if (!onCluster && updateReadme(join(root, 'README.md'), md))
      log('updated the performance section of README.md');
    // The files live in the repository, so they take its format (`npm test` runs `biome check`).
    const written = [
      ...(onCluster ? [] : ['README.md']),
      `bench/results/${name}.md`,
      `bench/results/${name}.json`,
    ];
    const formatted = spawnSync('npx', ['biome', 'format', '--write', ...written], {
      cwd: root,
      stdio: 'ignore',
    });
    if (formatted.status !== 0)
      log(`biome format failed: run \`npx biome format --write ${written.join(' ')}\``);
    log(`wrote ${join(RESULTS, `${name}.json`)} and ${name}.md`);
  } finally {
    await cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Measured {
  /** CPU time each process spent per request during the throughput phase. */
  cpuMsPerRequest: Record<string, number>;
  latency: LatencySummary;
  /** The one-at-a-time runs with the bench's clock around them (for meanPhases). */
  serialRuns: TimedRun[];
  /** The worker's SDK histograms over the one-at-a-time runs: mean ms per series. */
  workerSide?: SdkMeans;
  throughputPerSecond: number;
  throughputLatency: LatencySummary;
}

/**
 * Latency one at a time, then throughput (and the latency under that load) with N in flight.
 * run answers the workflow id of what it ran.
 */
async function measure(
  label: string,
  run: () => Promise<string>,
  pids: Record<string, Pids> = {},
  sdkMetrics?: string,
): Promise<Measured> {
  const serial = await measureSerial(label, run, sdkMetrics);
  return { ...serial, ...(await measureThroughput(label, run, pids)) };
}

/**
 * SIZES.latency runs one at a time: their latency, for meanPhases their clock times, and with the
 * worker's SDK metrics address its side of them (sdk-metrics.ts).
 */
async function measureSerial(label: string, run: () => Promise<string>, sdkMetrics?: string) {
  const serial: number[] = [];
  const serialRuns: TimedRun[] = [];
  const before = sdkMetrics ? await scrapeSdkMetrics(sdkMetrics) : undefined;
  await pool(`${label}: latency`, SIZES.latency, 1, async () => {
    const s = performance.now();
    const sentAt = Date.now();
    const workflowId = await run();
    serial.push(performance.now() - s);
    serialRuns.push({ workflowId, sentAt, answeredAt: Date.now() });
  });
  const workerSide =
    sdkMetrics && before ? meanBetween(before, await scrapeSdkMetrics(sdkMetrics)) : undefined;
  return { latency: summarize(serial), serialRuns, ...(workerSide ? { workerSide } : {}) };
}

/** Throughput with N in flight, the latency under that load, and each process's CPU per request. */
async function measureThroughput(
  label: string,
  run: () => Promise<unknown>,
  pids: Record<string, Pids> = {},
): Promise<Omit<Measured, 'latency' | 'serialRuns' | 'workerSide'>> {
  const loaded: number[] = [];
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
  const s = performance.now();
  await pool(`${label}: throughput`, SIZES.throughput, SIZES.concurrency, async () => {
    const t = performance.now();
    await run();
    loaded.push(performance.now() - t);
  });
  const seconds = (performance.now() - s) / 1000;
  const cpuMsPerRequest = Object.fromEntries(
    Object.entries(pids).map(([k, pid]) => [k, round((cpuMs(pid) - cpuBefore[k]!) / SIZES.throughput)]),
  );
  return {
    cpuMsPerRequest,
    throughputPerSecond: round(SIZES.throughput / seconds),
    throughputLatency: summarize(loaded),
  };
}

const withoutRuns = ({ serialRuns: _, ...rest }: Measured) => rest;

interface HistoryProfile {
  events: number;
  workflowTasks: number;
  /** Per activity type: scheduled -> completed, and of that the wait for a worker (scheduled -> started). */
  activities: Record<string, { count: number; meanMs: number; meanQueueMs: number }>;
  wallMs: number;
}

/** History events, workflow tasks and per-activity time (scheduled -> completed) of one workflow. */
async function historyProfile(client: Client, workflowId: string): Promise<HistoryProfile> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const scheduled = new Map<string, { type: string; at: number }>();
  const started = new Map<string, number>();
  const acc: Record<string, { count: number; totalMs: number; queueMs: number }> = {};
  let workflowTasks = 0;
  for (const e of events) {
    if (e.workflowTaskCompletedEventAttributes) workflowTasks++;
    const sch = e.activityTaskScheduledEventAttributes;
    if (sch)
      scheduled.set(String(e.eventId), { type: sch.activityType?.name ?? '?', at: millis(e.eventTime) });
    const start = e.activityTaskStartedEventAttributes;
    if (start) started.set(String(start.scheduledEventId), millis(e.eventTime));
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const s = scheduled.get(String(done.scheduledEventId));
      if (s) {
        const a = acc[s.type] ?? { count: 0, totalMs: 0, queueMs: 0 };
        acc[s.type] = a;
        a.count++;
        a.totalMs += millis(e.eventTime) - s.at;
        a.queueMs += (started.get(String(done.scheduledEventId)) ?? s.at) - s.at;
      }
    }
  }
  const activities = Object.fromEntries(
    Object.entries(acc).map(([k, v]) => [
      k,
      { count: v.count, meanMs: round(v.totalMs / v.count), meanQueueMs: round(v.queueMs / v.count) },
    ]),
  );
  return {
    events: events.length,
    workflowTasks,
    activities,
    wallMs: round(millis(events[events.length - 1]?.eventTime) - millis(events[0]?.eventTime)),
  };
}

/** The mean of historyProfile over several workflows (activity times are noisy one by one). */
async function averageProfiles(client: Client, workflowIds: string[]) {
  const profiles = await Promise.all(workflowIds.map((id) => historyProfile(client, id)));
  const mean = (f: (p: HistoryProfile) => number) =>
    round(profiles.reduce((a, p) => a + f(p), 0) / profiles.length);
  const types = new Set(profiles.flatMap((p) => Object.keys(p.activities)));
  const activities: Record<string, { perRequest: number; meanMs: number; meanQueueMs: number }> = {};
  for (const t of types) {
    const withIt = profiles.filter((p) => p.activities[t]);
    const meanOf = (f: (a: { meanMs: number; meanQueueMs: number }) => number) =>
      round(withIt.reduce((a, p) => a + f(p.activities[t]!), 0) / withIt.length);
    activities[t] = {
      perRequest: round(withIt.reduce((a, p) => a + p.activities[t]!.count, 0) / profiles.length),
      meanMs: meanOf((a) => a.meanMs),
      meanQueueMs: meanOf((a) => a.meanQueueMs),
    };
  }
  return {
    sampled: profiles.length,
    historyEvents: mean((p) => p.events),
    workflowTasks: mean((p) => p.workflowTasks),
    activitiesPerRequest: round(Object.values(activities).reduce((a, v) => a + v.perRequest, 0)),
    workflowWallMs: mean((p) => p.wallMs),
    activities,
  };
}

function apiClient(url: string, keys: { requester: string; approver: string }) {
  const call = async (who: keyof typeof keys, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${keys[who]}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: the bench reads a few fields of the answers
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed };
  };
  return {
    get: (who: keyof typeof keys, path: string) => call(who, 'GET', path),
    post: (who: keyof typeof keys, path: string, body: unknown) => call(who, 'POST', path, body),
  };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
