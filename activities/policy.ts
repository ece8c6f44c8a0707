// Policy evaluation as an activity: the policy file is reloaded outside the workflow, and the
// decision (with the policy's content hash) lands in the workflow history.
import { evaluatePolicy } from '../policy/evaluate.js';
import type { PolicyDecision, PolicyInput } from '../policy/types.js';
import type { ActivityDeps } from './deps.js';

export function createPolicyActivities({ policy, config }: ActivityDeps) {
  return {
    async evaluatePolicy(input: PolicyInput): Promise<PolicyDecision> {
      return evaluatePolicy(policy.current(), input);
    },
    async gateSettings(): Promise<{ tokenTtlMs: number; completionTimeoutMs: number }> {
      return { tokenTtlMs: config.gate.tokenTtlMs, completionTimeoutMs: config.gate.completionTimeoutMs };
    },
  };
}
