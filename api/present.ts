// How a request's state is shown over the API: the workflow state without internals, plus the
// secrets only its requester may see (a gate token, a JIT grant password), derived on demand.
import { consoleLinkOf } from '../console/links.js';
import { requesterSecrets } from '../executors/requester-secrets.js';
import type { ActionPreview } from '../workflows/preview-types.js';
import type { ActionState } from '../workflows/types.js';
import type { ActionView } from './response-schemas.js';

export interface Viewer {
  id: string;
  isRequester: boolean;
}

export function presentAction(state: ActionState, viewer: Viewer, masterKey: Buffer): ActionView {
  const stage = state.policy?.stages[state.stageIndex];
  const body: ActionView = {
    id: state.requestId,
    status: state.status,
    requester: state.requester,
    request: state.request,
    parametersHash: state.parametersHash,
    executor: state.execution.executor,
    // Where it runs: the request's environment and resource were checked against it at submit.
    target: state.execution.target,
    risk: state.risk,
    policy: state.policy
      ? {
          effect: state.policy.effect,
          rule: state.policy.rule,
          version: state.policy.policyVersion,
          reason: state.policy.reason,
        }
      : undefined,
    stage:
      stage && state.status === 'pending_approval'
        ? {
            number: state.stageIndex + 1,
            of: state.policy?.stages.length,
            approvers: stage.approvers,
            minApprovals: stage.minApprovals,
            deadline: state.stageDeadline,
          }
        : undefined,
    decidedBy: state.decidedBy,
    reason: state.outcomeReason,
    // Stages count from 1 here, as `stage.number` does; the workflow keeps its 0-based index.
    decisions: state.decisions.map((d) => ({ ...d, stage: d.stage + 1 })),
    refusedAttempts: state.refusals,
    enrichment: state.enrichment,
    // Airlock's own computation (computedBy "airlock"); request.diff is the requester's claim.
    preview: state.preview && (viewer.isRequester ? previewForRequester(state.preview) : state.preview),
    result: state.result,
    grant: state.grant,
    breakGlass: state.breakGlass,
    standing: state.standing,
    gate: state.gate ? { expiresAt: state.gate.expiresAt, redeemedAt: state.gate.redeemedAt } : undefined,
    submittedAt: state.submittedAt,
    decidedAt: state.decidedAt,
    executedAt: state.executedAt,
    endedAt: state.endedAt,
    updatedAt: state.updatedAt,
    links: linksFor(state),
  };
  if (viewer.isRequester) {
    const secrets = requesterSecrets(state, masterKey);
    if (secrets.approvalToken) body.approvalToken = secrets.approvalToken;
    if (secrets.grant) body.grant = secrets.grant;
  }
  return body;
}

export function linksFor(state: Pick<ActionState, 'links'>): Record<string, string | undefined> {
  return {
    self: state.links.api,
    audit: `${state.links.api}/audit`,
    card: `${state.links.api}/card`,
    console: consoleLinkOf(state.links.api),
    temporalUi: state.links.temporalUi,
  };
}

/**
 * What a request's own requester reads of Airlock's preview: that there is one, its status and
 * hash, nothing else. Airlock computed it with credentials the requester does not hold, before
 * anyone approved anything: rows, the target's state, counts and error reasons would let a
 * requester read (or probe, one predicate at a time) what it was never granted. Approvers, auditors
 * and the cards get all of it.
 */
export function previewForRequester(preview: ActionPreview): ActionPreview {
  const { status, computedBy, executor, computedAt, durationMs, hash } = preview;
  return {
    status,
    computedBy,
    executor,
    computedAt,
    durationMs,
    summary: [],
    ...(hash ? { hash } : {}),
    withheld:
      "the preview was computed with the target's credentials: its figures and rows are shown to approvers only",
  };
}
