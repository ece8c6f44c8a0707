// The policy file's shape (SPEC 3) as a zod schema: strict objects, so a misspelt key is an error,
// plus the cross-field checks (known groups and channels, stage sizes, unique names and ids).

import { z } from 'zod';
import { DURATION_HINT, parseDuration } from './duration.js';
import { canonicalAddress } from './identity.js';

/** A canonical identity (policy/identity.ts): what every comparison of identities uses. */
const email = z.string().transform((value, ctx) => {
  const canonical = canonicalAddress(value);
  if (canonical.ok) return canonical.identity;
  ctx.addIssue({
    code: 'custom',
    message: `invalid e-mail address ${JSON.stringify(value)}: ${canonical.reason}`,
  });
  return z.NEVER;
});

const duration = z
  .string({
    error: (iss) =>
      iss.input === undefined
        ? undefined
        : `invalid duration ${JSON.stringify(iss.input)} (${DURATION_HINT})`,
  })
  .superRefine((value, ctx) => {
    try {
      parseDuration(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });

const name = z.string().min(1, { error: 'must not be empty' });

const glob = z.union([z.string(), z.array(z.string()).min(1, { error: 'must list at least one glob' })], {
  error: 'must be a glob string or a list of glob strings',
});

export const EffectSchema = z.enum(['allow', 'deny', 'require_approval']);
export const RiskSchema = z.enum(['low', 'medium', 'high', 'critical']);

export const StageSchema = z.strictObject({
  approvers: z.array(name).min(1, { error: 'must list at least one approver group or e-mail address' }),
  minApprovals: z.number().int().min(1).default(1),
  timeout: duration,
  notify: z.array(name).default([]),
  reminderBefore: duration.optional(),
});

const MatchSchema = z.strictObject({
  action: glob.optional(),
  resource: glob.optional(),
  environment: glob.optional(),
  requester: glob.optional(),
});

/** How far execution may stray from the preview: `rows: 5%` or `rows: 10`, `http: allow`. */
export const DriftSchema = z.strictObject({
  rows: z
    .union([
      z.number().int().min(0),
      z.string().regex(/^\d+(\.\d+)?%$/, { error: 'must be a number of rows or a percentage such as "5%"' }),
    ])
    .optional(),
  http: z.enum(['exact', 'allow']).optional(),
});

const outcome = {
  effect: EffectSchema,
  risk: RiskSchema.optional(),
  reason: z.string().optional(),
  requireJustification: z.strictObject({ minLength: z.number().int().min(1) }).optional(),
  denyReasonRequired: z.boolean().default(true),
  stages: z.array(StageSchema).optional(),
  /** Without a verified preview (failed, unavailable) the request is denied instead of degraded. */
  requirePreview: z.boolean().optional(),
  drift: DriftSchema.optional(),
};

/**
 * Who may break the glass on a rule (SPEC 14): members of these groups may run a request at once
 * with a reason, and a stage approver reviews it afterwards within `reviewWithin`.
 */
export const BreakGlassSchema = z.strictObject({
  approvers: z.array(name).min(1, { error: 'must list at least one group allowed to break the glass' }),
  minReasonLength: z.number().int().min(1).default(20),
  reviewWithin: duration,
});

/**
 * Where an approver may approve "this and the same again" (SPEC 14): for at most `maxTtl`, for
 * the same action, resource, environment and requester, and the same parameters except those
 * `scope.vary` names.
 */
export const StandingSchema = z.strictObject({
  maxTtl: duration,
  scope: z.strictObject({ vary: z.array(name).default([]) }).default({ vary: [] }),
});

export const RuleSchema = z.strictObject({
  name,
  match: MatchSchema.default({}),
  when: name.optional(),
  ...outcome,
  breakGlass: BreakGlassSchema.optional(),
  standing: StandingSchema.optional(),
});

export const DefaultSchema = z.strictObject(outcome);

const IdentitySchema = z.strictObject({
  email,
  teams: z.strictObject({ aadObjectId: name }).optional(),
  slack: z.strictObject({ userId: name, teamId: name.optional() }).optional(),
});

const ChannelSchema = z
  .strictObject({
    teams: z.strictObject({ conversationRef: name }).optional(),
    slack: z.strictObject({ channel: name }).optional(),
  })
  .refine((channel) => channel.teams !== undefined || channel.slack !== undefined, {
    error: 'a channel needs a teams or a slack destination',
  });

const groupName = z
  .string()
  .regex(/^[^\s@]+$/, { error: 'a group name must not be empty nor contain "@" or spaces' });

const PolicyObject = z.strictObject({
  version: z.literal(1, {
    error: (iss) =>
      iss.input === undefined
        ? undefined
        : `unsupported policy version ${JSON.stringify(iss.input)} (expected 1)`,
  }),
  groups: z.record(groupName, z.array(email)).default({}),
  identities: z.array(IdentitySchema).default([]),
  channels: z.record(name, ChannelSchema).default({}),
  rules: z.array(RuleSchema).default([]),
  default: DefaultSchema.optional(),
});

/** The whole file: structure first, then (only once the structure is valid) the cross-field checks. */
export const PolicySchema = PolicyObject.superRefine((policy, ctx) => {
  for (const issue of crossCheck(policy)) ctx.addIssue({ code: 'custom', ...issue });
});

export type Policy = z.output<typeof PolicyObject>;
export type PolicyRule = z.output<typeof RuleSchema>;
export type PolicyDefault = z.output<typeof DefaultSchema>;
export type PolicyStage = z.output<typeof StageSchema>;
type Outcome = Pick<PolicyRule, 'effect' | 'stages'> &
  Partial<Pick<PolicyRule, 'breakGlass' | 'standing' | 'risk'>>;
type Path = (string | number)[];

export interface CrossIssue {
  path: Path;
  message: string;
}

/** Distinct identities (lower-case e-mail) named by a stage's approvers, unknown groups ignored. */
export function stageIdentities(groups: Policy['groups'], approvers: readonly string[]): string[] {
  const identities = new Set<string>();
  for (const approver of approvers) {
    if (!approver.includes('@')) {
      for (const member of groups[approver] ?? []) identities.add(member);
      continue;
    }
    const direct = canonicalAddress(approver);
    if (direct.ok) identities.add(direct.identity);
  }
  return [...identities].sort();
}

export function crossCheck(policy: Policy): CrossIssue[] {
  const issues: CrossIssue[] = [];
  const firstByName = new Map<string, number>();
  policy.rules.forEach((rule, index) => {
    const first = firstByName.get(rule.name);
    if (first !== undefined) {
      issues.push({ path: ['rules', index, 'name'], message: `duplicate rule name (also rules[${first}])` });
    } else firstByName.set(rule.name, index);
    if (rule.name === 'default') {
      issues.push({
        path: ['rules', index, 'name'],
        message: '"default" is reserved for the default decision',
      });
    }
    issues.push(...checkOutcome(policy, rule, ['rules', index]));
  });
  if (policy.default) issues.push(...checkOutcome(policy, policy.default, ['default']));
  issues.push(...checkIdentities(policy.identities));
  return issues;
}

function checkOutcome(policy: Pick<Policy, 'groups' | 'channels'>, outcome: Outcome, at: Path): CrossIssue[] {
  const issues: CrossIssue[] = [];
  const stages = outcome.stages ?? [];
  if (outcome.effect === 'require_approval' && stages.length === 0) {
    issues.push({ path: [...at, 'stages'], message: 'effect require_approval needs at least one stage' });
  }
  if (outcome.effect !== 'require_approval' && outcome.stages !== undefined) {
    issues.push({ path: [...at, 'stages'], message: `effect ${outcome.effect} must not have stages` });
  }
  const groups = Object.keys(policy.groups);
  const channels = Object.keys(policy.channels);
  if (outcome.breakGlass) issues.push(...checkBreakGlass(policy, outcome, at));
  if (outcome.standing && outcome.effect !== 'require_approval') {
    issues.push({
      path: [...at, 'standing'],
      message: `standing approvals need effect require_approval, not ${outcome.effect}`,
    });
  }
  if (outcome.standing && outcome.risk === 'critical') {
    issues.push({
      path: [...at, 'standing'],
      message: 'standing approvals are never allowed for critical risk',
    });
  }
  stages.forEach((stage, s) => {
    const here = [...at, 'stages', s];
    let unknownApprovers = 0;
    stage.approvers.forEach((approver, a) => {
      if (approver.includes('@')) {
        const direct = canonicalAddress(approver);
        if (!direct.ok) {
          unknownApprovers += 1;
          issues.push({
            path: [...here, 'approvers', a],
            message: `invalid e-mail address ${JSON.stringify(approver)}: ${direct.reason}`,
          });
        }
        return;
      }
      if (Object.hasOwn(policy.groups, approver)) return;
      unknownApprovers += 1;
      issues.push({
        path: [...here, 'approvers', a],
        message: `unknown group ${JSON.stringify(approver)} (known groups: ${list(groups)}; a direct approver must be an e-mail address)`,
      });
    });
    stage.notify.forEach((channel, n) => {
      if (Object.hasOwn(policy.channels, channel)) return;
      issues.push({
        path: [...here, 'notify', n],
        message: `unknown channel ${JSON.stringify(channel)} (known channels: ${list(channels)})`,
      });
    });
    const identities = stageIdentities(policy.groups, stage.approvers);
    if (unknownApprovers === 0 && stage.minApprovals > identities.length) {
      issues.push({
        path: [...here, 'minApprovals'],
        message: `minApprovals ${stage.minApprovals} exceeds the ${identities.length} distinct approver(s) of this stage (${list(identities)})`,
      });
    }
    // An invalid duration is its own field's issue; the comparison needs both to parse.
    const reminder =
      stage.reminderBefore === undefined ? undefined : durationOrUndefined(stage.reminderBefore);
    const timeout = durationOrUndefined(stage.timeout);
    if (reminder !== undefined && timeout !== undefined && reminder >= timeout) {
      issues.push({
        path: [...here, 'reminderBefore'],
        message: `reminderBefore ${stage.reminderBefore} must be shorter than the timeout ${stage.timeout}`,
      });
    }
  });
  return issues;
}

function durationOrUndefined(text: string): number | undefined {
  try {
    return parseDuration(text);
  } catch {
    return undefined;
  }
}

/** Break-glass needs reviewers (the stages') and is never a way around a deny. */
function checkBreakGlass(policy: Pick<Policy, 'groups'>, outcome: Outcome, at: Path): CrossIssue[] {
  const issues: CrossIssue[] = [];
  const breakGlass = outcome.breakGlass!;
  if (outcome.effect !== 'require_approval') {
    issues.push({
      path: [...at, 'breakGlass'],
      message: `break-glass needs effect require_approval (its stage approvers review it), not ${outcome.effect}`,
    });
  }
  breakGlass.approvers.forEach((group, g) => {
    if (Object.hasOwn(policy.groups, group)) return;
    issues.push({
      path: [...at, 'breakGlass', 'approvers', g],
      message: `unknown group ${JSON.stringify(group)} (known groups: ${list(Object.keys(policy.groups))})`,
    });
  });
  return issues;
}

function checkIdentities(identities: Policy['identities']): CrossIssue[] {
  const issues: CrossIssue[] = [];
  const aad = new Map<string, number>();
  const slack = new Map<string, number>();
  const claim = (seen: Map<string, number>, key: string, index: number, path: Path, what: string) => {
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else if (identities[first]!.email !== identities[index]!.email) {
      const owner = identities[first]!.email;
      issues.push({ path, message: `${what} is already mapped to ${owner} (identities[${first}])` });
    }
  };
  identities.forEach((identity, i) => {
    if (identity.teams) {
      const id = identity.teams.aadObjectId;
      claim(
        aad,
        id.toLowerCase(),
        i,
        ['identities', i, 'teams', 'aadObjectId'],
        `aadObjectId ${JSON.stringify(id)}`,
      );
    }
    if (identity.slack) {
      const id = identity.slack.userId;
      claim(slack, id, i, ['identities', i, 'slack', 'userId'], `Slack userId ${JSON.stringify(id)}`);
    }
  });
  return issues;
}

function list(items: readonly string[]): string {
  return items.length === 0 ? 'none' : items.join(', ');
}
