// Where one request's time goes: the bench's clock when it sent the request and got the answer,
// around the event times of the workflow's history (the same machine, so the same clock). Run on
// requests made one at a time, it splits the latency into the caller's side before the start, the
// workflow tasks, the activity and the answer after the close, for Airlock and the bare baseline.
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { round } from './lib.js';

/** One request made by the bench: its workflow and the bench's clock around it (Date.now()). */
export interface TimedRun {
  workflowId: string;
  sentAt: number;
  answeredAt: number;
}

/** Mean milliseconds of each phase; they add up to the mean latency of the runs sampled. */
export interface Phases {
  sampled: number;
  beforeStart: number;
  firstWorkflowTask: number;
  activities: number;
  toCompletion: number;
  afterClose: number;
}

const EVENT = proto.temporal.api.enums.v1.EventType;

export const millis = (t: unknown): number => {
  const ts = t as { seconds?: { toNumber(): number } | number; nanos?: number } | null | undefined;
  if (!ts) return 0;
  const sec = typeof ts.seconds === 'number' ? ts.seconds : (ts.seconds?.toNumber() ?? 0);
  return sec * 1000 + (ts.nanos ?? 0) / 1e6;
};

/**
 * beforeStart: send -> WorkflowExecutionStarted (HTTP, auth, Airlock's own writes, the start call);
 * firstWorkflowTask: -> the first WorkflowTaskCompleted (queue, replay-free run, local activities);
 * activities: -> the last ActivityTaskCompleted; toCompletion: -> WorkflowExecutionCompleted;
 * afterClose: -> the answer (the result long poll, decoding, the HTTP answer). A request still
 * open 300 ms in may be answered by a state query before its close: its afterClose is then
 * negative (and toCompletion longer); auto-allowed requests close well before that.
 */
export async function meanPhases(client: Client, runs: TimedRun[]): Promise<Phases> {
  const each = await Promise.all(runs.map((r) => phasesOf(client, r)));
  const mean = (k: keyof Omit<Phases, 'sampled'>) => round(each.reduce((a, p) => a + p[k], 0) / each.length);
  return {
    sampled: each.length,
    beforeStart: mean('beforeStart'),
    firstWorkflowTask: mean('firstWorkflowTask'),
    activities: mean('activities'),
    toCompletion: mean('toCompletion'),
    afterClose: mean('afterClose'),
  };
}

async function phasesOf(client: Client, run: TimedRun): Promise<Omit<Phases, 'sampled'>> {
  const events = (await client.workflow.getHandle(run.workflowId).fetchHistory()).events ?? [];
  const first = (type: number) => events.find((e) => e.eventType === type);
  const last = (type: number) => events.findLast((e) => e.eventType === type);
  const started = millis(first(EVENT.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)?.eventTime);
  const closed = millis(last(EVENT.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)?.eventTime);
  if (!started || !closed) throw new Error(`${run.workflowId}: not a completed workflow`);
  const firstTask = millis(first(EVENT.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)?.eventTime) || started;
  const activitiesDone = millis(last(EVENT.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)?.eventTime) || firstTask;
  return {
    beforeStart: started - run.sentAt,
    firstWorkflowTask: firstTask - started,
    activities: activitiesDone - firstTask,
    toCompletion: closed - activitiesDone,
    afterClose: run.answeredAt - closed,
  };
}
