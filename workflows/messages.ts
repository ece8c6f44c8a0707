// The messages of the action-request workflow: how approvers, requesters and the API talk to it.
// Updates answer the caller at once; the `decide` signal carries the same payload for clients
// that cannot wait (the design card's "approval signal").
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ActionState, ActionStatus, DecisionInput, RefusedAttempt } from './types.js';

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
  outcome: 'succeeded' | 'failed';
  details?: Record<string, unknown>;
}

export const stateQuery = defineQuery<ActionState>('state');
export const decideUpdate = defineUpdate<DecisionAnswer, [DecisionInput]>('decide');
export const decideSignal = defineSignal<[DecisionInput]>('decide');
export const cancelUpdate = defineUpdate<ActionState, [CancelInput]>('cancel');
export const redeemUpdate = defineUpdate<ActionState, [RedeemInput]>('redeem');
export const completeUpdate = defineUpdate<ActionState, [CompleteInput]>('complete');
/** A refusal that a channel adapter made before the workflow could (unmapped chat user). */
export const refusalSignal = defineSignal<[Omit<RefusedAttempt, 'at'>]>('refusal');

/** Stable failure types of refused messages; the API maps them to HTTP statuses. */
export const REFUSAL_HTTP_STATUS: Record<string, number> = {
  self_approval: 403,
  not_an_approver: 403,
  unmapped_identity: 403,
  not_requester: 403,
  reason_required: 400,
  already_decided: 409,
  request_ended: 409,
  not_pending: 409,
  not_cancellable: 409,
  token_already_redeemed: 409,
  invalid_token: 401,
};
