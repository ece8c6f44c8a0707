// A request's state as it starts, and its request_index row: pure, shared by the workflow and by
// the API, which stores the starting state before the workflow runs (so a new request can be read
// and listed even before a worker has picked it up).
import type { RequestIndexRow } from '../audit/types.js';
import { sameForSelfApproval, sameIdentity } from '../policy/identity.js';
import { eligibleApprovers, requesterIdentities } from './rules.js';
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
    ...pendingOn(state, status),
  };
}

/**
 * Who may still decide a pending request (the console's inbox reads it from the index): the
 * eligible approvers without the requester's identities and without those who decided already.
 * Null once it is not pending, so the index never offers an ended request.
 */
function pendingOn(
  state: ActionState,
  status: ActionStatus,
): Pick<RequestIndexRow, 'deciders' | 'stageDeadline'> {
  if (status !== 'pending_approval' || !state.policy) return { deciders: null, stageDeadline: null };
  const selves = requesterIdentities(state.requester, state.request.agent);
  const ids = [...eligibleApprovers(state.policy.stages, state.stageIndex)].filter(
    (id) =>
      !selves.some((self) => sameForSelfApproval(self, id)) &&
      !state.decisions.some((d) => sameIdentity(d.approver.id, id)),
  );
  return {
    deciders: ids.length > 0 ? `\n${ids.join('\n')}\n` : null,
    stageDeadline: state.stageDeadline ?? null,
  };
}
