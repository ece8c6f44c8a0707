// Read-only views of a loaded policy for the rest of the service: identity mapping for the bots,
// group membership for authorization, channel destinations, and the GET /v1/policy summary.

import type { LoadedPolicy } from './compile.js';
import { formatDuration } from './duration.js';
import type { ChannelDestination, IdentityMapping } from './types.js';

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

/** Names of the groups `email` belongs to, sorted. */
export function groupsOf(policy: LoadedPolicy, email: string): string[] {
  const identity = email.toLowerCase();
  return Object.entries(policy.policy.groups)
    .filter(([, members]) => members.includes(identity))
    .map(([name]) => name)
    .sort();
}

export function channelsOf(policy: LoadedPolicy): ChannelDestination[] {
  return Object.entries(policy.policy.channels).map(([name, channel]) => ({
    name,
    ...(channel.teams ? { teams: { ...channel.teams } } : {}),
    ...(channel.slack ? { slack: { ...channel.slack } } : {}),
  }));
}

/** JSON-safe summary for GET /v1/policy. The policy holds no secrets. */
export function describePolicy(policy: LoadedPolicy) {
  const outcome = (o: LoadedPolicy['fallback']) => ({
    effect: o.effect,
    risk: o.risk,
    reason: o.reason ?? null,
    requireJustification: o.requireJustification ?? null,
    denyReasonRequired: o.denyReasonRequired,
    stages: o.stages.map((stage) => ({
      ...stage,
      timeout: formatDuration(stage.timeoutMs),
      reminderBefore: stage.reminderBeforeMs === undefined ? null : formatDuration(stage.reminderBeforeMs),
      reminderBeforeMs: stage.reminderBeforeMs ?? null,
    })),
  });
  return structuredClone({
    version: policy.version,
    source: policy.source,
    loadedAt: policy.loadedAt,
    rules: policy.policy.rules.map((rule, index) => ({
      name: rule.name,
      match: rule.match,
      when: rule.when ?? null,
      ...outcome(policy.rules[index]!),
    })),
    default: { explicit: policy.hasDefault, ...outcome(policy.fallback) },
    groups: policy.policy.groups,
    channels: channelsOf(policy),
    identities: identitiesFor(policy),
  });
}

export type PolicyDescription = ReturnType<typeof describePolicy>;
