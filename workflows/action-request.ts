// One privileged action = one durable workflow (SPEC 2): enrich, evaluate policy, ask the
// approvers stage by stage with timeouts and escalation, execute exactly once, record
// everything. Deterministic: all I/O happens in activities; the rules are in rules.ts.

import type { SearchAttributeUpdatePair } from '@temporalio/common';
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import type { RecordBatch } from '../activities/audit.js';
import { AUDIT_UNAVAILABLE } from '../activities/failure-types.js';
import type { AirlockActivities } from '../activities/index.js';
import type { AuditEventInput } from '../audit/types.js';
import type { DestinationKind } from '../bots/channel.js';
import type { ApprovalStage, PolicyDecision } from '../policy/types.js';
import {
  type CancelInput,
  type CompleteInput,
  cancelUpdate,
  completeUpdate,
  type DecisionAnswer,
  decideSignal,
  decideUpdate,
  type RedeemInput,
  redeemUpdate,
  refusalSignal,
  stateQuery,
} from './messages.js';
import { judgeCancel, judgeDecision, policyInputFor, tally } from './rules.js';
import { SA } from './search-attributes.js';
import { indexRow, initialState } from './state.js';
import type {
  ActionRequestInput,
  ActionState,
  ActionStatus,
  DecisionInput,
  ExecutionResult,
  PostedCard,
  RefusedAttempt,
} from './types.js';

const quick = proxyActivities<AirlockActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', maximumInterval: '10s', backoffCoefficient: 2 },
});
// Enrichment degrades the card, never blocks the request: few attempts, then move on.
const enrichment = proxyActivities<AirlockActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '200ms', maximumAttempts: 3 },
});
// Cards are best effort per channel; the activity reports partial failures itself.
const cards = proxyActivities<AirlockActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '30s', maximumAttempts: 5 },
});
// Executors are idempotent by request id, so retrying after a crash never runs twice.
// The heartbeat timeout notices a crashed worker in seconds instead of after the 5-minute limit.
const executors = proxyActivities<AirlockActivities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: '30s',
  retry: {
    initialInterval: '1s',
    maximumInterval: '1m',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['ExecutorRejected'],
  },
});
// A JIT grant must end: revocation retries until it succeeds, however long the target is down.
const revocations = proxyActivities<AirlockActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', maximumInterval: '5m', backoffCoefficient: 2 },
});
// The requester's callback endpoint may be down for a while: back off for up to about a day.
const callbacks = proxyActivities<AirlockActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '2s', maximumInterval: '10m', maximumAttempts: 200 },
});

// Since patch LOCAL_STEPS the bookkeeping runs as local activities (in the worker, inside the
// workflow task, instead of a server round trip each) and in fewer steps: enrichment and policy
// in one, and audit events buffered and written in one batch, with the request index, before
// anything observes them (issue 7: an auto-allowed request went from 12 workflow tasks and 11
// activities to 2 tasks, 1 activity and 3 local ones). They are idempotent (audit by event key,
// index by request id), so a local activity re-run after a worker crash changes nothing.
const LOCAL_STEPS = 'local-bookkeeping-steps-v1';
/**
 * Since this patch the events before an execution are written by the executor's activity itself,
 * first thing (RecordBatch), instead of by a local activity of their own: one workflow activation
 * less per executed request (issue 7, throughput).
 */
const RECORD_WITH_EXECUTION = 'record-with-execution-v1';
/**
 * Since this patch a decision that arrives while the request is still being evaluated waits for
 * the policy's answer instead of being refused as not pending. GET can show `pending_approval`
 * from the stored state a moment before the workflow task that got there is complete; after a
 * worker crash in that moment the new worker evaluates again, and a decision sent meanwhile
 * must not be refused for it.
 */
const DECIDE_AFTER_EVALUATION = 'decide-after-evaluation-v1';
/**
 * Since this patch a card activity (post, update, reminder) that fails through all its attempts no
 * longer fails the request: cards are a convenience, the API decides as well. A failed post is
 * recorded (notify.failed) and, since LOCAL_STEPS, tried again like a channel that refused the
 * card (only the channels that post was for).
 */
