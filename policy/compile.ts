// Turns a validated policy into what evaluation needs: glob matchers, compiled `when` expressions and
// approval stages already resolved to identities and milliseconds, plus the fail-closed default.

import type { DriftTolerance } from '../workflows/preview-types.js';
import { CelCompileError, type CompiledWhen, compileWhen } from './cel.js';
import { parseDuration } from './duration.js';
import type { IssuePath } from './errors.js';
import { compileGlob, type Matcher } from './glob.js';
import {
  type Policy,
  type PolicyDefault,
  type PolicyRule,
  type PolicyStage,
  stageIdentities,
} from './schema.js';
import type { ApprovalStage, BreakGlassPolicy, Effect, Risk, StandingPolicy } from './types.js';

export const NO_DEFAULT_REASON = 'no policy rule matched and the policy has no default';

export type MatchField = 'action' | 'resource' | 'environment' | 'requester';

/** Everything a decision copies from a rule or from the default. */
export interface CompiledOutcome {
  name: string;
  effect: Effect;
  risk: Risk;
  reason?: string;
  stages: ApprovalStage[];
  requireJustification?: { minLength: number };
  denyReasonRequired: boolean;
  requirePreview?: boolean;
  drift?: DriftTolerance;
  breakGlass?: BreakGlassPolicy;
  standing?: StandingPolicy;
}

export interface CompiledRule extends CompiledOutcome {
  index: number;
  match: { field: MatchField; test: Matcher }[];
  when?: CompiledWhen;
}

export interface LoadedPolicy {
  /** File name (or other source name) the policy was read from. */
  source: string;
  /** SHA-256 (hex) of the file content. */
  version: string;
  /** ISO-8601 time the policy was loaded. */
  loadedAt: string;
  /** The validated document, defaults applied. */
  policy: Policy;
  rules: CompiledRule[];
  /** The `default`, or the built-in deny when the policy has none. */
  fallback: CompiledOutcome;
  /** False when `fallback` is the built-in deny. */
  hasDefault: boolean;
}

export type CompileResult =
  | { ok: true; policy: LoadedPolicy }
  | { ok: false; issues: { path: IssuePath; message: string }[] };

const MATCH_FIELDS: readonly MatchField[] = ['action', 'resource', 'environment', 'requester'];

export function compilePolicy(policy: Policy, meta: { source: string; version: string }): CompileResult {
  const issues: { path: IssuePath; message: string }[] = [];
  const rules = policy.rules.map((rule, index): CompiledRule => {
    let when: CompiledWhen | undefined;
    if (rule.when !== undefined) {
      try {
        when = compileWhen(rule.when);
      } catch (error) {
        if (!(error instanceof CelCompileError)) throw error;
        issues.push({ path: ['rules', index, 'when'], message: error.message });
      }
    }
    const match = MATCH_FIELDS.flatMap((field) => {
      const glob = rule.match[field];
      return glob === undefined ? [] : [{ field, test: compileGlob(glob) }];
    });
    return {
      index,
      match,
      ...(when ? { when } : {}),
      ...compileOutcome(policy, rule.name, rule),
      ...(rule.breakGlass ? { breakGlass: breakGlassOf(policy, rule.breakGlass) } : {}),
      ...(rule.standing
        ? {
            standing: {
              maxTtlMs: parseDuration(rule.standing.maxTtl),
              vary: [...rule.standing.scope.vary],
            },
          }
        : {}),
    };
  });
  if (issues.length > 0) return { ok: false, issues };
  const fallback = policy.default
    ? compileOutcome(policy, 'default', policy.default)
    : compileOutcome(policy, 'default', {
        effect: 'deny',
        reason: NO_DEFAULT_REASON,
        denyReasonRequired: true,
      });
  return {
    ok: true,
    policy: {
      ...meta,
      loadedAt: new Date().toISOString(),
      policy,
      rules,
      fallback,
      hasDefault: policy.default !== undefined,
    },
  };
}

function compileOutcome(policy: Policy, name: string, outcome: PolicyDefault): CompiledOutcome {
  return {
    name,
    effect: outcome.effect,
    risk: outcome.risk ?? (outcome.effect === 'allow' ? 'low' : 'medium'),
    ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
    stages: (outcome.stages ?? []).map((stage) => resolveStage(policy, stage)),
    ...(outcome.requireJustification ? { requireJustification: { ...outcome.requireJustification } } : {}),
    denyReasonRequired: outcome.denyReasonRequired,
    ...(outcome.requirePreview ? { requirePreview: true } : {}),
    ...(outcome.drift ? { drift: driftOf(outcome.drift) } : {}),
  };
}

function breakGlassOf(policy: Policy, breakGlass: NonNullable<PolicyRule['breakGlass']>): BreakGlassPolicy {
  return {
    approvers: [...breakGlass.approvers],
    approverIdentities: stageIdentities(policy.groups, breakGlass.approvers),
    minReasonLength: breakGlass.minReasonLength,
    reviewWithinMs: parseDuration(breakGlass.reviewWithin),
  };
}

function driftOf(drift: NonNullable<PolicyDefault['drift']>): DriftTolerance {
  const rows = drift.rows;
  return {
    ...(typeof rows === 'number' ? { rows: { absolute: rows } } : {}),
    ...(typeof rows === 'string' ? { rows: { percent: Number.parseFloat(rows) } } : {}),
    ...(drift.http ? { http: drift.http } : {}),
  };
}

function resolveStage(policy: Policy, stage: PolicyStage): ApprovalStage {
  return {
    approvers: [...stage.approvers],
    approverIdentities: stageIdentities(policy.groups, stage.approvers),
    minApprovals: stage.minApprovals,
    timeoutMs: parseDuration(stage.timeout),
    notify: [...stage.notify],
    ...(stage.reminderBefore !== undefined ? { reminderBeforeMs: parseDuration(stage.reminderBefore) } : {}),
  };
}
