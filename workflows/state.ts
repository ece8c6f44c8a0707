// A request's state as it starts, and its request_index row: pure, shared by the workflow and by
// the API, which stores the starting state before the workflow runs (so a new request can be read
// and listed even before a worker has picked it up).
import type { RequestIndexRow } from '../audit/types.js';
import type { ActionRequestInput, ActionState, ActionStatus } from './types.js';

/** The id of a request's workflow (SPEC 2). */
export const workflowIdFor = (requestId: string): string => `action-${requestId}`;

export function initialState(input: ActionRequestInput, now: string): ActionState {
  return {
    requestId: input.requestId,
    status: 'evaluating',
    requester: input.requester,
    request: input.request,
    parametersHash: input.parametersHash,
    bodyHash: input.bodyHash,
    execution: input.execution,
    stageIndex: 0,
    decisions: [],
    refusals: [],
    cards: [],
    submittedAt: input.submittedAt,
    updatedAt: now,
    links: input.links,
  };
}

/** The request_index row; `status` overrides the state's while a request is ending. */
export function indexRow(state: ActionState, status: ActionStatus = state.status): RequestIndexRow {
  return {
    status,
    requestId: state.requestId,
    requester: state.requester,
    onBehalfOf: state.request.agent?.onBehalfOf,
    action: state.request.action,
    resource: state.request.resource,
    environment: state.request.environment,
    risk: state.risk,
    submittedAt: state.submittedAt,
    endedAt: state.endedAt,
  };
}
