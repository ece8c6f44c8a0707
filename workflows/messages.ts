// The messages of the action-request workflow: how approvers, requesters and the API talk to it.
// Updates answer the caller at once; the `decide` signal carries the same payload for clients
// that cannot wait (the design card's "approval signal"). Each carries the proof of the API or
// channel that verified the person (temporal/message-proof.ts).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  ActionState,
  ActionStatus,
  ApproverIdentity,
  BreakGlassVerb,
  DecisionInput,
  RefusedAttempt,
} from './types.js';

export interface DecisionAnswer {
  status: ActionStatus;
  approvals: number;
  needed: number;
}

export interface CancelInput {
  by: string;
  isAdmin: boolean;
  reason?: string;
}

export interface RedeemInput {
  tokenId: string;
  by: string;
}

export interface CompleteInput {
  by: string;
  /** An admin may end someone's active grant early; a gate's outcome only its requester reports. */
  isAdmin?: boolean;
  outcome: 'succeeded' | 'failed';
  details?: Record<string, unknown>;
}

/** A stage approver's review of a break-glass request: acknowledged, or flagged as an incident. */
export interface ReviewInput {
  outcome: BreakGlassVerb;
  reason?: string;
  reviewer: ApproverIdentity;
}

/** A refusal that a channel adapter made before the workflow could (unmapped chat user). */
export type RefusalInput = Omit<RefusedAttempt, 'at' | 'count' | 'firstAt'>;

/** What a proof binds besides the request id: which message it is. */
export type MessageKind = 'start' | 'decide' | 'cancel' | 'redeem' | 'complete' | 'refusal' | 'review';

/** A message as sent: the payload and the sender's proof over it. */
export type Signed<T> = T & { proof: string };

export const stateQuery = defineQuery<ActionState>('state');
export const decideUpdate = defineUpdate<DecisionAnswer, [Signed<DecisionInput>]>('decide');
export const decideSignal = defineSignal<[Signed<DecisionInput>]>('decide');
export const cancelUpdate = defineUpdate<ActionState, [Signed<CancelInput>]>('cancel');
export const redeemUpdate = defineUpdate<ActionState, [Signed<RedeemInput>]>('redeem');
export const completeUpdate = defineUpdate<ActionState, [Signed<CompleteInput>]>('complete');
export const reviewUpdate = defineUpdate<ActionState, [Signed<ReviewInput>]>('review');
export const refusalSignal = defineSignal<[Signed<RefusalInput>]>('refusal');

/** Stable failure types of refused messages; the API maps them to HTTP statuses. */
export const REFUSAL_HTTP_STATUS: Record<string, number> = {
  self_approval: 403,
  not_an_approver: 403,
  unmapped_identity: 403,
  not_requester: 403,
  unverified_message: 403,
  reason_required: 400,
  already_decided: 409,
  request_ended: 409,
  not_pending: 409,
  not_cancellable: 409,
  token_already_redeemed: 409,
  invalid_token: 401,
  too_many_refusals: 429,
  not_a_reviewer: 403,
  already_reviewed: 409,
  not_break_glass: 409,
  break_glass_refused: 403,
  standing_not_allowed: 403,
};
