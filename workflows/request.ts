// One request's state and the messages that change it (decide, cancel, redeem, complete, and
// refusals a channel made first), as in the safe-message-handlers sample: the class owns the
// state, the workflow function only wires the handlers. Every message must carry the proof of
// the API or channel that verified the person (temporal/message-proof.ts), checked in the worker:
// access to the Temporal namespace alone decides nothing. Refusals are recorded, aggregated per
// actor, and bounded, so nobody can grow another request without limit.
import { ApplicationFailure, condition, log, setHandler, workflowInfo } from '@temporalio/workflow';
import { sameIdentity } from '../policy/identity.js';
import type { ApprovalStage } from '../policy/types.js';
import { local } from './activity-options.js';
import type { AuditLedger } from './ledger.js';
import {
  type CancelInput,
  type CompleteInput,
  cancelUpdate,
  completeUpdate,
  type DecisionAnswer,
  decideSignal,
  decideUpdate,
  type MessageKind,
  type RedeemInput,
  type ReviewInput,
  redeemUpdate,
  refusalSignal,
  reviewUpdate,
  type Signed,
  stateQuery,
} from './messages.js';
import {
  type DelegatedVerdict,
  judgeCancel,
  judgeDecision,
  judgeDelegatedDecision,
  judgeReview,
  judgeStandingRequest,
  recordRefusal,
  tally,
  tooManyRefusals,
  type Verdict,
} from './rules.js';
import { SA } from './search-attributes.js';
import type { ActionState, ActionStatus, DecisionInput, RefusalCode, RefusedAttempt } from './types.js';

const nowIso = (): string => new Date().toISOString();

export class ActionRequest {
  /** Bumped on every decision so the waiting loop refreshes the cards. */
  changes = 0;
  cancelled: CancelInput | undefined;
  redeemed: RedeemInput | undefined;
  completed: CompleteInput | undefined;
  /** Who ended an active grant early (the holder, or an admin). */
  releasedBy: string | undefined;

  constructor(
    readonly state: ActionState,
    readonly ledger: AuditLedger,
  ) {}

  get status(): ActionStatus {
    return this.ledger.status;
  }

  setStatus(status: ActionStatus): void {
    this.state.status = status;
    this.state.updatedAt = nowIso();
    this.ledger.setAttributes([{ key: SA.status, value: status }]);
  }

  /** Who decided, also as a search attribute ("approved by alice" in the Web UI). */
  markDecidedBy(by: string): void {
    this.state.decidedBy = by;
    this.ledger.setAttributes([{ key: SA.decidedBy, value: by }]);
  }

  currentStage(): ApprovalStage | undefined {
    return this.state.policy?.stages[this.state.stageIndex];
  }

  registerHandlers(): void {
    // An approver refused again and again on someone else's request is turned away before the
    // message enters the history: the count so far stays recorded, the history and the update
    // budget stop growing. (Others cannot cancel, redeem or complete: the API answers 404.)
    const notFlooding = (message: { approver?: { id?: unknown } }) => {
      const actor = message?.approver?.id;
      if (typeof actor === 'string' && tooManyRefusals(this.state.refusals, actor)) {
        throw ApplicationFailure.create({
          type: 'too_many_refusals',
          message: 'too many refused attempts on this request',
          nonRetryable: true,
        });
      }
    };
    setHandler(stateQuery, () => this.state);
    setHandler(decideUpdate, (d) => this.decide(d), { validator: notFlooding });
    setHandler(decideSignal, async (d) => {
      try {
        await this.decide(d);
      } catch (err) {
        // A refused signal is already recorded; signals have nobody to answer.
        log.info('decision signal refused', { error: String(err) });
      }
    });
    setHandler(refusalSignal, async (attempt) => {
      if (await this.verify('refusal', attempt)) await this.noteRefusal(attempt);
    });
    setHandler(cancelUpdate, (c) => this.cancel(c));
    setHandler(redeemUpdate, (r) => this.redeem(r));
    setHandler(completeUpdate, (c) => this.complete(c));
    setHandler(reviewUpdate, (r) => this.review(r), {
      validator: (r) => notFlooding({ approver: r?.reviewer }),
    });
  }

