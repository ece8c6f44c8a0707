// Renders bench/results/latest.json as the markdown table the README's performance section is
// generated from. `tsx bench/report.ts` re-renders latest.md from latest.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GOALS } from './goals.js';

// biome-ignore lint/suspicious/noExplicitAny: the results object is plain JSON written by run.ts
type Results = any;

const ok = (met: boolean | undefined) => (met === undefined ? '' : met ? 'met' : '**missed**');
const lat = (l: { p50Ms: number; p95Ms: number; p99Ms: number }) =>
  `p50 ${l.p50Ms} / p95 ${l.p95Ms} / p99 ${l.p99Ms} ms`;

/** bench/timeline.ts's phases of a one-at-a-time request, mean ms. */
const phases = (p: Results) =>
  p
    ? `; one at a time (mean of the last ${p.sampled}): before start ${p.beforeStart}, first workflow task ${p.firstWorkflowTask}, activities ${p.activities}, to completion ${p.toCompletion}, after close ${p.afterClose} ms`
    : '';

/** The first phase after which a process's peak RSS was within 1 MB of `peak` (the one printed). */
function peakSetBy(trail: Results, role: string, peak: number | undefined): string {
  if (peak === undefined) return '';
  const phase = trail?.find((t: Results) => peak - (t[role]?.peakRssMb ?? 0) <= 1)?.after;
  return phase ? `, reached by the end of: ${phase}` : '';
}

/** The worker's side of one request from the SDK's histograms (bench/sdk-metrics.ts), mean ms. */
function workerSide(ws: Results, requests: number): string {
  if (!ws) return '';
  const per = (key: string) => (ws[key] ? `${ws[key].meanMs} ms x ${round1(ws[key].count / requests)}` : '');
  const byLabel = (prefix: string) =>
    Object.keys(ws)
      .filter((k) => k.startsWith(`${prefix}{`))
      .map((k) => `${/=([^}]*)/.exec(k)?.[1]} ${per(k)}`)
      .join(', ');
  const parts = [
    `workflow task ${per('workflow_task_execution_latency')} (its wait for the worker ${ws.workflow_task_schedule_to_start_latency?.meanMs ?? '?'} ms)`,
    byLabel('local_activity_execution_latency') &&
      `local activities ${byLabel('local_activity_execution_latency')}`,
    byLabel('activity_execution_latency') && `activities ${byLabel('activity_execution_latency')}`,
    byLabel('request_latency') && `calls to Temporal ${byLabel('request_latency')}`,
  ];
  return `; in the worker (SDK metrics, one at a time): ${parts.filter(Boolean).join('; ')}`;
}
const round1 = (n: number) => Math.round(n * 10) / 10;

