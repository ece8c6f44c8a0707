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

/**
 * How long one channel call may take. The card activities time out after 30 s and are retried
 * whole: a channel that hangs must fail on its own well before, or the retry posts the other
 * channels' cards again (found by fault case 4 with a Bot Connector that stops answering).
 */
export const CHANNEL_CALL_TIMEOUT_MS = 10_000;

/** Sends cards to policy channels through whichever adapters are configured. */
export class ChannelRouter {
  private readonly adapters = new Map<string, ChannelAdapter>();

  constructor(
    adapters: ChannelAdapter[] = [],
    private readonly callTimeoutMs = CHANNEL_CALL_TIMEOUT_MS,
  ) {
    for (const a of adapters) this.register(a);
  }

  register(adapter: ChannelAdapter): void {
    this.adapters.set(adapter.kind, adapter);
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
    // All at once, each with its own time limit; results kept in destination order.
    const attempts: Promise<(r: BroadcastResult) => void>[] = [];
    const timedOut = new Set<Promise<PostedCard>>();
    for (const dest of destinations) {
      for (const kind of ['teams', 'slack'] as const) {
        if (!dest[kind] || !wanted(dest.name, kind)) continue;
        const adapter = this.adapters.get(kind);
        if (!adapter) {
          attempts.push(
            Promise.resolve((r) => r.errors.push(`channel ${dest.name}: ${kind} is not configured`)),
          );
          continue;
        }
        const call = adapter.postCard(dest, card, stage);
        // Given up on, it may still land: then it is marked superseded (the retry posts another).
        call.then(
          (late) => (timedOut.has(call) ? this.retire(adapter, late, card) : undefined),
          () => undefined,
        );
        attempts.push(
          this.limited(call, `posting to ${dest.name}`, () => timedOut.add(call)).then(
            (posted) => (r) => r.cards.push(posted),
            (err: unknown) => (r) => {
              r.errors.push(`channel ${dest.name} (${kind}): ${errorText(err)}`);
              r.failed.push({ name: dest.name, kind });
            },
          ),
        );
      }
    }
    for (const apply of await Promise.all(attempts)) apply(result);
    return result;
  }

  /** Updates every posted card in place; returns the errors of those that failed. */
  async update(posted: PostedCard[], card: ApprovalCard, note?: string): Promise<string[]> {
    return this.eachCard(posted, async (adapter, p) => {
      await this.limited(adapter.updateCard(p, card), 'updating the card');
      if (note) await this.limited(adapter.reply(p, note), 'replying');
    });
  }

  async reply(posted: PostedCard[], text: string): Promise<string[]> {
    return this.eachCard(posted, (adapter, p) => this.limited(adapter.reply(p, text), 'replying'));
  }

  /** A card that was posted after it had been given up on: no buttons, pointing to the newer one. */
  private async retire(adapter: ChannelAdapter, late: PostedCard, card: ApprovalCard): Promise<void> {
    const superseded: ApprovalCard = {
      ...card,
      actions: undefined,
      statusLine:
        'This copy arrived late and was replaced by a newer card: decide there, or through the API.',
    };
    await this.limited(adapter.updateCard(late, superseded), 'retiring a late card').catch(() => undefined);
  }

  /** Runs `fn` for every posted card at once; returns the errors, in card order. */
  private async eachCard(
    posted: PostedCard[],
    fn: (adapter: ChannelAdapter, p: PostedCard) => Promise<void>,
  ): Promise<string[]> {
    const outcomes = await Promise.all(
      posted.map(async (p) => {
        const adapter = this.adapters.get(p.channel);
        if (!adapter) return undefined;
        try {
          await fn(adapter, p);
          return undefined;
        } catch (err) {
          return `${p.channel} ${p.destination}: ${errorText(err)}`;
        }
      }),
    );
    return outcomes.filter((e): e is string => e !== undefined);
  }

  /**
   * The call, or a failure once it has taken callTimeoutMs. The call itself cannot be taken back:
   * a post that answers after that may leave a card the request does not know of (its buttons
   * still decide through the workflow, but it is not updated with the outcome).
   */
  private limited<T>(call: Promise<T>, what: string, onTimeout?: () => void): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        onTimeout?.();
        reject(new Error(`${what} took longer than ${this.callTimeoutMs} ms`));
      }, this.callTimeoutMs);
    });
    return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
