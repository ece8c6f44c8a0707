// The first step of every request, in one local activity: check that Airlock started it (the
// API's proof), enrich, and evaluate the policy. The policy sees the enrichment as `context`; a
// failed enrichment degrades the card, never blocks the request.
import { ApplicationFailure } from '@temporalio/common';
import { evaluateBeforePreview } from '../policy/evaluate.js';
import type { PolicyDecision } from '../policy/types.js';
import { policyInputFor } from '../workflows/rules.js';
import { workflowIdFor } from '../workflows/state.js';
import type { ActionRequestInput, Enrichment } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';
import { createEnrichActivities } from './enrich.js';

export function createAssessActivities(deps: ActivityDeps) {
  const { enrichRequest } = createEnrichActivities(deps);
  return {
    async assessRequest({
      input,
      now,
      workflowId,
      startedAt,
    }: {
      input: ActionRequestInput;
      now: string;
      workflowId: string;
      startedAt: string;
    }): Promise<Assessment> {
      const refusal = startRefusal(deps, input, workflowId, startedAt);
      if (refusal) {
        deps.logger.warn({ workflowId, reason: refusal }, 'refused a request workflow Airlock did not start');
        throw ApplicationFailure.nonRetryable(refusal, UNVERIFIED_REQUEST);
      }
      let enrichment: Enrichment;
      try {
        enrichment = await enrichRequest(input);
      } catch (err) {
        deps.logger.warn({ requestId: input.requestId, err: String(err) }, 'enrichment failed');
        enrichment = { degraded: ['enrichment failed'] };
      }
      const policy = evaluateBeforePreview(deps.policy.current(), policyInputFor(input, enrichment, now));
      return { enrichment, ...(policy ? { policy } : {}), previewable: canPreview(deps, input) };
    },
  };
}

/**
 * Enrichment and the policy's answer; `policy` is absent when a rule reads `preview` and must be
 * evaluated once the preview exists. `previewable`: the executor computes a preview on this target.
 */
export interface Assessment {
  enrichment: Enrichment;
  policy?: PolicyDecision;
  previewable: boolean;
}

function canPreview({ executors, config }: ActivityDeps, input: ActionRequestInput): boolean {
  const executor = executors.get(input.execution.executor);
  if (executor?.preview === undefined) return false;
  const name = input.execution.target;
  const target = name !== undefined && Object.hasOwn(config.targets, name) ? config.targets[name] : undefined;
  return executor.canPreview?.(target) ?? true;
}

/** The failure type of a request workflow started without the API's valid proof. */
export const UNVERIFIED_REQUEST = 'UnverifiedRequest';
/** How long after its submission a request's proof still starts a workflow: no replays later. */
const START_WINDOW_MS = 10 * 60_000;

function startRefusal(
  { prover }: ActivityDeps,
  input: ActionRequestInput,
  workflowId: string,
  startedAt: string,
): string | undefined {
  if (typeof input !== 'object' || input === null || typeof input.requestId !== 'string') {
    return 'the workflow input is not a request Airlock made';
  }
  if (!prover.verify('start', input.requestId, input))
    return 'the request carries no valid proof from the API';
  if (workflowId !== workflowIdFor(input.requestId))
    return `the proof is for ${workflowIdFor(input.requestId)}`;
  const age = Date.parse(startedAt) - Date.parse(input.submittedAt);
  if (!(Math.abs(age) <= START_WINDOW_MS)) return 'the proof is too old to start a request';
  return undefined;
}
