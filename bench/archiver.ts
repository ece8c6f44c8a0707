// The history archiver (workflows/history-archiver.ts) on the bench's backlog. Its Schedule fires
// every 5 minutes and archives every history closed since the last run: left running, it landed
// in whichever scenario was being measured (hundreds of archive activities during one phase) and
// moved that scenario's figures between runs. So the bench pauses it while the other scenarios
// run, and measures it on its own at the end: one triggered run over everything closed so far.
import { type Client, ScheduleOverlapPolicy } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { SqlDb } from '../db/sql.js';
import { archiverScheduleId } from '../temporal/archiver-schedule.js';
import { cpuMs, type Pids, round, waitFor } from './lib.js';
import { millis } from './timeline.js';

/** The worker creates the Schedule just after it starts polling: pause it once it is there. */
export async function pauseArchiver(client: Client, taskQueue: string): Promise<void> {
  const handle = client.schedule.getHandle(archiverScheduleId(taskQueue));
  await waitFor(
    'archiver schedule',
    () =>
      handle.pause('bench: measured on its own at the end (bench/archiver.ts)').then(
        () => true,
        () => undefined,
      ),
    60_000,
    200,
  );
}

/**
 * The workflow id of the archiver run the Schedule started at or after `since` (ms). The raw call:
 * the SDK's describe() would decode the Schedule's action input, which Airlock's codec encrypted.
 */
async function archiverStartedSince(client: Client, taskQueue: string, since: number) {
  const res = await client.workflowService.describeSchedule({
    namespace: client.options.namespace,
    scheduleId: archiverScheduleId(taskQueue),
  });
  // The server's clock is this machine's; a second of slack for its rounding.
  const action = res.info?.recentActions?.find((a) => millis(a.actualTime) >= since - 1000);
  return action?.startWorkflowResult?.workflowId ?? undefined;
}

const STATUS = proto.temporal.api.enums.v1.WorkflowExecutionStatus;

export interface ArchiverRun {
  archived: number;
  seconds: number;
  perSecond: number;
  cpuMsPerHistory: Record<string, number>;
  /** Indexed requests not archived when the measurement ended (0 when the run finished). */
  notYetArchived: number;
  finished: boolean;
}

/**
 * Unpauses and triggers the Schedule, then waits until its run (and its continue-as-new runs)
 * ended, or `budgetMs` passed: on the dev server a run over a full bench's 14,257 histories
 * averaged 11/s in its first 11 minutes and under 2/s after 35, and the bench must end.
 */
export async function measureArchiver(
  client: Client,
  sql: SqlDb,
  taskQueue: string,
  pids: Record<string, Pids>,
  budgetMs: number,
): Promise<ArchiverRun> {
  const handle = client.schedule.getHandle(archiverScheduleId(taskQueue));
  const count = async () =>
    Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM archived_histories')).rows[0]?.n ?? 0);
  const before = await count();
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
  const t0 = Date.now();
  await handle.unpause('bench: the archiver run');
  // SKIP: should its own tick fire first, that one run is the one measured (never two at once).
  await handle.trigger(ScheduleOverlapPolicy.SKIP);
  const workflowId = await waitFor(
    'archiver started',
    () => archiverStartedSince(client, taskQueue, t0),
    60_000,
    100,
  );
  // The latest run of that workflow id: the archiver continues as new through a long backlog.
  const latestRunOpen = async () => {
    const { workflowExecutionInfo } = await client.workflowService.describeWorkflowExecution({
      namespace: client.options.namespace,
      execution: { workflowId },
    });
    const status = workflowExecutionInfo?.status;
    if (status === STATUS.WORKFLOW_EXECUTION_STATUS_RUNNING) return true;
    // Partial figures from a run that failed would read as a clean measurement.
    if (status !== STATUS.WORKFLOW_EXECUTION_STATUS_COMPLETED)
      throw new Error(`the archiver run ended ${STATUS[status ?? 0]}`);
    return false;
  };
  const finished = await waitFor(
    'archiver finished',
    async () => {
      if (!(await latestRunOpen())) return true;
      return Date.now() - t0 > budgetMs ? false : undefined;
    },
    budgetMs + 60_000,
    500,
  );
  const seconds = (Date.now() - t0) / 1000;
  const archived = (await count()) - before;
  const indexed = Number(
    (await sql.query<{ n: string }>('SELECT count(*) AS n FROM request_index')).rows[0]?.n ?? 0,
  );
  return {
    finished,
    notYetArchived: Math.max(0, indexed - before - archived),
    archived,
    seconds: round(seconds),
    perSecond: round(archived / seconds),
    cpuMsPerHistory: Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => [
        k,
        round((cpuMs(pid) - cpuBefore[k]!) / Math.max(1, archived)),
      ]),
    ),
  };
}
