// Standing approvals in a request's story (SPEC 14). Before asking anyone, a request whose rule
// allows them claims a standing approval of its scope; one that covers it (rules.ts) approves it
// at once with `decidedBy: standing:<id>`. After a human approval, the approvers' "and the same
// again for N" becomes a standing approval (both approvers' under the two-person rule), and the
// request's workflow keeps its expiry timer. Every use, creation and refusal is in the trail.
import { sleep, uuid4 } from '@temporalio/workflow';
import type { PolicyDecision } from '../policy/types.js';
import { local } from './activity-options.js';
import type { ActionRequest } from './request.js';
import { standingCovers, standingFromApprovals } from './rules.js';
import type { ActionRequestInput, StandingScope } from './types.js';

const nowIso = (): string => new Date().toISOString();

function scopeOf(input: ActionRequestInput, policy: PolicyDecision): StandingScope {
  const r = input.request;
  return {
    rule: policy.rule,
    action: r.action,
    resource: r.resource,
    environment: r.environment,
    requester: input.requester,
    ...(r.agent?.onBehalfOf ? { onBehalfOf: r.agent.onBehalfOf } : {}),
    vary: [...(policy.standing?.vary ?? [])],
  };
}

/** Approves the request with a standing approval of its scope, if one covers it; true when it did. */
export async function approveByStanding(
  request: ActionRequest,
  input: ActionRequestInput,
  policy: PolicyDecision,
): Promise<boolean> {
  if (!policy.standing || policy.risk === 'critical') return false;
  const { state, ledger } = request;
  const now = nowIso();
  const candidate = await local.findStanding({
    scope: scopeOf(input, policy),
    parameters: input.request.parameters,
    now,
  });
  if (!candidate.found) return false;
  const verdict = standingCovers(candidate.found, {
    scopeHash: candidate.scopeHash,
    policy,
    requester: input.requester,
    agent: input.request.agent,
    now,
  });
  if (!verdict.ok) {
    ledger.record('standing.not_applied', 'policy', {
      standingId: candidate.found.id,
      detail: verdict.detail,
    });
    return false;
  }
  // Judged first, counted after: a use is recorded only for a request it approves.
  const found = await local.claimStanding({ id: candidate.found.id, requestId: state.requestId, now });
  if (!found) {
    ledger.record('standing.not_applied', 'policy', {
      standingId: candidate.found.id,
      detail: `standing approval ${candidate.found.id} was revoked or expired meanwhile`,
    });
    return false;
  }
  state.standing = { usedId: found.id, usedApprovers: found.approvers };
  request.markDecidedBy(`standing:${found.id}`);
  state.decidedAt = now;
  request.setStatus('approved');
  ledger.record('standing.used', `standing:${found.id}`, {
    standingId: found.id,
    createdBy: found.requestId,
    approvers: found.approvers,
    expiresAt: found.expiresAt,
    uses: found.uses,
  });
  return true;
}

/** Turns the approvers' "and the same again" into a standing approval, where they all chose it. */
export async function createChosenStanding(
  request: ActionRequest,
  input: ActionRequestInput,
  policy: PolicyDecision,
): Promise<void> {
  const { state, ledger } = request;
  const stage = policy.stages[state.stageIndex];
  if (!stage) return;
  const grant = standingFromApprovals(state.decisions, stage);
  if (!grant) return;
  if ('refused' in grant) {
    state.standing = { notCreated: grant.refused };
    ledger.record('standing.not_created', 'policy', { reason: grant.refused });
    return;
  }
  const id = uuid4();
  const createdAt = nowIso();
  const expiresAt = new Date(Date.now() + grant.ttlMs).toISOString();
  const scope = scopeOf(input, policy);
  await local.createStanding({
    id,
    requestId: state.requestId,
    scope,
    parameters: input.request.parameters,
    approvers: grant.approvers,
    createdAt,
    expiresAt,
  });
  state.standing = { created: { id, expiresAt, approvers: grant.approvers } };
  ledger.record('standing.created', grant.approvers.join(','), {
    standingId: id,
    approvers: grant.approvers,
    expiresAt,
    scope,
  });
}

/** The durable expiry timer of the standing approval this request created. */
export async function expireStanding(request: ActionRequest): Promise<void> {
  const created = request.state.standing?.created;
  if (!created) return;
  const ms = Date.parse(created.expiresAt) - Date.now();
  if (ms > 0) await sleep(ms);
  request.ledger.record('standing.expired', 'system', {
    standingId: created.id,
    expiresAt: created.expiresAt,
  });
  await request.ledger.flush();
}