  /** A stage approver's review of a break-glass request (judged in rules.ts). */
  async review(r: Signed<ReviewInput>): Promise<ActionState> {
    await this.verified('review', r);
    const state = this.state;
    const verdict = judgeReview(
      {
        breakGlass: state.breakGlass,
        requester: state.requester,
        agent: state.request.agent,
        stages: state.policy?.stages ?? [],
      },
      r,
    );
    if (!verdict.ok || !state.breakGlass) {
      const refusal = verdict.ok
        ? { code: 'not_break_glass' as const, detail: 'this request did not break the glass' }
        : verdict;
      return this.refuse({
        ...refusal,
        what: `review:${r.outcome}`,
        actor: r.reviewer.id,
        channel: r.reviewer.channel,
      });
    }
    const outcome = r.outcome === 'incident' ? 'incident' : 'acknowledged';
    state.breakGlass.review = {
      outcome,
      by: r.reviewer.id,
      channel: r.reviewer.channel,
      ...(r.reason?.trim() ? { reason: r.reason } : {}),
      at: nowIso(),
    };
    state.updatedAt = nowIso();
    this.ledger.setAttributes([{ key: SA.breakGlass, value: outcome }]);
    this.changes++;
    await this.ledger.recordNow('breakglass.reviewed', r.reviewer.id, {
      outcome,
      reason: r.reason,
      channel: r.reviewer.channel,
      channelUserId: r.reviewer.channelUserId,
      overdue: state.breakGlass.overdue === true,
    });
    return state;
  }

  async decide(d: Signed<DecisionInput>): Promise<DecisionAnswer> {
    await this.verified('decide', d);
    // A decision that arrives while the policy is being evaluated waits for its answer.
    if (this.status === 'evaluating') await condition(() => this.status !== 'evaluating');
    const state = this.state;
    const contextNow = () => ({
      status: this.status,
      requester: state.requester,
      agent: state.request.agent,
      stages: state.policy?.stages ?? [],
      stageIndex: state.stageIndex,
      decisions: state.decisions,
      denyReasonRequired: state.policy?.denyReasonRequired ?? true,
    });
    let verdict: Verdict | DelegatedVerdict = judgeDecision(contextNow(), d);
    // Not an approver: maybe the delegate of one, at this moment (the store says which they hold).
    if (!verdict.ok && verdict.code === 'not_an_approver') {
      const now = nowIso();
      const held = await local.delegationsHeld({ delegate: d.approver.id, at: now });
      // The request may have moved on while the store answered (another decision, the next
      // stage, its end): judge against the state as it is now, never as it was.
      verdict = judgeDecision(contextNow(), d);
      if (!verdict.ok && verdict.code === 'not_an_approver' && held.length > 0)
        verdict = judgeDelegatedDecision(contextNow(), d, held, now);
    }
    const stage = this.currentStage();
    if (!verdict.ok || !stage) {
      const refusal = verdict.ok
        ? { code: 'not_pending' as const, detail: 'the request has no approval stage' }
        : verdict;
      return this.refuse({ ...refusal, what: d.decision, actor: d.approver.id, channel: d.approver.channel });
    }
    const standing = judgeStandingRequest(state.policy, d);
    if (!standing.ok) {
      return this.refuse({
        ...standing,
        what: d.decision,
        actor: d.approver.id,
        channel: d.approver.channel,
      });
    }
    const {
      proof: _proof,
      asDelegateOf: _claimed,
      delegationId: _claimedId,
      ...decision
    } = d as typeof d & {
      asDelegateOf?: unknown;
      delegationId?: unknown;
    };
    const delegated =
      'asDelegateOf' in verdict
        ? { asDelegateOf: verdict.asDelegateOf, delegationId: verdict.delegationId }
        : {};
    state.decisions.push({ ...decision, ...delegated, stage: state.stageIndex, at: nowIso() });
    const t = tally(state.decisions, stage);
    if (t.outcome !== 'pending') {
      this.markDecidedBy(d.approver.id);
      state.decidedAt = nowIso();
      if (t.outcome === 'denied') state.outcomeReason = d.reason;
      this.setStatus(t.outcome);
    }
    this.changes++;
    // Answer with the status this decision produced, not whatever the main loop reached since.
    const answer: DecisionAnswer = { status: state.status, approvals: t.approvals, needed: t.needed };
    await this.ledger.recordNow('decision.recorded', d.approver.id, {
      decision: d.decision,
      reason: d.reason,
      channel: d.approver.channel,
      channelUserId: d.approver.channelUserId,
      stage: state.stageIndex,
      ...(d.standing ? { standingTtlMs: d.standing.ttlMs } : {}),
      ...delegated,
      approvals: t.approvals,
      needed: t.needed,
      outcome: t.outcome,
      // What the approver saw Airlock compute, when there is a preview.
      ...(state.preview?.hash ? { previewHash: state.preview.hash } : {}),
    });
    return answer;
  }