export function renderMarkdown(r: Results): string {
  const s = r.scenarios;
  const b = s.baseline;
  const a = s.autoAllow;
  const ap = s.approvalPath;
  const m = s.manyPending;
  const au = s.audit;
  const rss = (p: string) =>
    `${m.rssMb.whilePending[p]?.rssMb ?? '?'} MB while pending (peak ${m.rssMb.afterDrain[p]?.peakRssMb ?? '?'} MB${peakSetBy(m.memoryTrail, p, m.rssMb.afterDrain[p]?.peakRssMb)})`;
  const rows: string[][] = [
    ['scenario', 'figures', 'goal', 'result'],
    [
      'baseline: bare Temporal workflow, one no-op activity',
      `${b.throughputMeanPerSecond ?? b.throughputPerSecond} wf/s at ${r.sizes.concurrency} in flight${b.throughputRuns ? ` (mean of ${b.throughputRuns.join(' before and ')} after Airlock's run)` : ''}; latency ${lat(b.latency)}; ${b.historyEvents} history events; CPU per workflow: worker ${b.cpuMsPerRequest?.worker} ms, Temporal ${b.cpuMsPerRequest?.temporal} ms; worker RSS ${b.workerRssMb?.rssMb} MB${phases(b.phases)}${workerSide(b.workerSide, b.latency.count)}`,
      'the floor',
      '',
    ],
    [
      'auto-allowed action over REST (`?wait=`), no-op executor',
      `${a.throughputPerSecond} req/s (${a.throughputRatio}x baseline); latency ${lat(a.latency)} (p50 ${a.latencyRatioP50}x baseline); ${a.profile.historyEvents} history events, ${a.profile.workflowTasks} workflow tasks, ${a.profile.activitiesPerRequest} activities; CPU per request: worker ${a.cpuMsPerRequest?.worker} ms, API ${a.cpuMsPerRequest?.api} ms, Temporal ${a.cpuMsPerRequest?.temporal} ms${phases(a.phases)}${workerSide(a.workerSide, a.latency.count)}`,
      `latency p50 <= ${GOALS.autoAllow.latencyRatioP50Max}x baseline; throughput >= ${GOALS.autoAllow.throughputRatioMin}x baseline`,
      `latency ${ok(a.goals.latencyRatioP50.met)}; throughput ${ok(a.goals.throughputRatio.met)}`,
    ],
    ...(s.mcp
      ? [
          [
            'auto-allowed MCP tool call through `/mcp` to a stdio upstream, against the upstream called directly',
            `via Airlock ${lat(s.mcp.viaAirlock)}; direct ${lat(s.mcp.direct)}; overhead p50 ${s.mcp.overheadP50Ms} ms, p99 ${s.mcp.overheadP99Ms} ms; ${s.mcp.callsPerSecond} calls/s at ${r.sizes.concurrency} in flight`,
            `overhead p50 <= the auto-allowed REST latency p50${s.mcp.restLatencyJustBefore ? ` measured just before (${s.mcp.restLatencyJustBefore.p50Ms} ms)` : ''} + ${GOALS.mcpOverheadOverRestMs} ms`,
            `overhead p50 ${ok(s.mcp.goals.overheadP50Ms.met)} (max ${s.mcp.goals.overheadP50Ms.max} ms)`,
          ],
        ]
      : []),
    [
      'approval path: decision over the API on a pending request',
      `decision answer -> execution finished ${lat(ap.answerToExecutionFinished)}; the decision call itself ${lat(ap.decisionAnswer)}`,
      `p50 <= ${GOALS.approvalPath.p50MsMax} ms, p99 <= ${GOALS.approvalPath.p99MsMax} ms`,
      `p50 ${ok(ap.goals.p50Ms.met)}; p99 ${ok(ap.goals.p99Ms.met)}`,
    ],
    ...(s.previews
      ? [
          [
            `postgres.sql preview on a ${s.previews.tableRows.toLocaleString('en-US')}-row table, ${s.previews.runs} runs each`,
            `1,000-row UPDATE (indexed predicate) ${lat(s.previews.indexedUpdate1000Rows)}; full-table UPDATE (${s.previews.fullTableUpdate.rows.toLocaleString('en-US')} rows) ${lat(s.previews.fullTableUpdate)}; the bare statements in a rolled-back transaction p50 ${s.previews.bare.indexedUpdate1000Rows.p50Ms} and ${s.previews.bare.fullTableUpdate.p50Ms} ms; submit to first card ${lat(s.previews.timeToCard.withPreview)} with the preview, ${lat(s.previews.timeToCard.withoutPreview)} without (adds ${s.previews.timeToCard.addedP50Ms} ms at p50)`,
            'measured, no goal',
            '',
          ],
        ]
      : []),
    [
      `${m.pending} requests pending at once`,
      `worker ${rss('worker')}; API ${rss('api')}; GET ${lat(m.getWhilePending)}; list ${lat(m.listWhilePending)}; drain ${m.drainPerSecond} req/s after approval (decisions ${m.decisionsPerSecond}/s)`,
      `RSS <= ${GOALS.manyPending.rssMbMax} MB per process; GET p99 <= ${GOALS.manyPending.getP99MsMax} ms; list p99 <= ${GOALS.manyPending.listP99MsMax} ms`,
      `RSS ${ok(m.goals.rssMbPerProcess.met)}; GET p99 ${ok(m.goals.getP99Ms.met)}; list p99 ${ok(m.goals.listP99Ms.met)}`,
    ],
    ...(m.console
      ? [
          [
            `approver console with ${m.pending} requests pending, all waiting for the one approver`,
            `inbox ("waiting for me", ${m.console.inboxShown} shown) ${lat(m.console.inbox)}; request page ${lat(m.console.requestPage)}; one at a time on the loopback`,
            `p95 <= ${GOALS.console.p95MsMax} ms each`,
            `inbox ${ok(m.console.goals.inboxP95Ms.met)}; request page ${ok(m.console.goals.requestPageP95Ms.met)}`,
          ],
        ]
      : []),
    ...(s.archiver
      ? [
          [
            'history archiver: one run over every request closed by then',
            `${s.archiver.archived} histories in ${s.archiver.seconds} s (${s.archiver.perSecond}/s); CPU per history: worker ${s.archiver.cpuMsPerHistory.worker} ms, Temporal ${s.archiver.cpuMsPerHistory.temporal} ms${s.archiver.finished === false ? `; measured for ${s.archiver.seconds} s of the run, ${s.archiver.notYetArchived} still to archive` : ''}`,
            'measured, no goal',
            '',
          ],
        ]
      : []),
    [
      'audit trail on PostgreSQL',
      `append ${au.appendOnePerCallPerSecond} events/s one per call, 10 calls in flight (${au.appendManyPerSecond}/s in batches of 100, 4 in flight; concurrent calls are group-committed); verify ${au.verifyPerSecond} events/s over ${au.verifiedEvents} events (ok: ${au.verifyOk}); Temporal stopped first`,
      `>= ${GOALS.audit.appendPerSecondMin.toLocaleString('en-US')} events/s append; >= ${GOALS.audit.verifyPerSecondMin.toLocaleString('en-US')} events/s verify`,
      `append ${ok(au.goals.appendPerSecond.met)} (batched: ${ok(au.goals.appendPerSecond.metWithBatching)}); verify ${ok(au.goals.verifyPerSecond.met)}`,
    ],
  ];
  const table = rows.map((row) => `| ${row.join(' | ')} |`);
  table.splice(1, 0, `|${rows[0]!.map(() => '---').join('|')}|`);
  return [
    `<!-- generated by ${r.generatedBy} (${r.mode} mode) at ${r.finishedAt}; do not edit -->`,
    `Measured with \`npm run bench${r.mode === 'quick' ? ' -- --quick' : ''}\` on ${r.machine.cpus} CPU (${r.machine.cpuModel}), Node ${r.machine.node}${r.machine.stealPercent !== undefined ? `; the host took ${r.machine.stealPercent}% of the CPU time for other guests during the run (steal)` : ''}. Executor: ${r.setup.executor}. Memory: ${r.setup.memory ?? 'defaults'}.${r.setup.archiver ? ` Archiver: ${r.setup.archiver}.` : ''}`,
    '',
    ...table,
    '',
  ].join('\n');
}

const README_START = '<!-- bench:start -->';
const README_END = '<!-- bench:end -->';

/** Replaces the README's performance table (between the bench markers) with `markdown`. */
export function updateReadme(readmePath: string, markdown: string): boolean {
  const readme = readFileSync(readmePath, 'utf8');
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) return false;
  const next = `${readme.slice(0, start + README_START.length)}\n${markdown}${readme.slice(end)}`;
  if (next !== readme) writeFileSync(readmePath, next);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  const results = JSON.parse(readFileSync(`${dir}latest.json`, 'utf8'));
  const md = renderMarkdown(results);
  writeFileSync(`${dir}latest.md`, md);
  updateReadme(fileURLToPath(new URL('../README.md', import.meta.url)), md);
}
