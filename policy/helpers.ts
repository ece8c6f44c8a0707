// Read-only views of a loaded policy for the rest of the service: identity mapping for the bots,
// group membership for authorization, channel destinations, and the GET /v1/policy summary.

import type { LoadedPolicy } from './compile.js';
import { formatDuration } from './duration.js';
import { canonicalOrUndefined } from './identity.js';
import type { ApprovalStage, ChannelDestination, IdentityMapping, PolicyDecision } from './types.js';

export function identitiesFor(policy: LoadedPolicy): IdentityMapping[] {
  return policy.policy.identities.map((identity) => ({
    email: identity.email,
    ...(identity.teams ? { teams: { ...identity.teams } } : {}),
    ...(identity.slack ? { slack: { ...identity.slack } } : {}),
  }));
}

/** The canonical identity of a Teams user (by AAD object id, case-insensitive), if mapped. */
export function identityForTeams(policy: LoadedPolicy, aadObjectId: string): string | undefined {
  const id = aadObjectId.toLowerCase();
  return policy.policy.identities.find((i) => i.teams?.aadObjectId.toLowerCase() === id)?.email;
}

/** The canonical identity of a Slack user; a mapping that names a teamId only matches that team. */
export function identityForSlack(policy: LoadedPolicy, userId: string, teamId?: string): string | undefined {
  return policy.policy.identities.find(
    (i) => i.slack?.userId === userId && (i.slack.teamId === undefined || i.slack.teamId === teamId),
  )?.email;
}

/** Names of the groups `email` belongs to, sorted (canonical forms compared; policy/identity.ts). */
export function groupsOf(policy: LoadedPolicy, email: string): string[] {
  const identity = canonicalOrUndefined(email);
  if (identity === undefined) return [];
  return Object.entries(policy.policy.groups)
    .filter(([, members]) => members.includes(identity))
    .map(([name]) => name)
    .sort();
}

/** Whether the policy names this identity: in a group, or among the channel identities. */
export function knownIdentity(policy: LoadedPolicy, email: string): boolean {
  const identity = canonicalOrUndefined(email);
  if (identity === undefined) return false;
  return (
    Object.values(policy.policy.groups).some((members) => members.includes(identity)) ||
    policy.policy.identities.some((i) => i.email === identity)
  );
}

export function channelsOf(policy: LoadedPolicy): ChannelDestination[] {
  return Object.entries(policy.policy.channels).map(([name, channel]) => ({
    name,
    ...(channel.teams ? { teams: { ...channel.teams } } : {}),
    ...(channel.slack ? { slack: { ...channel.slack } } : {}),
  }));
}

/**
 * Who reads the policy. Approvers, auditors and admins see all of it; a requester sees what a dry
 * run needs (rules, what they match, effects, risk, stage sizes and timeouts) and none of the
 * people or chat destinations, so the policy is not a directory of whom to phish or where.
 */
export type PolicyView = 'full' | 'requester';

/** The file's name (never where it lives on the server) and its content hash. */
function sourceName(source: string): string {
  return source.split(/[\\/]/).pop() || source;
}

/** A stage as a requester sees it: its size and timing, not who approves nor where cards go. */
function stageForRequester(stage: ApprovalStage) {
  return {
    minApprovals: stage.minApprovals,
    timeoutMs: stage.timeoutMs,
    ...(stage.reminderBeforeMs !== undefined ? { reminderBeforeMs: stage.reminderBeforeMs } : {}),
  };
}

/** JSON-safe summary for GET /v1/policy. The policy holds no secrets, but it names people. */
export function describePolicy(policy: LoadedPolicy, view: PolicyView = 'full') {
  const full = view === 'full';
  const outcome = (o: LoadedPolicy['fallback']) => ({
    effect: o.effect,
    risk: o.risk,
    reason: o.reason ?? null,
    requireJustification: o.requireJustification ?? null,
    denyReasonRequired: o.denyReasonRequired,
    stages: o.stages.map((stage) => ({
      ...(full ? stage : stageForRequester(stage)),
      timeout: formatDuration(stage.timeoutMs),
      reminderBefore: stage.reminderBeforeMs === undefined ? null : formatDuration(stage.reminderBeforeMs),
      reminderBeforeMs: stage.reminderBeforeMs ?? null,
    })),
  });
  const rules = policy.policy.rules.map((rule, index) => {
    if (full)
      return {
        name: rule.name,
        match: rule.match,
        when: rule.when ?? null,
        ...outcome(policy.rules[index]!),
      };
    // A requester glob or a `when` can name people: the requester learns only that the rule checks more.
    const { requester, ...match } = rule.match;
    const conditions = [...(requester !== undefined ? ['requester'] : []), ...(rule.when ? ['when'] : [])];
    return { name: rule.name, match, conditions, ...outcome(policy.rules[index]!) };
  });
  return structuredClone({
    view,
    version: policy.version,
    source: sourceName(policy.source),
    loadedAt: policy.loadedAt,
    rules,
    default: { explicit: policy.hasDefault, ...outcome(policy.fallback) },
    ...(full
      ? { groups: policy.policy.groups, channels: channelsOf(policy), identities: identitiesFor(policy) }
      : {}),
  });
}

export type PolicyDescription = ReturnType<typeof describePolicy>;

/** A dry-run answer as the view allows: a requester does not learn the approvers nor the channels. */
export function decisionForView(decision: PolicyDecision, view: PolicyView) {
  if (view === 'full') return decision;
  return { ...decision, stages: decision.stages.map(stageForRequester) };
}