  async cancel(c: Signed<CancelInput>): Promise<ActionState> {
    await this.verified('cancel', c);
    const verdict = judgeCancel(this.status, this.state.requester, this.state.request.agent, c.by, c.isAdmin);
    if (!verdict.ok) return this.refuse({ ...verdict, what: 'cancel', actor: c.by, channel: 'api' });
    this.cancelled = c;
    this.setStatus('cancelled');
    this.state.outcomeReason = c.reason ?? 'cancelled';
    this.markDecidedBy(c.by);
    this.changes++;
    return this.state;
  }

  async redeem(r: Signed<RedeemInput>): Promise<ActionState> {
    await this.verified('redeem', r);
    const gate = this.state.gate;
    if (!gate || r.tokenId !== gate.tokenId) {
      return this.refuse({
        code: 'invalid_token',
        what: 'redeem',
        actor: r.by,
        channel: 'api',
        detail: 'token does not match this request',
      });
    }
    if (this.redeemed || this.state.status !== 'approved') {
      return this.refuse({
        code: 'token_already_redeemed',
        what: 'redeem',
        actor: r.by,
        channel: 'api',
        detail: this.redeemed
          ? 'the approval token was already redeemed'
          : `the request is ${this.state.status}`,
      });
    }
    this.redeemed = r;
    gate.redeemedAt = nowIso();
    this.setStatus('executing');
    await this.ledger.recordNow('gate.redeemed', r.by, { tokenId: r.tokenId });
    return this.state;
  }

  async complete(c: Signed<CompleteInput>): Promise<ActionState> {
    await this.verified('complete', c);
    if (this.state.status === 'active' && c.isAdmin) {
      this.releasedBy = c.by;
      return this.state;
    }
    if (!sameIdentity(c.by, this.state.requester)) {
      return this.refuse({
        code: 'not_requester',
        what: 'complete',
        actor: c.by,
        channel: 'api',
        detail: 'only the requester can report completion',
      });
    }
    if (this.state.status === 'active') {
      this.releasedBy = c.by;
      return this.state;
    }
    if (this.state.status !== 'executing' || !this.redeemed || this.completed) {
      return this.refuse({
        code: 'not_pending',
        what: 'complete',
        actor: c.by,
        channel: 'api',
        detail: `nothing to complete: the request is ${this.state.status}`,
      });
    }
    const { proof: _proof, ...completed } = c;
    this.completed = completed;
    return this.state;
  }

  /** Records a refusal (aggregated per actor) and answers the caller with it. */
  async refuse(attempt: Omit<RefusedAttempt, 'at' | 'count' | 'firstAt'>): Promise<never> {
    await this.noteRefusal(attempt);
    throw ApplicationFailure.create({ type: attempt.code, message: attempt.detail, nonRetryable: true });
  }

  async noteRefusal(attempt: Omit<RefusedAttempt, 'at' | 'count' | 'firstAt'>): Promise<void> {
    const { entry, audit } = recordRefusal(this.state, attempt, nowIso());
    if (audit) await this.ledger.recordNow('attempt.refused', attempt.actor, { ...entry });
  }

  /** Whether the message carries a valid proof; a missing or forged one is recorded as a refusal. */
  private async verify(kind: MessageKind, message: unknown): Promise<boolean> {
    const proof = (message as { proof?: unknown } | null)?.proof;
    const ok =
      typeof proof === 'string' &&
      (await local.verifyMessage({ kind, requestId: this.state.requestId, message: message as object }));
    if (!ok) {
      await this.noteRefusal({
        code: 'unverified_message',
        what: kind,
        actor: UNVERIFIED_ACTOR,
        channel: 'temporal',
        detail: `a ${kind} message without a valid proof from Airlock reached ${workflowInfo().workflowId}`,
      });
    }
    return ok;
  }

  private async verified(kind: MessageKind, message: unknown): Promise<void> {
    if (await this.verify(kind, message)) return;
    throw ApplicationFailure.create({
      type: 'unverified_message' satisfies RefusalCode,
      message: 'only Airlock may send decisions: this message carries no valid proof',
      nonRetryable: true,
    });
  }
}

/** Forged messages are counted under one actor: a claimed name proves nothing, so it is not blamed. */
export const UNVERIFIED_ACTOR = 'unverified';
