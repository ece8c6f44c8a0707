// Clicks and commands in: the teams-ai Application. It remembers where the app is installed,
// answers `link` / `unlink` / `status` / `help`, and turns Approve/Deny (Action.Execute) into the
// workflow's `decide` update, answering the clicker with its result at once. Identity is the
// verified from.aadObjectId in an allowed tenant, mapped strictly; refusals are recorded.
import { Application } from '@microsoft/teams-ai';
import { type Activity, ActivityTypes, TeamsInfo, TurnContext as Turn, type TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import { isRequestId } from '../../lib/request-id.js';
import type { LoadedPolicy } from '../../policy/compile.js';
import type { DecisionVerb } from '../../workflows/types.js';
import { bound } from '../card.js';
import { acknowledgeFromChannel, type DecisionPathDeps, decideFromChannel } from '../decide.js';
import type { AirlockTeamsAdapter } from './adapter.js';
import { HELP, runCommand } from './commands.js';
import { type DirectoryEntry, resolveTeamsUser, tenantAllowed } from './identity.js';
import { type CardActionData, VERBS } from './render.js';
import type { ConversationStore } from './store.js';

export interface BotDeps {
  adapter: AirlockTeamsAdapter;
  appId: string;
  store: ConversationStore;
  policy: { current(): LoadedPolicy };
  /** The shared click-to-decision path (bots/decide.ts). */
  decisions: DecisionPathDeps;
  allowedTenants: string[];
  logger: Logger;
  /** Look users up in the tenant directory (TeamsInfo.getMember) when the policy does not map them. */
  directoryLookup: boolean;
}

/** The invoke of a Universal Action (Action.Execute) and the invoke response that shows a message. */
const CARD_ACTION_INVOKE = 'adaptiveCard/action';
const CARD_MESSAGE_RESPONSE = 'application/vnd.microsoft.activity.message';
export const OUT_OF_DATE =
  'This card is out of date: Airlock no longer knows this button. Use the latest card for the request.';

export function createBot(deps: BotDeps): Application {
  const app = new Application({
    adapter: deps.adapter,
    botAppId: deps.appId,
    startTypingTimer: false,
    removeRecipientMention: true,
    longRunningMessages: false,
  });

  app.activity('installationUpdate', async (context) => {
    const action = String(context.activity.action ?? '');
    if (action.startsWith('remove')) {
      await deps.store.remove(context.activity.conversation.id);
      deps.logger.info({ conversation: context.activity.conversation.id }, 'teams: app removed');
      return;
    }
    if (await remember(context)) await say(context, `Airlock is installed.\n${HELP}`);
  });

  app.conversationUpdate('membersAdded', async (context) => {
    if (botIn(context, context.activity.membersAdded)) await remember(context);
  });
  app.conversationUpdate('membersRemoved', async (context) => {
    if (botIn(context, context.activity.membersRemoved))
      await deps.store.remove(context.activity.conversation.id);
  });

  // Every message is a command (unknown ones get the help text); mentions and markup are stripped there.
  app.message(/[\s\S]*/, async (context) => {
    if (!(await remember(context))) return;
    await runCommand(context, { store: deps.store, policy: deps.policy, logger: deps.logger, identify, say });
  });

  app.adaptiveCards.actionExecute<CardActionData>(VERBS.approve, (context, _state, data) =>
    decide(context, 'approve', data),
  );
  app.adaptiveCards.actionExecute<CardActionData>(VERBS.deny, (context, _state, data) =>
    decide(context, 'deny', data),
  );
  app.adaptiveCards.actionExecute<CardActionData>(VERBS.approveStanding, (context, _state, data) =>
    decide(context, 'approve', data, true),
  );
  app.adaptiveCards.actionExecute<CardActionData>(VERBS.acknowledge, async (context, _state, data) => {
    const requestId = typeof data?.requestId === 'string' ? data.requestId : '';
    if (!isRequestId(requestId)) return 'This card does not belong to an Airlock request.';
    return acknowledgeFromChannel(deps.decisions, clickFrom(context, requestId), await identify(context));
  });
  // Any other card action (a verb from an older card, no Action.Execute at all): teams-ai would
  // leave it unanswered (botbuilder's 501, an error in Teams). Tell the clicker the card is stale.
  app.addRoute(
    async (context) =>
      context.activity.type === ActivityTypes.Invoke && context.activity.name === CARD_ACTION_INVOKE,
    async (context) => {
      const action = (context.activity.value as { action?: { verb?: unknown; type?: unknown } } | undefined)
        ?.action;
      deps.logger.info(
        {
          verb: typeof action?.verb === 'string' ? action.verb.slice(0, 100) : undefined,
          actionType: typeof action?.type === 'string' ? action.type.slice(0, 100) : undefined,
        },
        'teams: card action Airlock does not know; answered that the card is out of date',
      );
      await context.sendActivity({
        type: ActivityTypes.InvokeResponse,
        value: { status: 200, body: { statusCode: 200, type: CARD_MESSAGE_RESPONSE, value: OUT_OF_DATE } },
      });
    },
    true,
  );

  /** Stores the conversation reference; false (and nothing stored) for a tenant that is not allowed. */
  async function remember(context: TurnContext): Promise<boolean> {
    const tenantId = tenantOf(context.activity);
    if (!tenantAllowed(deps.allowedTenants, tenantId)) {
      deps.logger.warn({ tenantId }, 'teams: ignored an activity from a tenant that is not allowed');
      return false;
    }
    const teamId = (context.activity.channelData as { team?: { id?: string } } | undefined)?.team?.id;
    await deps.store.save(Turn.getConversationReference(context.activity), { tenantId: tenantId!, teamId });
    return true;
  }

  async function identify(context: TurnContext) {
    const from = context.activity.from;
    return resolveTeamsUser(
      deps.policy.current(),
      deps.allowedTenants,
      { aadObjectId: from?.aadObjectId, tenantId: tenantOf(context.activity) },
      deps.directoryLookup ? () => directoryEntry(context) : undefined,
    );
  }

  async function directoryEntry(context: TurnContext): Promise<DirectoryEntry | undefined> {
    try {
      const m = await TeamsInfo.getMember(context, context.activity.from.id);
      return {
        aadObjectId: m.aadObjectId,
        email: m.email,
        userPrincipalName: m.userPrincipalName,
        tenantId: m.tenantId,
      };
    } catch (err) {
      deps.logger.info({ err: (err as Error)?.message?.slice(0, 200) }, 'teams: directory look-up failed');
      return undefined;
    }
  }

  async function decide(
    context: TurnContext,
    verb: DecisionVerb,
    data: CardActionData,
    standing = false,
  ): Promise<string> {
    const requestId = typeof data?.requestId === 'string' ? data.requestId : '';
    if (!isRequestId(requestId)) return 'This card does not belong to an Airlock request.';
    const reason =
      typeof data.reason === 'string' && data.reason.trim() ? bound(data.reason.trim(), 500).text : undefined;
    return decideFromChannel(
      deps.decisions,
      { ...clickFrom(context, requestId), verb, reason, ...standingOf(data, standing) },
      await identify(context),
    );
  }

  /** The TTL of the "and the same again" action (bounded again by the workflow), only on that action. */
  function standingOf(data: CardActionData, standing: boolean): { standingTtlMs?: number } {
    const ttl = data?.standingTtlMs;
    return standing && typeof ttl === 'number' && Number.isSafeInteger(ttl) && ttl > 0
      ? { standingTtlMs: ttl }
      : {};
  }

  /** Who clicked, as the trail names them. */
  function clickFrom(context: TurnContext, requestId: string) {
    const from = context.activity.from;
    return {
      channel: 'teams' as const,
      requestId,
      channelUserId: from?.aadObjectId,
      displayName: from?.name,
      unmappedActor: `teams:${from?.aadObjectId ?? from?.id ?? 'unknown'}`,
    };
  }

  return app;
}

export async function say(context: TurnContext, text: string): Promise<void> {
  await context.sendActivity({ type: 'message', text, textFormat: 'plain' });
}

function botIn(context: TurnContext, members: { id: string }[] | undefined): boolean {
  return !!members?.some((m) => m.id === context.activity.recipient?.id);
}

export function tenantOf(activity: Partial<Activity>): string | undefined {
  const channelTenant = (activity.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id;
  return activity.conversation?.tenantId ?? channelTenant;
}
