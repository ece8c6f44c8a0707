// Decides what a request gets: the first rule whose globs and `when` match, else the default.
// A `when` that fails at run time fails closed: it matches deny/require_approval rules, not allow ones.

import type { CompiledOutcome, CompiledRule, LoadedPolicy } from './compile.js';
import type { PolicyDecision, PolicyInput, PolicyNote } from './types.js';

export {
  channelsOf,
  decisionForView,
  describePolicy,
  groupsOf,
  identitiesFor,
  identityForSlack,
  identityForTeams,
  type PolicyView,
} from './helpers.js';

export function evaluatePolicy(policy: LoadedPolicy, input: PolicyInput): PolicyDecision {
  const notes: PolicyNote[] = [];
  for (const rule of policy.rules) {
    if (ruleMatches(rule, input, notes)) return decide(policy, rule, notes, input);
  }
  return decide(policy, policy.fallback, notes, input);
}

/**
 * The decision as far as it can be made before the action's preview exists: undefined when the
 * first rule whose globs match reads `preview` before any rule decides (evaluate again, with the
 * preview, once it is there).
 */
export function evaluateBeforePreview(policy: LoadedPolicy, input: PolicyInput): PolicyDecision | undefined {
  const notes: PolicyNote[] = [];
  for (const rule of policy.rules) {
    if (rule.when?.readsPreview && globsMatch(rule, input)) return undefined;
    if (ruleMatches(rule, input, notes)) return decide(policy, rule, notes, input);
  }
  return decide(policy, policy.fallback, notes, input);
}

function globsMatch(rule: CompiledRule, input: PolicyInput): boolean {
  return rule.match.every(({ field, test }) => test(input[field]));
}

function ruleMatches(rule: CompiledRule, input: PolicyInput, notes: PolicyNote[]): boolean {
  if (!globsMatch(rule, input)) return false;
  if (!rule.when) return true;
  const result = rule.when.evaluate(input);
  if (result.ok) return result.value;
  const matched = rule.effect !== 'allow';
  notes.push({
    kind: 'whenError',
    rule: rule.name,
    message: result.error,
    treatedAs: matched ? 'match' : 'no_match',
  });
  return matched;
}

function decide(
  policy: LoadedPolicy,
  outcome: CompiledOutcome,
  notes: PolicyNote[],
  input: PolicyInput,
): PolicyDecision {
  return {
    effect: outcome.effect,
    risk: outcome.risk,
    rule: outcome.name,
    ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
    policyVersion: policy.version,
    stages: outcome.stages.map((stage) => ({
      ...stage,
      approvers: [...stage.approvers],
      approverIdentities: [...stage.approverIdentities],
      notify: [...stage.notify],
    })),
    ...(outcome.requireJustification ? { requireJustification: { ...outcome.requireJustification } } : {}),
    denyReasonRequired: outcome.denyReasonRequired,
    ...(notes.length > 0 ? { notes } : {}),
    ...(outcome.requirePreview ? { requirePreview: true } : {}),
    ...(outcome.drift ? { drift: { ...outcome.drift } } : {}),
    ...(input.preview !== undefined ? { afterPreview: true } : {}),
    ...(outcome.breakGlass
      ? {
          breakGlass: {
            ...outcome.breakGlass,
            approvers: [...outcome.breakGlass.approvers],
            approverIdentities: [...outcome.breakGlass.approverIdentities],
          },
        }
      : {}),
    ...(outcome.standing ? { standing: { ...outcome.standing, vary: [...outcome.standing.vary] } } : {}),
  };
}
