// Verified previews in a request's story (SPEC 13): after the policy's first answer and before the
// first card, Airlock computes what the action would do (an activity with its own timeout) and
// keeps it, with its hash, in the state and the trail; a rule that reads `preview` is decided
// only then. A preview that fails degrades the card; it never stops the request by itself.
import type { Assessment } from '../activities/assess.js';
import type { PolicyDecision } from '../policy/types.js';
import { local, previews } from './activity-options.js';
import { failureMessage } from './failures.js';
import type { ActionPreview } from './preview-types.js';
import type { ActionRequest } from './request.js';
import { SA } from './search-attributes.js';
import type { ActionRequestInput } from './types.js';

const nowIso = (): string => new Date().toISOString();

/** The policy's decision, with the preview computed where it is wanted (and read where a rule reads it). */
export async function evaluateWithPreview(
  request: ActionRequest,
  input: ActionRequestInput,
  assessed: Assessment,
): Promise<PolicyDecision> {
  const first = assessed.policy;
  if (first) adopt(request, first);
  // Nothing is previewed for a request the policy denies, or lets through without a card unless
  // the rule wants a verified preview all the same.
  const wanted =
    assessed.previewable &&
    (first === undefined ||
      first.effect === 'require_approval' ||
      (first.effect === 'allow' && first.requirePreview === true));
  if (wanted) request.state.preview = await preview(request);
  if (first) return first;
  const policy = await local.evaluateAfterPreview({
    request: input,
    enrichment: request.state.enrichment,
    preview: request.state.preview,
    now: nowIso(),
  });
  adopt(request, policy);
  return policy;
}

function adopt(request: ActionRequest, policy: PolicyDecision): void {
  const { state, ledger } = request;
  state.policy = policy;
  state.risk = policy.risk;
  ledger.setAttributes([
    { key: SA.risk, value: policy.risk },
    { key: SA.approvers, value: [...new Set(policy.stages.flatMap((s) => s.approverIdentities))] },
  ]);
  ledger.record('policy.evaluated', 'policy', {
    effect: policy.effect,
    rule: policy.rule,
    policyVersion: policy.policyVersion,
    risk: policy.risk,
    reason: policy.reason,
    stages: policy.stages.length,
    ...(policy.afterPreview ? { afterPreview: true, previewHash: request.state.preview?.hash } : {}),
  });
}

async function preview(request: ActionRequest): Promise<ActionPreview> {
  const { state, ledger } = request;
  let result: ActionPreview;
  try {
    result = await previews.previewAction({
      requestId: state.requestId,
      action: state.request.action,
      parameters: state.request.parameters,
      requester: state.requester,
      binding: state.execution,
    });
  } catch (err) {
    result = {
      status: 'failed',
      computedBy: 'airlock',
      executor: state.execution.executor,
      computedAt: nowIso(),
      durationMs: 0,
      reason: `the preview did not finish: ${failureMessage(err)}`,
      summary: [],
    };
  }
  ledger.record('preview.computed', 'system', { ...result });
  return result;
}
