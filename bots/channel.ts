// The channel-neutral side of approvals: the small interface each chat channel implements
// (Teams and Slack adapters live in bots/teams and bots/slack) and the router that sends one
// card to the policy's named destinations. The core never switches on the channel type.
import type { ChannelDestination } from '../policy/types.js';
import type { ChannelKind, PostedCard } from '../workflows/types.js';
import type { ApprovalCard } from './card.js';

/** A chat user as the channel verified it (signature or token checked by the adapter). */
export interface ChannelUser {
  id: string;
  tenantId?: string;
  teamId?: string;
  email?: string;
}

export interface ChannelAdapter {
  readonly kind: Exclude<ChannelKind, 'api'>;
  /** Posts a new card to one destination of this channel kind. */
  postCard(destination: ChannelDestination, card: ApprovalCard, stage: number): Promise<PostedCard>;
  /** Replaces a posted card in place with the current state. */
  updateCard(posted: PostedCard, card: ApprovalCard): Promise<void>;
  /** Replies in the card's thread (escalations, reminders, outcome). */
  reply(posted: PostedCard, text: string): Promise<void>;
  /** Maps a verified channel user to exactly one canonical identity, or undefined (refused). */
  resolveIdentity(user: ChannelUser): Promise<string | undefined>;
}

/** One channel kind of one policy destination, e.g. the Slack side of `dba-chat`. */
export interface DestinationKind {
  name: string;
  kind: Exclude<ChannelKind, 'api'>;
}

export interface BroadcastResult {
  cards: PostedCard[];
  errors: string[];
  /** Where the channel itself failed (worth trying again later); not-configured kinds are not here. */
  failed: DestinationKind[];
}

/** Sends cards to policy channels through whichever adapters are configured. */
export class ChannelRouter {
  private readonly adapters = new Map<string, ChannelAdapter>();

  constructor(adapters: ChannelAdapter[] = []) {
    for (const a of adapters) this.register(a);
  }

  register(adapter: ChannelAdapter): void {
    this.adapters.set(adapter.kind, adapter);
  }

  get kinds(): string[] {
    return [...this.adapters.keys()];
  }

  /** Posts to every destination; one failing channel never stops the others (partial failure is normal). */
  async post(
    destinations: ChannelDestination[],
    card: ApprovalCard,
    stage: number,
    only?: DestinationKind[],
  ): Promise<BroadcastResult> {
    const result: BroadcastResult = { cards: [], errors: [], failed: [] };
    const wanted = (name: string, kind: string) =>
      only === undefined || only.some((o) => o.name === name && o.kind === kind);
    for (const dest of destinations) {
      for (const kind of ['teams', 'slack'] as const) {
        if (!dest[kind] || !wanted(dest.name, kind)) continue;
        const adapter = this.adapters.get(kind);
        if (!adapter) {
          result.errors.push(`channel ${dest.name}: ${kind} is not configured`);
          continue;
        }
        try {
          result.cards.push(await adapter.postCard(dest, card, stage));
        } catch (err) {
          result.errors.push(`channel ${dest.name} (${kind}): ${errorText(err)}`);
          result.failed.push({ name: dest.name, kind });
        }
      }
    }
    return result;
  }

  /** Updates every posted card in place; returns the errors of those that failed. */
  async update(posted: PostedCard[], card: ApprovalCard, note?: string): Promise<string[]> {
    const errors: string[] = [];
    for (const p of posted) {
      const adapter = this.adapters.get(p.channel);
      if (!adapter) continue;
      try {
        await adapter.updateCard(p, card);
        if (note) await adapter.reply(p, note);
      } catch (err) {
        errors.push(`${p.channel} ${p.destination}: ${errorText(err)}`);
      }
    }
    return errors;
  }

  async reply(posted: PostedCard[], text: string): Promise<string[]> {
    const errors: string[] = [];
    for (const p of posted) {
      try {
        await this.adapters.get(p.channel)?.reply(p, text);
      } catch (err) {
        errors.push(`${p.channel} ${p.destination}: ${errorText(err)}`);
      }
    }
    return errors;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
