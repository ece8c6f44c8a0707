// The Temporal Schedule that runs the history archiver (workflows/history-archiver.ts), created
// idempotently at start-up: one per task queue, so deployments (and test runs) sharing a cluster
// each archive their own requests. The interval must sit well within the namespace retention,
// or histories could be deleted by Temporal before they are archived.
import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { HistoryArchiverInput } from '../workflows/history-archiver.js';

export const archiverScheduleId = (taskQueue: string): string => `airlock-history-archiver-${taskQueue}`;

export interface ArchiverScheduleOptions {
  taskQueue: string;
  intervalMs: number;
  input?: HistoryArchiverInput;
}

function definition(o: ArchiverScheduleOptions) {
  return {
    spec: { intervals: [{ every: o.intervalMs }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'historyArchiver',
      workflowId: archiverScheduleId(o.taskQueue),
      taskQueue: o.taskQueue,
      args: [o.input ?? {}],
      // One run may archive a large backlog; it must still end well before the next tick matters.
      workflowExecutionTimeout: 3_600_000,
    },
    policies: {
      // Never two archivers at once; a missed tick is harmless (the next run catches up from the cursor).
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: 86_400_000,
      pauseOnFailure: false,
    },
  };
}

/** Creates the schedule, or brings an existing one to the wanted interval and task queue. */
export async function ensureArchiverSchedule(
  client: Client,
  o: ArchiverScheduleOptions,
): Promise<{ scheduleId: string; created: boolean }> {
  const scheduleId = archiverScheduleId(o.taskQueue);
  const def = definition(o);
  try {
    await client.schedule.create({ scheduleId, ...def });
    return { scheduleId, created: true };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({
    ...previous,
    spec: def.spec,
    action: def.action,
    policies: { ...previous.policies, ...def.policies },
    state: { ...previous.state, paused: false },
  }));
  return { scheduleId, created: false };
}

/** The namespace's history retention in ms (undefined when the server does not say). */
export async function namespaceRetentionMs(client: Client, namespace: string): Promise<number | undefined> {
  const res = await client.workflowService.describeNamespace({ namespace });
  const ttl = res.config?.workflowExecutionRetentionTtl;
  if (!ttl?.seconds) return undefined;
  return Number(ttl.seconds) * 1000 + Math.floor((ttl.nanos ?? 0) / 1e6);
}
