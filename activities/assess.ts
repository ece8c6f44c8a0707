// Enrichment and policy in one step (one local activity, since patch local-bookkeeping-steps-v1):
// the policy sees the enrichment as `context`, and a failed enrichment degrades the card, never
// blocks the request.
import type { PolicyDecision } from '../policy/types.js';
import { policyInputFor } from '../workflows/rules.js';
import type { ActionRequestInput, Enrichment } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';
import { createEnrichActivities } from './enrich.js';
import { createPolicyActivities } from './policy.js';

export function createAssessActivities(deps: ActivityDeps) {
  const { enrichRequest } = createEnrichActivities(deps);
  const { evaluatePolicy } = createPolicyActivities(deps);
  return {
    async assessRequest({
      input,
      now,
    }: {
      input: ActionRequestInput;
      now: string;
    }): Promise<{ enrichment: Enrichment; policy: PolicyDecision }> {
      let enrichment: Enrichment;
      try {
        enrichment = await enrichRequest(input);
      } catch (err) {
        deps.logger.warn({ requestId: input.requestId, err: String(err) }, 'enrichment failed');
        enrichment = { degraded: ['enrichment failed'] };
      }
      return { enrichment, policy: await evaluatePolicy(policyInputFor(input, enrichment, now)) };
    },
  };
}
