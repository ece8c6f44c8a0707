// The justification rule, one pure check for both places that apply it: the API answers a short
// justification with a 400 before anything starts, and the workflow (which evaluates the policy
// again, with Airlock's own enrichment and preview) denies one that the final decision finds short.
import type { PolicyDecision } from './types.js';

/** Why this justification is too short for the decision's rule, or undefined when it is long enough. */
export function justificationShortfall(
  decision: Pick<PolicyDecision, 'effect' | 'rule' | 'requireJustification'>,
  justification: string | undefined,
): string | undefined {
  // A denial stands on its own: no justification would change it.
  if (decision.effect === 'deny') return undefined;
  const min = decision.requireJustification?.minLength ?? 0;
  if ((justification?.trim().length ?? 0) >= min) return undefined;
  return `policy rule ${decision.rule} requires a justification of at least ${min} characters`;
}
