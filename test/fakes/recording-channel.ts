// A fake chat channel standing in for Teams/Slack in core tests: it records every card posted
// and updated (decisions in these tests come over the API).

import type { ApprovalCard } from '../../bots/card.js';
import type { ChannelAdapter } from '../../bots/channel.js';
import type { ChannelDestination } from '../../policy/types.js';
import type { PostedCard } from '../../workflows/types.js';

export interface RecordedMessage {
  id: string;
  destination: string;
  stage: number;
  versions: ApprovalCard[];
  replies: string[];
}

export class RecordingChannel implements ChannelAdapter {
  readonly kind = 'slack' as const;
  readonly messages = new Map<string, RecordedMessage>();
  private seq = 0;
  /** When set, posts to these destinations fail like a channel that is down. */
  failing = new Set<string>();

  async postCard(destination: ChannelDestination, card: ApprovalCard, stage: number): Promise<PostedCard> {
    if (this.failing.has(destination.name)) throw new Error('channel unavailable');
    const id = `m${++this.seq}`;
    this.messages.set(id, { id, destination: destination.name, stage, versions: [card], replies: [] });
    return { channel: 'slack', destination: destination.name, messageId: id, stage };
  }

  async updateCard(posted: PostedCard, card: ApprovalCard): Promise<void> {
    const m = this.messages.get(posted.messageId);
    if (!m) throw new Error(`unknown message ${posted.messageId}`);
    m.versions.push(card);
  }

  async reply(posted: PostedCard, text: string): Promise<void> {
    this.messages.get(posted.messageId)?.replies.push(text);
  }

  /** Messages posted to one destination, oldest first. */
  to(destination: string): RecordedMessage[] {
    return [...this.messages.values()].filter((m) => m.destination === destination);
  }

  latest(m: RecordedMessage): ApprovalCard {
    return m.versions[m.versions.length - 1]!;
  }
}
