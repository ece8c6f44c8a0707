// Who clicked: a Slack user id (verified by the request signature) maps to exactly one canonical
// identity, through the policy's `identities` or, only when configured, the user's confirmed
// e-mail from users.info. Anything unclear (another workspace, a bot, an e-mail the policy binds
// to a different Slack user) is refused with a reason, never guessed.
import type { webApi } from '@slack/bolt';
import { identityForSlack } from '../../policy/helpers.js';
import { canonicalAddress } from '../../policy/identity.js';
import type { LoadedPolicy } from '../../policy/load.js';
import type { ChannelUser } from '../channel.js';
import type { IdentityVerdict } from '../decide.js';

export type { IdentityVerdict };

export interface Workspace {
  teamId?: string;
  enterpriseId?: string;
}

interface SlackUserInfo {
  id?: string;
  team_id?: string;
  deleted?: boolean;
  is_bot?: boolean;
  is_app_user?: boolean;
  is_email_confirmed?: boolean;
  enterprise_user?: { enterprise_id?: string };
  profile?: { email?: string };
}

const CACHE_MS = 60_000;

export class SlackIdentities {
  private readonly cache = new Map<string, { at: number; user: SlackUserInfo }>();

  constructor(
    private readonly policy: { current(): LoadedPolicy },
    private readonly client: webApi.WebClient,
    private readonly workspace: () => Promise<Workspace>,
    private readonly emailLookup: boolean,
  ) {}

  async resolve(user: ChannelUser): Promise<IdentityVerdict> {
    const who = `Slack user ${user.id}${user.teamId ? ` (team ${user.teamId})` : ''}`;
    const policy = this.policy.current();
    const mapped = identityForSlack(policy, user.id, user.teamId);
    if (mapped) return { ok: true, identity: mapped };
    if (policy.policy.identities.some((i) => i.slack?.userId === user.id)) {
      return {
        ok: false,
        why: 'unmapped',
        detail: `${who} is mapped in the policy for another Slack workspace`,
      };
    }
    if (!this.emailLookup) {
      return {
        ok: false,
        why: 'unmapped',
        detail: `${who} is not mapped to an Airlock identity in the policy`,
      };
    }
    return this.byEmail(user, who, policy);
  }

  private async byEmail(user: ChannelUser, who: string, policy: LoadedPolicy): Promise<IdentityVerdict> {
    let info: SlackUserInfo;
    try {
      info = await this.userInfo(user.id);
    } catch (err) {
      const code = (err as { data?: { error?: string } }).data?.error ?? 'unreachable';
      return { ok: false, why: 'unmapped', detail: `${who}: the Slack directory look-up failed (${code})` };
    }
    if (info.deleted || info.is_bot || info.is_app_user) {
      return { ok: false, why: 'unmapped', detail: `${who} is a deactivated account or a bot` };
    }
    let ours: Workspace;
    try {
      ours = await this.workspace();
    } catch {
      return {
        ok: false,
        why: 'unmapped',
        detail: `${who}: Airlock could not confirm its own Slack workspace (auth.test)`,
      };
    }
    const sameTeam = ours.teamId !== undefined && info.team_id === ours.teamId;
    const sameOrg =
      ours.enterpriseId !== undefined && info.enterprise_user?.enterprise_id === ours.enterpriseId;
    if (!sameTeam && !sameOrg) {
      return {
        ok: false,
        why: 'unmapped',
        detail: `${who} belongs to another workspace; map it in the policy identities`,
      };
    }
    const raw = info.profile?.email;
    if (!raw?.trim())
      return {
        ok: false,
        why: 'unmapped',
        detail: `${who} has no e-mail visible to Airlock (users:read.email)`,
      };
    const canonical = canonicalAddress(raw);
    if (!canonical.ok) {
      return {
        ok: false,
        why: 'unmapped',
        detail: `${who} has an e-mail Airlock cannot use as an identity (${canonical.reason})`,
      };
    }
    const email = canonical.identity;
    if (info.is_email_confirmed === false) {
      return { ok: false, why: 'unmapped', detail: `${who} has not confirmed the e-mail ${email}` };
    }
    // Policy e-mails are canonical already (policy/schema.ts), so plain equality compares canonical forms.
    const claimed = policy.policy.identities.find((i) => i.email === email && i.slack);
    if (claimed && claimed.slack?.userId !== user.id) {
      return {
        ok: false,
        why: 'unmapped',
        detail: `${who}: the e-mail ${email} is mapped in the policy to another Slack user`,
      };
    }
    return { ok: true, identity: email };
  }

  private async userInfo(userId: string): Promise<SlackUserInfo> {
    const hit = this.cache.get(userId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.user;
    const res = await this.client.users.info({ user: userId });
    const user = (res.user ?? {}) as SlackUserInfo;
    if (user.id !== userId)
      throw Object.assign(new Error('user mismatch'), { data: { error: 'user_mismatch' } });
    if (this.cache.size > 5000) this.cache.clear();
    this.cache.set(userId, { at: Date.now(), user });
    return user;
  }
}
