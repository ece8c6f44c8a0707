// What the card and callback activities are given: only what each needs, never the request
// state, so history holds a bounded card (a few KB) per call instead of every refusal, every
// posted card and a 20,000-character preview. The card model is pure, so it is built here.
import { type ApprovalCard, buildApprovalCard } from '../bots/card.js';
import type { DestinationKind } from '../bots/channel.js';
import type { ActionRequestBody, ActionState, PostedCard } from './types.js';

export interface PostCardsInput {
  card: ApprovalCard;
  /** The policy stage whose channels get the card. */
  stage: number;
  /** The channel names of that stage (looked up in the policy's current channels). */
  notify: string[];
  /** Only these destinations: a repost of the ones that failed before. */
  only?: DestinationKind[];
  /** While the request waits: the stage's approvers, whose delegates the card names. */
  delegatesOf?: string[];
}

export interface UpdateCardsInput {
  card: ApprovalCard;
  cards: PostedCard[];
  note?: string;
  delegatesOf?: string[];
}

export interface RemindInput {
  requestId: string;
  /** The stage's posted cards, answered in their threads. */
  cards: PostedCard[];
  deadline?: string;
}

/** The request's end as its requester's callback reports it (secrets are derived in the activity). */
export type CallbackSubject = Pick<
  ActionState,
  | 'requestId'
  | 'status'
  | 'requester'
  | 'parametersHash'
  | 'decidedBy'
  | 'outcomeReason'
  | 'result'
  | 'links'
  | 'gate'
  | 'grant'
> & { request: Pick<ActionRequestBody, 'action' | 'resource' | 'environment' | 'callbackUrl'> };

export function postCardsInput(state: ActionState, stage: number, only?: DestinationKind[]): PostCardsInput {
  return {
    card: buildApprovalCard(state),
    stage,
    notify: state.policy?.stages[stage]?.notify ?? [],
    ...(only ? { only } : {}),
    ...delegatesOf(state),
  };
}

export function updateCardsInput(state: ActionState, note?: string): UpdateCardsInput {
  return {
    card: buildApprovalCard(state, note),
    cards: state.cards,
    ...(note === undefined ? {} : { note }),
    ...delegatesOf(state),
  };
}

export function remindInput(state: ActionState, stage: number): RemindInput {
  return {
    requestId: state.requestId,
    cards: state.cards.filter((c) => c.stage === stage),
    ...(state.stageDeadline ? { deadline: state.stageDeadline } : {}),
  };
}

export function callbackSubject(state: ActionState): CallbackSubject {
  const { action, resource, environment, callbackUrl } = state.request;
  return {
    requestId: state.requestId,
    status: state.status,
    requester: state.requester,
    request: { action, resource, environment, ...(callbackUrl ? { callbackUrl } : {}) },
    parametersHash: state.parametersHash,
    decidedBy: state.decidedBy,
    outcomeReason: state.outcomeReason,
    result: state.result,
    links: state.links,
    gate: state.gate,
    grant: state.grant,
  };
}

function delegatesOf(state: ActionState): { delegatesOf?: string[] } {
  const stage = state.policy?.stages[state.stageIndex];
  return state.status === 'pending_approval' && stage ? { delegatesOf: stage.approverIdentities } : {};
}
