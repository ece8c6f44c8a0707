// After approval (SPEC 2, steps 6-7): each executor mode runs its own way. `once` executes the
// exact approved parameters exactly once; `gate` issues a single-use token and waits for the
// requester to redeem it and report; `lease` grants access and revokes it when the lease ends.
import { condition, uuid4 } from '@temporalio/workflow';
import { sameIdentity } from '../policy/identity.js';
import { callbackSubject } from './activity-inputs.js';
import { callbacks, executors, local, revocations } from './activity-options.js';
import { refreshCards } from './approvals.js';
import { AUDIT_REJECTED, AUDIT_UNAVAILABLE } from './failure-types.js';
import { failureMessage, failureType } from './failures.js';
import type { ActionRequest } from './request.js';
import type { ActionState, ActionStatus, ExecutionResult } from './types.js';

export type Finish = (
  status: ActionStatus,
  actor: string,
  reason: string | undefined,
) => Promise<ActionState>;

export function runApproved(request: ActionRequest, finish: Finish): Promise<ActionState> {
  switch (request.state.execution.mode) {
    case 'gate':
      return runGate(request, finish);
    case 'lease':
      return runLease(request, finish);
    default:
      return runOnce(request, finish);
  }
}

async function runOnce(request: ActionRequest, finish: Finish): Promise<ActionState> {
  const result = await execute(request, 'executeAction');
  return finish(result.ok ? 'succeeded' : 'failed', 'system', result.error?.message);
}

/**
 * Runs the executor once (idempotent by request id). Its activity writes the buffered events
 * first, so the trail has "execution started" before anything runs; exhausted retries become a
 * failed result.
 */
async function execute(
  request: ActionRequest,
  activity: 'executeAction' | 'grantAccess',
): Promise<ExecutionResult> {
  const { state, ledger } = request;
  request.setStatus('executing');
  ledger.record('execution.started', 'system', {
    executor: state.execution.executor,
    target: state.execution.target,
  });
  await refreshCards(request);
  const run = (record?: Awaited<ReturnType<typeof ledger.handOver>>) =>
    executors[activity]({
      requestId: state.requestId,
      action: state.request.action,
      parameters: state.request.parameters,
      parametersHash: state.parametersHash,
      requester: state.requester,
      binding: state.execution,
      // What the approvers saw: the executor holds reality to it (the drift check).
      ...(state.preview ? { approved: { preview: state.preview, drift: state.policy?.drift ?? {} } } : {}),
      ...(record ? { record } : {}),
    });
  const record = await ledger.handOver();
  let result: ExecutionResult;
  try {
    result = await run(record);
    ledger.delivered();
  } catch (err) {
    // The trail can never take these events: the request ends failed for it (action-request.ts).
    if (failureType(err) === AUDIT_REJECTED) throw err;
    // Unless taken back below, the handed-over events go out again with the next write.
    result = { ok: false, error: { type: 'ExecutorFailed', message: failureMessage(err) } };
    // The audit store stayed down through every attempt, so nothing ran: write the events the
    // patient way (a local activity retries until the store is back), then execute.
    if (record && failureType(err) === AUDIT_UNAVAILABLE) {
      ledger.takeBack();
      await ledger.flush();
      try {
        result = await run();
      } catch (retryErr) {
        result = { ok: false, error: { type: 'ExecutorFailed', message: failureMessage(retryErr) } };
      }
    }
  }
  state.result = result;
  state.executedAt = new Date().toISOString();
  return result;
}

async function runGate(request: ActionRequest, finish: Finish): Promise<ActionState> {
  const { state, ledger } = request;
  const ttl = await local.gateSettings();
  state.gate = { tokenId: uuid4(), expiresAt: new Date(Date.now() + ttl.tokenTtlMs).toISOString() };
  ledger.record('gate.token_issued', 'system', {
    tokenId: state.gate.tokenId,
    expiresAt: state.gate.expiresAt,
  });
  await notifyRequester(request);
  await ledger.flush();
  const wasRedeemed = await condition(() => request.redeemed !== undefined, ttl.tokenTtlMs);
  if (!wasRedeemed) return finish('expired', 'system', 'the approval token was not redeemed in time');
  const reported = await condition(() => request.completed !== undefined, ttl.completionTimeoutMs);
  state.executedAt = new Date().toISOString();
  const completed = request.completed;
  if (!reported || !completed) {
    state.result = {
      ok: false,
      error: { type: 'CompletionNotReported', message: 'the requester did not report the outcome' },
    };
    return finish('failed', 'system', state.result.error?.message);
  }
  state.result = {
    ok: completed.outcome === 'succeeded',
    output: { mode: 'gate', reported: completed.details ?? {} },
  };
  return finish(completed.outcome, completed.by, undefined);
}

async function runLease(request: ActionRequest, finish: Finish): Promise<ActionState> {
  const { state, ledger } = request;
  const result = await execute(request, 'grantAccess');
  if (!result.ok) return finish('failed', 'system', result.error?.message);
  const role = String(result.output?.role);
  const validUntil = String(result.output?.validUntil);
  state.grant = { role, database: result.output?.database as string | undefined, validUntil };
  request.setStatus('active');
  ledger.record('grant.active', 'system', { role, validUntil });
  await refreshCards(request);
  await notifyRequester(request);
  await ledger.flush();
  const ttlMs = Math.max(0, Date.parse(validUntil) - Date.now());
  const early = await condition(() => request.releasedBy !== undefined, ttlMs);
  await revocations.revokeAccess({ requestId: state.requestId, binding: state.execution });
  state.grant.revokedAt = new Date().toISOString();
  state.grant.revokedBecause = early ? 'released' : 'ttl';
  const by = request.releasedBy;
  if (!early || by === undefined) return finish('revoked', 'system', 'grant expired');
  return finish(
    'revoked',
    by,
    sameIdentity(by, state.requester) ? 'released by the requester' : `ended early by ${by}`,
  );
}

/** POSTs the state to the requester's callback URL, if it gave one; the outcome is recorded. */
export async function notifyRequester(request: ActionRequest): Promise<void> {
  const { state, ledger } = request;
  if (!state.request.callbackUrl) return;
  await ledger.flush();
  try {
    const sent = await callbacks.sendCallback({ outcome: callbackSubject(state) });
    ledger.record('callback.sent', 'system', { status: sent.status });
  } catch (err) {
    ledger.record('callback.failed', 'system', { error: failureMessage(err) });
  }
}
