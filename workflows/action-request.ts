// One privileged action = one durable workflow (SPEC 2): enrich and evaluate the policy, ask the
// approvers stage by stage with timeouts and escalation, execute exactly once, record everything.
// Deterministic: all I/O happens in activities; the rules are in rules.ts, the messages in
// request.ts, the audit buffer in ledger.ts.
import { allHandlersFinished, condition, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { justificationShortfall } from '../policy/justification.js';
import { updateCardsInput } from './activity-inputs.js';
import { cards, local } from './activity-options.js';
import { askApprovers, bestEffort } from './approvals.js';
import { awaitReview, breakTheGlass } from './break-glass.js';
import { notifyRequester, runApproved } from './execution.js';
import { AUDIT_REJECTED } from './failure-types.js';
import { failureDetail, failureType } from './failures.js';
import { AuditLedger } from './ledger.js';
import { evaluateWithPreview } from './preview.js';
import { ActionRequest } from './request.js';
import { judgeBreakGlass, missingRequiredPreview } from './rules.js';
import { approveByStanding, createChosenStanding, expireStanding } from './standing.js';
import { initialState } from './state.js';
import type { ActionRequestInput, ActionState, ActionStatus } from './types.js';

const nowIso = (): string => new Date().toISOString();

export async function actionRequest(input: ActionRequestInput): Promise<ActionState> {
  const state = initialState(input, nowIso());
  const ledger = new AuditLedger(state, { write: local.recordEvents, upsertSearchAttributes, now: nowIso });
  const request = new ActionRequest(state, ledger);
  request.registerHandlers();
  try {
    return await lifecycle(input, request);
  } catch (err) {
    if (failureType(err) !== AUDIT_REJECTED) throw err;
    return failForTheTrail(request, err);
  }
}

async function lifecycle(input: ActionRequestInput, request: ActionRequest): Promise<ActionState> {
  const { state, ledger } = request;

  // 1. Enrich (failures degrade the card, never block) and 2. evaluate the policy, in one local
  // activity that first checks the API's proof: only Airlock starts requests. Then Airlock's own
  // preview of the action, and the policy again where a rule reads it (preview.ts).
  const { workflowId, startTime } = workflowInfo();
  const assessed = await local.assessRequest({
    input,
    now: nowIso(),
    workflowId,
    startedAt: startTime.toISOString(),
  });
  ledger.record('request.submitted', input.requester, {
    action: input.request.action,
    resource: input.request.resource,
    environment: input.request.environment,
    parametersHash: input.parametersHash,
    justification: input.request.justification,
    agent: input.request.agent,
    labels: input.request.labels,
    executor: input.execution.executor,
    target: input.execution.target,
  });
  state.enrichment = assessed.enrichment;
  const policy = await evaluateWithPreview(request, input, assessed);

  // A cancel accepted while the request was being evaluated wins over the policy's answer.
  if (request.cancelled) return finish('cancelled', request.cancelled.by, state.outcomeReason);
  // A break-glass the rule does not allow (never where it denies) is a refusal, and runs nothing.
  const breakGlass = input.request.breakGlass;
  if (breakGlass) {
    const verdict = judgeBreakGlass(policy, input.requester, breakGlass.reason);
    if (!verdict.ok) {
      await request.noteRefusal({
        code: verdict.code,
        what: 'break-glass',
        actor: input.requester,
        channel: 'api',
        detail: verdict.detail,
      });
      return finish('denied', 'policy', verdict.detail);
    }
  }
  if (policy.effect === 'deny')
    return finish('denied', 'policy', policy.reason ?? `denied by policy rule ${policy.rule}`);
  const shortJustification = justificationShortfall(policy, input.request.justification);
  if (shortJustification) return finish('denied', 'policy', shortJustification);
  const noPreview = missingRequiredPreview(policy.requirePreview, policy.rule, state.preview);
  if (noPreview) return finish('denied', 'policy', noPreview);

  // 3.-5. Ask, wait, decide (the handlers in request.ts judge every decision).
  if (breakGlass && policy.breakGlass) {
    await breakTheGlass(request, policy.breakGlass, breakGlass.reason);
  } else if (policy.effect === 'allow') {
    request.markDecidedBy('policy');
    state.decidedAt = nowIso();
    request.setStatus('approved');
  } else if (!(await approveByStanding(request, input, policy))) {
    await askApprovers(request, policy.stages);
    // Let the deciding handler write its decision to the trail before the outcome follows it.
    await condition(allHandlersFinished);
    if (state.status === 'cancelled')
      return finish('cancelled', state.decidedBy ?? 'requester', state.outcomeReason);
    if (state.status === 'denied')
      return finish('denied', state.decidedBy ?? 'approver', state.outcomeReason);
    if (state.status !== 'approved')
      return finish('expired', 'system', 'no decision before the last stage timed out');
    await createChosenStanding(request, input, policy);
  }
  ledger.record('request.approved', state.decidedBy ?? 'policy', { decidedBy: state.decidedBy });

  // 6. Execute exactly once with the exact approved parameters, the way its executor runs; a
  // break-glass request then stays open for its review, one that created a standing approval
  // for its expiry.
  const ended = await runApproved(request, finish);
  if (state.breakGlass && policy.breakGlass) await awaitReview(request, policy.breakGlass);
  await expireStanding(request);
  if (state.breakGlass || state.standing?.created) {
    await ledger.flush();
    await condition(allHandlersFinished);
  }
  return ended;

  // 7. Record the outcome (the trail first: whoever sees the final status can read its event),
  // update every card, tell the requester.
  async function finish(
    status: ActionStatus,
    actor: string,
    reason: string | undefined,
  ): Promise<ActionState> {
    ledger.endingAs = status;
    ledger.record(`request.${status}`, actor, {
      reason,
      decidedBy: state.decidedBy,
      result: state.result
        ? { ok: state.result.ok, error: state.result.error, output: state.result.output }
        : undefined,
    });
    if (reason !== undefined) state.outcomeReason = reason;
    state.endedAt = nowIso();
    // The end is the last change; the flush below stores it before setStatus runs.
    state.updatedAt = state.endedAt;
    state.stageDeadline = undefined;
    await ledger.flush();
    if (state.status !== status) request.setStatus(status);
    if (state.cards.length > 0) await bestEffort(() => cards.updateCards(updateCardsInput(state)));
    // A grant's callback was sent when it became active; every request reports its end.
    await notifyRequester(request);
    await ledger.flush();
    await condition(allHandlersFinished);
    return state;
  }
}

/**
 * The audit store refused the request's events for what they hold (it never will accept them):
 * the request ends failed, with a trail entry that holds only the SQLSTATE, never the refused
 * values, and nothing after it runs. Fails closed instead of retrying forever.
 */
async function failForTheTrail(request: ActionRequest, err: unknown): Promise<ActionState> {
  const { state, ledger } = request;
  const detail = failureDetail(err) as { sqlstate?: unknown } | undefined;
  const sqlstate = typeof detail?.sqlstate === 'string' ? detail.sqlstate.slice(0, 5) : 'unknown';
  const reason = `audit store refused the request's events (SQLSTATE ${sqlstate})`;
  ledger.discard();
  ledger.endingAs = 'failed';
  state.outcomeReason = reason;
  state.endedAt = nowIso();
  state.stageDeadline = undefined;
  ledger.record('request.failed', 'system', { reason, sqlstate });
  request.setStatus('failed');
  await ledger.flush();
  await condition(allHandlersFinished);
  return state;
}
