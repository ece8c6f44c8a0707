// Cards out: the Teams side of the channel interface. Posts the rendered card proactively to
// every conversation linked to the destination's conversationRef, keeps every (conversation,
// activity id) pair in the PostedCard so each copy is later replaced in place (updateActivity),
// and replies in the card's thread. A broadcast where one conversation fails still returns the rest.

import { TeamsAdapter } from '@microsoft/teams-ai';
import type { Activity, ConversationReference, InvokeResponse, TurnContext } from 'botbuilder';
import type { AuthenticateRequestResult } from 'botframework-connector';
import type { Logger } from 'pino';
import type { ChannelDestination } from '../../policy/types.js';
import type { PostedCard } from '../../workflows/types.js';
import type { ApprovalCard } from '../card.js';
import type { ChannelAdapter } from '../channel.js';
import { tenantAllowed } from './identity.js';
import { installKeysUnavailableGuard } from './openid-keys.js';
import { CARD_CONTENT_TYPE, renderAdaptiveCard } from './render.js';
import type { ConversationStore, StoredConversation } from './store.js';

export type TurnLogic = (context: TurnContext) => Promise<void>;

/** The proof an activity came from the channel, between authenticate() and run(). */
export type Authenticated = AuthenticateRequestResult;

/**
 * teams-ai's adapter with the two calls the HTTP route needs, errors thrown to the caller:
 * authenticate (token and serviceUrl), then run the turn. In between the route checks the
 * envelope, so a malformed activity from the channel is a 400, and a forged one still a 401.
 */
export class AirlockTeamsAdapter extends TeamsAdapter {
  constructor(...args: ConstructorParameters<typeof TeamsAdapter>) {
    super(...args);
    installKeysUnavailableGuard();
  }

  authenticate(authHeader: string, activity: Record<string, unknown>): Promise<Authenticated> {
    return this.botFrameworkAuthentication.authenticateRequest(activity as unknown as Activity, authHeader);
  }

  run(
    auth: Authenticated,
    activity: Record<string, unknown>,
    logic: TurnLogic,
  ): Promise<InvokeResponse | undefined> {
    return this.processActivity(auth, activity as unknown as Activity, logic);
  }
}

/** Where one card went: [conversationId, activityId] pairs, stored in PostedCard.ref.posts. */
type Posts = [string, string][];

export interface TeamsChannelDeps {
  adapter: AirlockTeamsAdapter;
  appId: string;
  store: ConversationStore;
  allowedTenants: string[];
  logger: Logger;
}

export function cardActivity(card: ApprovalCard): Partial<Activity> {
  const content = renderAdaptiveCard(card);
  return {
    type: 'message',
    summary: content.fallbackText.slice(0, 200),
    attachments: [{ contentType: CARD_CONTENT_TYPE, content }],
  };
}

export class TeamsChannel implements ChannelAdapter {
  readonly kind = 'teams' as const;

  constructor(private readonly deps: TeamsChannelDeps) {}

  async postCard(destination: ChannelDestination, card: ApprovalCard, stage: number): Promise<PostedCard> {
    const refName = destination.teams?.conversationRef;
    if (!refName) throw new Error(`channel ${destination.name} has no Teams destination`);
    const conversations = await this.deps.store.bound(refName);
    if (conversations.length === 0) {
      throw new Error(
        `no Teams conversation is linked to ${refName}; send "link ${destination.name}" to the bot there`,
      );
    }
    const activity = cardActivity(card);
    const posts: Posts = [];
    const errors: string[] = [];
    for (const conversation of conversations) {
      try {
        // TEAMS_ALLOWED_TENANTS may have shrunk since the conversation was linked.
        if (!tenantAllowed(this.deps.allowedTenants, conversation.tenantId))
          throw new Error('tenant not allowed');
        const sent = await this.inConversation(conversation, (ctx) => ctx.sendActivity({ ...activity }));
        if (!sent?.id) throw new Error('Teams returned no activity id');
        posts.push([conversation.conversationId, sent.id]);
      } catch (err) {
        errors.push(`${conversation.conversationId}: ${errorText(err)}`);
      }
    }
    if (posts.length === 0) throw new Error(errors.join('; '));
    if (errors.length) {
      this.deps.logger.warn(
        { requestId: card.requestId, errors },
        'teams: some linked conversations missed the card',
      );
    }
    return {
      channel: 'teams',
      destination: destination.name,
      messageId: posts[0]![1],
      stage,
      ref: { conversationRef: refName, posts: JSON.stringify(posts) },
    };
  }

  async updateCard(posted: PostedCard, card: ApprovalCard): Promise<void> {
    const activity = cardActivity(card);
    await this.eachPost(posted, async (conversation, activityId) => {
      await this.inConversation(conversation, (ctx) => ctx.updateActivity({ ...activity, id: activityId }));
    });
  }

  async reply(posted: PostedCard, text: string): Promise<void> {
    await this.eachPost(posted, async (conversation, activityId) => {
      await this.inConversation(inThread(conversation, activityId), (ctx) =>
        ctx.sendActivity({ type: 'message', text, textFormat: 'plain' }),
      );
    });
  }

  /** Runs `fn` for every copy of a card; reports every failure, after trying them all. */
  private async eachPost(
    posted: PostedCard,
    fn: (conversation: StoredConversation, activityId: string) => Promise<void>,
  ): Promise<void> {
    const errors: string[] = [];
    for (const [conversationId, activityId] of postsOf(posted)) {
      try {
        const conversation = await this.deps.store.get(conversationId);
        if (!conversation) throw new Error('the app is no longer installed there');
        await fn(conversation, activityId);
      } catch (err) {
        errors.push(`${conversationId}: ${errorText(err)}`);
      }
    }
    if (errors.length) throw new Error(errors.join('; '));
  }

  private async inConversation<T>(
    conversation: StoredConversation,
    fn: (ctx: TurnContext) => Promise<T>,
  ): Promise<T | undefined> {
    let result: T | undefined;
    await this.deps.adapter.continueConversationAsync(
      this.deps.appId,
      conversation.reference,
      async (ctx) => {
        result = await fn(ctx);
      },
    );
    return result;
  }
}

/** Teams threads channel replies by conversation id ("<channel>;messageid=<root>"); chats have no threads. */
function inThread(conversation: StoredConversation, rootId: string): StoredConversation {
  const ref = conversation.reference;
  if (ref.conversation?.conversationType !== 'channel') return conversation;
  const reference: Partial<ConversationReference> = {
    ...ref,
    conversation: { ...ref.conversation, id: `${conversation.conversationId};messageid=${rootId}` },
  };
  return { ...conversation, reference };
}

function postsOf(posted: PostedCard): Posts {
  try {
    const parsed = JSON.parse(posted.ref?.posts ?? '[]') as unknown;
    if (Array.isArray(parsed) && parsed.length > 0) return parsed as Posts;
  } catch {
    // Fall through to the single id.
  }
  return posted.ref?.conversationId ? [[posted.ref.conversationId, posted.messageId]] : [];
}

/** Short, secret-free text of a failed Bot Connector call (status and Teams error code when present). */
export function errorText(err: unknown): string {
  const e = err as { statusCode?: number; code?: string; message?: string };
  const status = typeof e?.statusCode === 'number' ? `HTTP ${e.statusCode}` : undefined;
  const message =
    err instanceof Error ? err.message.split('\n')[0]!.slice(0, 200) : String(err).slice(0, 200);
  return [status, message].filter(Boolean).join(': ');
}
