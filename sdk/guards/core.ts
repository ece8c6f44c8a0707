// The framework-neutral part of a tool guard: a tool call becomes an Airlock request, and what
// Airlock decided (and, once run, what happened) becomes the tool's result.
//   managed: Airlock's executor runs the action (the tool's input becomes its parameters); the
//            tool's own code never runs.
//   gate:    the tool must run in-process: after approval the guard redeems the token (checking
//            the parameters hash), runs the tool, and reports the outcome with `complete`.
// A call that is not decided within `waitSeconds` is cancelled (fail closed): the model is told
// it timed out, and a late approval can no longer run an action nobody is waiting for.
import { type Action, type ActionRequest, type AirlockClient, isSettled } from '../client.js';

type OrFn<T, I> = T | ((input: I) => T);

export interface GuardOptions<I> {
  client: AirlockClient;
  /** The action type, e.g. `http.config.update` or `agent.tool.deploy`. */
  action: OrFn<string, I>;
  resource: OrFn<string, I>;
  environment: OrFn<string, I>;
  justification?: OrFn<string | undefined, I>;
  /** The request's parameters (what the approval is bound to); default the tool's input. */
  parameters?: (input: I) => Record<string, unknown>;
  /** Who the agent is (shown to approvers). */
  agent?: ActionRequest['agent'];
  /** `managed` (Airlock runs it, the default) or `gate` (the tool runs here after approval). */
  mode?: 'managed' | 'gate';
  /** How long a call waits for its decision and execution (default 300 s). */
  waitSeconds?: number;
  /** Called with each request the guard submits (progress, or to show the approval link). */
  onSubmitted?: (action: { id: string; links?: Record<string, string | undefined> }) => void;
}

/** What the model reads as the tool's result. */
export interface GuardOutcome {
  /** The request's final status, or `timed_out` when nobody decided in time (it was cancelled). */
  status: Action['status'] | 'timed_out';
  requestId: string;
  /** Why it was denied, expired, cancelled or failed. */
  reason?: string;
  /** managed: the executor's result; gate: what the tool returned. */
  result?: unknown;
}

const pick = <T, I>(value: OrFn<T, I>, input: I): T =>
  typeof value === 'function' ? (value as (i: I) => T)(input) : value;

/** Runs one tool call through Airlock; `run` is the tool's own code (gate mode only). */
export async function guardedCall<I>(
  options: GuardOptions<I>,
  input: I,
  run: (input: I) => Promise<unknown>,
): Promise<GuardOutcome> {
  const { client } = options;
  const justification = pick(options.justification, input);
  const request: ActionRequest = {
    action: pick(options.action, input),
    resource: pick(options.resource, input),
    environment: pick(options.environment, input),
    parameters: options.parameters ? options.parameters(input) : ((input ?? {}) as Record<string, unknown>),
    ...(justification ? { justification } : {}),
    ...(options.agent ? { agent: options.agent } : {}),
  };
  const submitted = await client.submit(request);
  options.onSubmitted?.(submitted);
  const requestId = submitted.id;
  const deadline = Date.now() + (options.waitSeconds ?? 300) * 1000;
  const left = () => Math.max(0, Math.ceil((deadline - Date.now()) / 1000));

  let state = await client.waitFor(requestId, { timeoutSeconds: left() });
  if (!isSettled(state)) return timedOut(client, requestId);
  if (options.mode === 'gate' && state.status === 'approved' && state.approvalToken) {
    await client.redeem(requestId, { token: state.approvalToken, parametersHash: state.parametersHash });
    try {
      const result = await run(input);
      await client.complete(requestId, { outcome: 'succeeded' });
      return { status: 'succeeded', requestId, result };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      await client.complete(requestId, { outcome: 'failed', details: { error: reason.slice(0, 1000) } });
      return { status: 'failed', requestId, reason };
    }
  }
  // Managed mode: an approved request goes on to execute; wait for its outcome too.
  if (!isFinal(state)) state = await client.waitFor(requestId, { timeoutSeconds: left() });
  if (!isFinal(state)) return timedOut(client, requestId);
  return {
    status: state.status,
    requestId,
    ...(state.reason ? { reason: state.reason } : {}),
    ...(state.result ? { result: state.result } : {}),
  };
}

const isFinal = (a: Action) => isSettled(a) && !(a.status === 'approved' || a.status === 'active');

async function timedOut(client: AirlockClient, requestId: string): Promise<GuardOutcome> {
  // Best effort: a request that settled in the meantime can no longer be cancelled (409).
  await client
    .cancel(requestId, { reason: 'the agent stopped waiting for a decision' })
    .catch(() => undefined);
  return { status: 'timed_out', requestId, reason: 'no decision in time; the request was cancelled' };
}
