// Who clicked: a Teams user (from.aadObjectId, on a request whose token verified) in an allowed
// tenant maps to exactly one canonical identity, through the policy's `identities` first and the
// tenant directory (TeamsInfo.getMember: e-mail / UPN) second. Anything else is refused.
import type { LoadedPolicy } from '../../policy/compile.js';
import { identityForTeams, knownIdentity } from '../../policy/helpers.js';
import { canonicalAddress } from '../../policy/identity.js';
import type { IdentityVerdict } from '../decide.js';

export interface DirectoryEntry {
  aadObjectId?: string;
  email?: string;
  userPrincipalName?: string;
  tenantId?: string;
}

export type { IdentityVerdict };

export function tenantAllowed(allowedTenants: string[], tenantId: string | undefined): boolean {
  return !!tenantId && allowedTenants.includes(tenantId.toLowerCase());
}

const same = (a: string | undefined, b: string | undefined) =>
  !!a && !!b && a.toLowerCase() === b.toLowerCase();

/** Canonical addresses of a directory entry (policy/identity.ts); guest UPNs (#EXT#) name no mailbox. */
function candidates(entry: DirectoryEntry): string[] {
  const names = [entry.email, entry.userPrincipalName].flatMap((n) => {
    if (!n || n.toLowerCase().includes('#ext#')) return [];
    const canonical = canonicalAddress(n);
    return canonical.ok ? [canonical.identity] : [];
  });
  return [...new Set(names)];
}

export async function resolveTeamsUser(
  policy: LoadedPolicy,
  allowedTenants: string[],
  user: { aadObjectId?: string; tenantId?: string },
  directory?: () => Promise<DirectoryEntry | undefined>,
): Promise<IdentityVerdict> {
  if (!tenantAllowed(allowedTenants, user.tenantId)) {
    return {
      ok: false,
      why: 'tenant_not_allowed',
      detail: `tenant ${user.tenantId ?? '(none)'} is not allowed`,
    };
  }
  if (!user.aadObjectId) return { ok: false, why: 'unmapped', detail: 'the Teams user has no aadObjectId' };
  const mapped = identityForTeams(policy, user.aadObjectId);
  if (mapped) return { ok: true, identity: mapped, via: 'policy' };

  const entry = directory ? await directory() : undefined;
  if (!entry || !same(entry.aadObjectId, user.aadObjectId)) {
    return { ok: false, why: 'unmapped', detail: 'no policy identity and no directory entry for this user' };
  }
  if (entry.tenantId && !tenantAllowed(allowedTenants, entry.tenantId)) {
    return {
      ok: false,
      why: 'tenant_not_allowed',
      detail: `directory tenant ${entry.tenantId} is not allowed`,
    };
  }
  // An address the policy maps to another Teams user is not this user's to claim.
  const names = candidates(entry).filter(
    (n) => !policy.policy.identities.some((i) => i.email === n && i.teams),
  );
  if (names.length === 1) return { ok: true, identity: names[0]!, via: 'directory' };
  if (names.length === 0)
    return { ok: false, why: 'unmapped', detail: 'the directory entry has no usable e-mail' };
  const known = names.filter((n) => knownIdentity(policy, n));
  if (known.length === 1) return { ok: true, identity: known[0]!, via: 'directory' };
  return {
    ok: false,
    why: 'ambiguous',
    detail: `the directory names several identities (${names.join(', ')})`,
  };
}

/** Whether an identity may link conversations: a member of some approver group. */
export function mayLink(policy: LoadedPolicy, identity: string): boolean {
  const canonical = canonicalAddress(identity);
  return (
    canonical.ok &&
    Object.values(policy.policy.groups).some((members) => members.includes(canonical.identity))
  );
}