const CARDS_BEST_EFFORT = 'cards-best-effort-v1';
const localQuick = proxyLocalActivities<AirlockActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', maximumInterval: '10s', backoffCoefficient: 2 },
});

/** A channel that failed to take a card is tried again after 5 s, 10 s, 20 s ... at most 5 min apart, */
const CARD_REPOST_FIRST_MS = 5_000;
const CARD_REPOST_MAX_MS = 5 * 60_000;
/** Then it gives up for the stage (about 45 min of trying); the API and other channels still work. */
const CARD_REPOST_ATTEMPTS = 12;

const nowIso = (): string => new Date().toISOString();

/** What postCards answers, and what the workflow makes of a post that failed for good. */
interface PostResult {
  cards: PostedCard[];
  errors: string[];
  failed?: DestinationKind[] | 'all';
}

export async function actionRequest(input: ActionRequestInput): Promise<ActionState> {
  const state: ActionState = initialState(input, nowIso());
  let auditSeq = 0;
  /** Bumped on every decision so the waiting loop refreshes the cards. */
  let changes = 0;
  let cancelled: CancelInput | undefined;
  let redeemed: RedeemInput | undefined;
  let completed: CompleteInput | undefined;
  let released = false;
  // Requests started before the patch replay on the old path (test/fixtures/histories).
  const localSteps = patched(LOCAL_STEPS);
  /**
   * The status finish() is ending with (LOCAL_STEPS only), set before its events are written:
   * from then on no decision or cancel is accepted and every index row carries the end.
   */
  let endingAs: ActionStatus | undefined;
  /** Audit events not yet written (LOCAL_STEPS only): flush() writes them before anyone can see past them. */
  const unrecorded: AuditEventInput[] = [];
  /** Search attribute changes not yet sent (LOCAL_STEPS only): flush() sends them as one upsert. */
  const unsetAttributes = new Map<string, SearchAttributeUpdatePair>();
  const setAttributes = (pairs: SearchAttributeUpdatePair[]) => {
    if (!localSteps) return upsertSearchAttributes(pairs);
    for (const pair of pairs) unsetAttributes.set(pair.key.name, pair);
  };
  /**
   * For a card activity that failed through all its attempts: its message, since CARDS_BEST_EFFORT;
   * before the patch the failure ended the request, and replays of those requests still do. Used
   * as `try { await call } catch (err) { cardFailure(err) }` at each call, never as a wrapper:
   * on success that takes the same microtask steps as before (see `audit` below for why).
   */
  const cardFailure = (err: unknown): string => {
    if (!patched(CARDS_BEST_EFFORT)) throw err;
    const message = failureMessage(err);
    log.warn('card activity failed', { error: message });
    return message;
  };
  /** Old requests refreshed cards even when none were posted; new ones skip the empty call. */
  const refreshCards = (note?: string): Promise<unknown> => {
    const update = () => cards.updateCards(note === undefined ? { state } : { state, note });
    if (!localSteps) return update();
    return state.cards.length === 0 ? Promise.resolve() : flush().then(update);
  };

  /**
   * Records an event: at once on the old path, buffered until the next flush() since LOCAL_STEPS.
   * Not `async`, and every flush below sits behind `if (localSteps)`: on the old path the code
   * must take the same microtask steps as before the patch, or commands issued by a handler and
   * the main flow in one activation could come out in another order than history recorded.
   */
  const audit = (type: string, actor: string, data: Record<string, unknown>): Promise<void> => {
    const event = {
      requestId: input.requestId,
      eventKey: `wf:${++auditSeq}`,
      type,
      actor,
      at: nowIso(),
      data,
    };
    if (!localSteps) return quick.recordAudit(event);
    unrecorded.push(event);
    return Promise.resolve();
  };
  /**
   * Writes the buffered events, in order, and the index row (one local activity). Called before
   * every wait, every other activity, every handler's answer and the end: whatever anyone can
   * observe (an answer, a side effect, a status) has its events in the trail first.
   */
  let written: Promise<void> = Promise.resolve();
  let writesInFlight = 0;
  const sendAttributes = () => {
    if (unsetAttributes.size > 0) {
      upsertSearchAttributes([...unsetAttributes.values()]);
      unsetAttributes.clear();
    }
  };
  /**
   * Events handed to the executor's activity and not yet known to be written. A handler's write
   * meanwhile carries them first (kept if already stored), so the trail never has a later event
   * without the earlier ones; so does the next write after the activity failed.
   */
  let handedOver: AuditEventInput[] = [];
  const flush = (index = indexRow(state, endingAs)): Promise<void> => {
    sendAttributes();
    // Chained, so a caller also waits for the writes that others started before it.
    if (unrecorded.length > 0) {
      const events = [...handedOver, ...unrecorded.splice(0)];
      writesInFlight++;
      written = written
        .then(() => localQuick.recordEvents({ events, index, ...snapshot() }))
        .finally(() => writesInFlight--);
    }
    return written;
  };
  /**
   * For an activity that writes the buffered events itself before it acts (RECORD_WITH_EXECUTION).
   * A write still in flight (a handler's, e.g. the decision that approved) must land first: this
   * waits for it, then hands over what is buffered.
   */
  const handOver = async (): Promise<RecordBatch | undefined> => {
    if (writesInFlight > 0) await written;
    sendAttributes();
    if (unrecorded.length === 0) return undefined;
    handedOver = unrecorded.splice(0);
    return { events: handedOver, index: indexRow(state, endingAs), ...snapshot() };
  };
  /** The state as GET shows it, written with the events (request_index.state_payload). */
  const snapshot = () => ({ state: { ...state, status: endingAs ?? state.status }, stateSeq: auditSeq });
  /** For handlers: the event is in the trail before the caller gets the answer. */
  const auditNow = (type: string, actor: string, data: Record<string, unknown>): Promise<void> =>
    localSteps ? audit(type, actor, data).then(() => flush()) : audit(type, actor, data);

  const setStatus = (status: ActionStatus) => {
    state.status = status;
    state.updatedAt = nowIso();
    setAttributes([{ key: SA.status, value: status }]);
  };
  /** Who decided, also as a search attribute ("approved by alice" in the Web UI) since LOCAL_STEPS. */
  const markDecidedBy = (by: string) => {
    state.decidedBy = by;
    if (localSteps) setAttributes([{ key: SA.decidedBy, value: by }]);
  };

  const refuse = async (attempt: Omit<RefusedAttempt, 'at'>): Promise<never> => {
    const refusal: RefusedAttempt = { ...attempt, at: nowIso() };
    state.refusals.push(refusal);
    await auditNow('attempt.refused', attempt.actor, { ...refusal });
    throw ApplicationFailure.create({ type: attempt.code, message: attempt.detail, nonRetryable: true });
  };

  const currentStage = (): ApprovalStage | undefined => state.policy?.stages[state.stageIndex];

  const decide = async (d: DecisionInput): Promise<DecisionAnswer> => {
    if (state.status === 'evaluating' && endingAs === undefined && patched(DECIDE_AFTER_EVALUATION)) {
      await condition(() => state.status !== 'evaluating' || endingAs !== undefined);
    }
    const stage = currentStage();
    const verdict = judgeDecision(
      {
        status: endingAs ?? state.status,
        requester: state.requester,
        agent: state.request.agent,
        stages: state.policy?.stages ?? [],
        stageIndex: state.stageIndex,
        decisions: state.decisions,
        denyReasonRequired: state.policy?.denyReasonRequired ?? true,
      },
      d,
    );
    if (!verdict.ok || !stage) {
      const refusal = verdict.ok
        ? { code: 'not_pending' as const, detail: 'the request has no approval stage' }
        : verdict;
      return refuse({
        code: refusal.code,
        what: d.decision,
        actor: d.approver.id,
        channel: d.approver.channel,
        detail: refusal.detail,
      });
    }
    state.decisions.push({ ...d, stage: state.stageIndex, at: nowIso() });
    const t = tally(state.decisions, stage);
    if (t.outcome !== 'pending') {
      markDecidedBy(d.approver.id);
      state.decidedAt = nowIso();
      if (t.outcome === 'denied') state.outcomeReason = d.reason;
      setStatus(t.outcome);
    }
    changes++;
    // Answer with the status this decision produced, not whatever the main loop reached since.
    const answer: DecisionAnswer = { status: state.status, approvals: t.approvals, needed: t.needed };
    await auditNow('decision.recorded', d.approver.id, {
      decision: d.decision,
      reason: d.reason,
      channel: d.approver.channel,
      channelUserId: d.approver.channelUserId,
      stage: state.stageIndex,
      approvals: t.approvals,
      needed: t.needed,
      outcome: t.outcome,
    });
    return answer;
  };

  setHandler(stateQuery, () => state);
  setHandler(decideUpdate, decide);
  setHandler(decideSignal, async (d) => {
    try {
      await decide(d);
    } catch (err) {
      // A refused signal is already recorded; signals have nobody to answer.
      log.info('decision signal refused', { error: String(err) });
    }
  });
  setHandler(refusalSignal, async (attempt) => {
    const refusal: RefusedAttempt = { ...attempt, at: nowIso() };
    state.refusals.push(refusal);
    await auditNow('attempt.refused', attempt.actor, { ...refusal });
  });
  setHandler(cancelUpdate, async (c) => {
    const verdict = judgeCancel(
      endingAs ?? state.status,
      state.requester,
      state.request.agent,
      c.by,
      c.isAdmin,
    );
    if (!verdict.ok) {
      return refuse({
        code: verdict.code,
        what: 'cancel',
        actor: c.by,
        channel: 'api',
        detail: verdict.detail,
      });
    }
    cancelled = c;
    setStatus('cancelled');
    state.outcomeReason = c.reason ?? 'cancelled';
    markDecidedBy(c.by);
    changes++;
    return state;
  });
  setHandler(redeemUpdate, async (r) => {
    if (!state.gate || r.tokenId !== state.gate.tokenId) {
      return refuse({
        code: 'invalid_token',
        what: 'redeem',
        actor: r.by,
        channel: 'api',
        detail: 'token does not match this request',
      });
    }
    if (redeemed || state.status !== 'approved') {
      return refuse({
        code: 'token_already_redeemed',
        what: 'redeem',
        actor: r.by,
        channel: 'api',
        detail: redeemed ? 'the approval token was already redeemed' : `the request is ${state.status}`,
      });
    }
    redeemed = r;
    state.gate.redeemedAt = nowIso();
    setStatus('executing');
    await auditNow('gate.redeemed', r.by, { tokenId: r.tokenId });
    return state;
  });
  setHandler(completeUpdate, async (c) => {
    const isRequester = c.by.toLowerCase() === state.requester.toLowerCase();
    if (!isRequester) {
      return refuse({
        code: 'not_requester',
        what: 'complete',
        actor: c.by,
        channel: 'api',
        detail: 'only the requester can report completion',
      });
    }
    if (state.status === 'active') {
      released = true;
      return state;
    }
    if (state.status !== 'executing' || !redeemed || completed) {
      return refuse({
        code: 'not_pending',
        what: 'complete',
        actor: c.by,
        channel: 'api',
        detail: `nothing to complete: the request is ${state.status}`,
      });
    }
    completed = c;
    return state;
  });

  // The client set these at start; old requests set them again.
  if (!localSteps) {
    upsertSearchAttributes([
      { key: SA.action, value: input.request.action },
      { key: SA.requester, value: input.requester },
      { key: SA.environment, value: input.request.environment },
      { key: SA.status, value: state.status },
    ]);
  }
  await audit('request.submitted', input.requester, {
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
  // 1. Enrich (failures degrade the card, they never block the request), then 2. evaluate
  // policy (in an activity: the policy file is hot-reloaded outside the workflow).
  let policy: PolicyDecision;
  if (localSteps) {
    const assessed = await localQuick.assessRequest({ input, now: nowIso() });
    state.enrichment = assessed.enrichment;
    policy = assessed.policy;
  } else {
    await quick.indexRequest(indexRow(state));
    try {
      state.enrichment = await enrichment.enrichRequest(input);
    } catch (err) {
      state.enrichment = { degraded: ['enrichment failed'] };
      log.warn('enrichment failed', { error: String(err) });
    }
    policy = await quick.evaluatePolicy(policyInputFor(input, state.enrichment, nowIso()));
  }
  state.policy = policy;
  state.risk = policy.risk;
  setAttributes([
    { key: SA.risk, value: policy.risk },
    { key: SA.approvers, value: [...new Set(policy.stages.flatMap((s) => s.approverIdentities))] },
  ]);
  await audit('policy.evaluated', 'policy', {
    effect: policy.effect,
    rule: policy.rule,
    policyVersion: policy.policyVersion,
    risk: policy.risk,
    reason: policy.reason,
    stages: policy.stages.length,
  });

  // A cancel accepted while the request was being evaluated wins over the policy's answer.
  if (localSteps && cancelled) return finish('cancelled', cancelled.by, state.outcomeReason);
  const minJustification = policy.requireJustification?.minLength ?? 0;
  if (policy.effect === 'deny') {
    return finish('denied', 'policy', policy.reason ?? `denied by policy rule ${policy.rule}`);
  }
  if ((input.request.justification?.trim().length ?? 0) < minJustification) {
    return finish(
      'denied',
      'policy',
      `rule ${policy.rule} requires a justification of at least ${minJustification} characters`,
    );
  }
  if (policy.effect === 'allow') {
    markDecidedBy('policy');
    state.decidedAt = nowIso();
    setStatus('approved');
  } else {
    await askApprovers(policy.stages);
    // Let the deciding handler write its decision to the trail before the outcome follows it.
    await condition(allHandlersFinished);
    if (state.status === 'cancelled')
      return finish('cancelled', cancelled?.by ?? 'requester', state.outcomeReason);
    if (state.status === 'denied')
      return finish('denied', state.decidedBy ?? 'approver', state.outcomeReason);
    if (state.status !== 'approved')
      return finish('expired', 'system', 'no decision before the last stage timed out');
  }
  await audit('request.approved', state.decidedBy ?? 'policy', { decidedBy: state.decidedBy });

  // 3. Execute exactly once with the exact approved parameters.
  switch (input.execution.executor) {
    case 'callback':
      return runGate();
    case 'postgres.grant':
      return runGrant();
    default:
      return runExecutor();
  }

  /** A post that failed through all its attempts: none of the channels it was for took a card. */
  function postFailed(err: unknown, only: DestinationKind[] | 'all'): PostResult {
    return { cards: [], errors: [cardFailure(err)], failed: only };
  }

  async function askApprovers(stages: ApprovalStage[]): Promise<void> {
    const startStage = (i: number): number => {
      state.stageIndex = i;
      const deadlineMs = Date.now() + stages[i]!.timeoutMs;
      state.stageDeadline = new Date(deadlineMs).toISOString();
      return deadlineMs;
    };
    setStatus('pending_approval');
    // The first stage and its deadline go in this first write, so GET shows them from the start
    // (with the cards posted, nothing wrote again until a decision). The same commands as before.
    const firstDeadlineMs = stages.length > 0 ? startStage(0) : 0;
    if (localSteps) await flush();
    for (let i = 0; i < stages.length; i++) {
      const stage = stages[i]!;
      const deadlineMs = i === 0 ? firstDeadlineMs : startStage(i);
      if (i > 0) {
        await audit('request.escalated', 'system', { stage: i, approvers: stage.approvers });
        try {
          await refreshCards(`escalated to stage ${i + 1}`);
        } catch (err) {
          cardFailure(err);
        }
      }
      if (localSteps) await flush();
      let posted: PostResult;
      try {
        posted = await cards.postCards({ state, stage: i });
      } catch (err) {
        posted = postFailed(err, 'all');
      }
      state.cards.push(...posted.cards);
      if (posted.errors.length > 0) {
        await audit('notify.failed', 'system', { stage: i, errors: posted.errors });
      }
      // Since LOCAL_STEPS, cards a channel failed to take are posted again with backoff.
      const repost: { failed: DestinationKind[] | 'all'; delayMs: number; attempts: number } = {
        failed: localSteps ? (posted.failed ?? []) : [],
        delayMs: CARD_REPOST_FIRST_MS,
        attempts: 0,
      };
      const repostDue = () => repost.failed === 'all' || repost.failed.length > 0;
      let repostAt = Date.now() + repost.delayMs;
      let reminded = stage.reminderBeforeMs === undefined;
      for (;;) {
        if (localSteps) await flush();
        const seen = changes;
        const remaining = deadlineMs - Date.now();
        if (remaining <= 0) break;
        let wakeAt = reminded ? remaining : Math.max(0, remaining - (stage.reminderBeforeMs ?? 0));
        if (repostDue()) wakeAt = Math.max(0, Math.min(wakeAt, repostAt - Date.now()));
        const woke = await condition(() => state.status !== 'pending_approval' || changes !== seen, wakeAt);
        if (state.status !== 'pending_approval') return;
        if (woke) {
          try {
            await refreshCards();
          } catch (err) {
            cardFailure(err);
          }
        } else if (repostDue() && Date.now() >= repostAt) {
          const only = repost.failed;
          let again: PostResult;
          try {
            again = await cards.postCards(only === 'all' ? { state, stage: i } : { state, stage: i, only });
          } catch (err) {
            again = postFailed(err, only);
          }
          state.cards.push(...again.cards);
          if (again.cards.length > 0) {
            await audit('notify.recovered', 'system', {
              stage: i,
              channels: again.cards.map((c) => `${c.channel}:${c.destination}`),
            });
          }
          repost.attempts++;
          repost.failed = repost.attempts < CARD_REPOST_ATTEMPTS ? (again.failed ?? []) : [];
          repost.delayMs = Math.min(repost.delayMs * 2, CARD_REPOST_MAX_MS);
          repostAt = Date.now() + repost.delayMs;
        } else if (!reminded) {
          reminded = true;
          try {
            await cards.remind({ state, stage: i });
          } catch (err) {
            cardFailure(err);
          }
        }
      }
    }
  }

  /** Runs the executor once (idempotent by request id); exhausted retries become a failed result. */
  async function execute(activity: 'executeAction' | 'grantAccess'): Promise<ExecutionResult> {
    setStatus('executing');
    await audit('execution.started', 'system', {
      executor: input.execution.executor,
      target: input.execution.target,
    });
    const recordsFirst = localSteps && patched(RECORD_WITH_EXECUTION);
    if (localSteps && !recordsFirst) await flush();
    try {
      await refreshCards();
    } catch (err) {
      cardFailure(err);
    }
    const run = (record?: RecordBatch) =>
      executors[activity]({
        requestId: input.requestId,
        action: input.request.action,
        parameters: input.request.parameters,
        parametersHash: input.parametersHash,
        requester: input.requester,
        binding: input.execution,
        ...(record ? { record } : {}),
      });
    const record = recordsFirst ? await handOver() : undefined;
    let result: ExecutionResult;
    try {
      result = await run(record);
      handedOver = [];
    } catch (err) {
      // Unless cleared below, the handed-over events go out again with the next write.
      result = { ok: false, error: { type: 'ExecutorFailed', message: failureMessage(err) } };
      // The audit store stayed down through every attempt, so nothing ran: write the events the
      // patient way (a local activity retries until the store is back), then execute.
      if (record && failureType(err) === AUDIT_UNAVAILABLE) {
        handedOver = [];
        unrecorded.unshift(...record.events);
        await flush();
        try {
          result = await run();
        } catch (retryErr) {
          result = { ok: false, error: { type: 'ExecutorFailed', message: failureMessage(retryErr) } };
        }
      }
    }
    state.result = result;
    state.executedAt = nowIso();
    return result;
  }

  async function runExecutor(): Promise<ActionState> {
    const result = await execute('executeAction');
    return finish(result.ok ? 'succeeded' : 'failed', 'system', result.error?.message);
  }

  async function runGate(): Promise<ActionState> {
    const ttl = await (localSteps ? localQuick : quick).gateSettings();
    state.gate = { tokenId: uuid4(), expiresAt: new Date(Date.now() + ttl.tokenTtlMs).toISOString() };
    await audit('gate.token_issued', 'system', {
      tokenId: state.gate.tokenId,
      expiresAt: state.gate.expiresAt,
    });
    await notifyRequester();
    if (localSteps) await flush();
    const wasRedeemed = await condition(() => redeemed !== undefined, ttl.tokenTtlMs);
    if (!wasRedeemed) return finish('expired', 'system', 'the approval token was not redeemed in time');
    const reported = await condition(() => completed !== undefined, ttl.completionTimeoutMs);
    state.executedAt = nowIso();
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

  async function runGrant(): Promise<ActionState> {
    const result = await execute('grantAccess');
    if (!result.ok) return finish('failed', 'system', result.error?.message);
    const role = String(result.output?.role);
    const validUntil = String(result.output?.validUntil);
    state.grant = { role, database: result.output?.database as string | undefined, validUntil };
    setStatus('active');
    await audit('grant.active', 'system', { role, validUntil });
    try {
      await refreshCards();
    } catch (err) {
      cardFailure(err);
    }
    await notifyRequester();
    if (localSteps) await flush();
    const ttlMs = Math.max(0, Date.parse(validUntil) - Date.now());
    const early = await condition(() => released, ttlMs);
    await revocations.revokeAccess({ requestId: input.requestId, binding: input.execution });
    state.grant.revokedAt = nowIso();
    state.grant.revokedBecause = early ? 'released' : 'ttl';
    return finish(
      'revoked',
      early ? input.requester : 'system',
      early ? 'released by the requester' : 'grant expired',
    );
  }

  async function notifyRequester(): Promise<void> {
    if (!input.request.callbackUrl) return;
    if (localSteps) await flush();
    try {
      const sent = await callbacks.sendCallback({ state });
      await audit('callback.sent', 'system', { status: sent.status });
    } catch (err) {
      await audit('callback.failed', 'system', { error: failureMessage(err) });
    }
  }

  async function finish(
    status: ActionStatus,
    actor: string,
    reason: string | undefined,
  ): Promise<ActionState> {
    if (localSteps) endingAs = status;
    // The trail first: whoever sees the final status can already read its audit event.
    await audit(`request.${status}`, actor, {
      reason,
      decidedBy: state.decidedBy,
      result: state.result
        ? { ok: state.result.ok, error: state.result.error, output: state.result.output }
        : undefined,
    });
    if (reason !== undefined) state.outcomeReason = reason;
    state.endedAt = nowIso();
    state.stageDeadline = undefined;
    if (localSteps) await flush(indexRow(state, status));
    if (state.status !== status) setStatus(status);
    if (!localSteps) await quick.indexRequest(indexRow(state));
    if (state.cards.length > 0) {
      try {
        await cards.updateCards({ state });
      } catch (err) {
        cardFailure(err);
      }
    }
    // A grant's callback was sent when it became active; every request reports its end.
    await notifyRequester();
    if (localSteps) await flush();
    await condition(allHandlersFinished);
    return state;
  }
}

/** The type of the ApplicationFailure behind an activity failure. */
function failureType(err: unknown): string | undefined {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

function failureMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : err.message;
  }
  return String(err);
}
