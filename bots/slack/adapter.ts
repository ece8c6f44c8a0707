// The Slack side of the channel interface: post the card to a policy channel, replace it in place
// (chat.update) whenever the request changes, reply in its thread (escalations, reminders, the
// outcome), and resolve a clicker to an identity. Message ids are Slack's `ts`.
import type { webApi } from '@slack/bolt';
import type { ChannelDestination } from '../../policy/types.js';
import { FINAL_STATUSES, type PostedCard } from '../../workflows/types.js';
import type { ApprovalCard } from '../card.js';
import type { ChannelAdapter, ChannelUser } from '../channel.js';
import { outcomeText, renderCard } from './blocks.js';
import type { IdentityVerdict, SlackIdentities } from './identity.js';
import { fitMrkdwn } from './text.js';

/** Statuses that get one outcome reply in the card's thread. */
const OUTCOME_STATUSES = new Set<string>([...FINAL_STATUSES, 'active']);

export class SlackAdapter implements ChannelAdapter {
  readonly kind = 'slack' as const;
  /** Outcome replies already posted (message + status), so retried updates do not repeat them. */
  private readonly outcomes = new Set<string>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly identities: SlackIdentities,
    /** Whether a response_url from a signed payload points at Slack (never anywhere else). */
    private readonly isSlackUrl: (url: string) => boolean = () => false,
  ) {}

  async postCard(destination: ChannelDestination, card: ApprovalCard, stage: number): Promise<PostedCard> {
    const channel = destination.slack?.channel;
    if (!channel) throw new Error(`channel ${destination.name} has no Slack destination`);
    const res = await this.client.chat.postMessage({
      channel,
      ...renderCard(card),
      unfurl_links: false,
      unfurl_media: false,
    });
    if (!res.ts || !res.channel) throw new Error('Slack answered chat.postMessage without a channel and ts');
    return {
      channel: 'slack',
      destination: destination.name,
      messageId: res.ts,
      stage,
      ref: { channel: res.channel },
    };
  }

  async updateCard(posted: PostedCard, card: ApprovalCard): Promise<void> {
    await this.client.chat.update({ channel: channelOf(posted), ts: posted.messageId, ...renderCard(card) });
    const key = `${channelOf(posted)}/${posted.messageId}/${card.status}`;
    if (OUTCOME_STATUSES.has(card.status) && !this.outcomes.has(key)) {
      await this.reply(posted, outcomeText(card), true);
      if (this.outcomes.size > 10_000) this.outcomes.clear();
      this.outcomes.add(key);
    }
  }

  async reply(posted: PostedCard, text: string, escaped = false): Promise<void> {
    await this.client.chat.postMessage({
      channel: channelOf(posted),
      thread_ts: posted.messageId,
      text: escaped ? text : fitMrkdwn(text, 3000),
      unfurl_links: false,
      unfurl_media: false,
    });
  }

  /** Maps a verified Slack user to exactly one canonical identity, or the reason it is refused. */
  resolve(user: ChannelUser): Promise<IdentityVerdict> {
    return this.identities.resolve(user);
  }

  /**
   * Answers one user privately. chat.postEphemeral needs the bot in the channel; a public channel
   * it posts to through chat:write.public may not have it, so the click's response_url answers.
   */
  async ephemeral(channel: string, user: string, text: string, responseUrl?: string): Promise<void> {
    const safe = fitMrkdwn(text, 3000);
    try {
      await this.client.chat.postEphemeral({ channel, user, text: safe });
    } catch (err) {
      if (!responseUrl || !this.isSlackUrl(responseUrl)) throw err;
      const res = await fetch(responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text: safe }),
        redirect: 'error',
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok) throw new Error(`Slack response_url answered ${res.status}`);
    }
  }
}

function channelOf(posted: PostedCard): string {
  const channel = posted.ref?.channel;
  if (!channel) throw new Error(`Slack card ${posted.messageId} has no channel reference`);
  return channel;
}
