// Microsoft Teams for Airlock: everything Teams-specific lives in this folder (Bot Framework SDK +
// teams-ai today; a move to the Microsoft 365 Agents SDK should touch only here). The plugin gives
// the core a ChannelAdapter (cards out: post, update in place, reply) and a router for
// POST /api/messages (clicks and commands in), over the service database for conversation links.
import { migrate } from '../../db/migrate.js';
import type { ChannelPluginFactory } from '../plugin.js';
import { AirlockTeamsAdapter, TeamsChannel } from './adapter.js';
import { botFrameworkAuthOptions, credentialsFactory, expectedIssuer, teamsSettings } from './auth.js';
import { createBot } from './bot.js';
import { messagesRouter } from './http.js';
import { ConversationStore, TEAMS_MIGRATIONS } from './store.js';

export interface TeamsPluginOptions {
  /** Map unmapped users through the tenant directory (TeamsInfo.getMember e-mail/UPN). Default: TEAMS_DIRECTORY_LOOKUP, off. */
  directoryLookup?: boolean;
}

export { TEAMS_MIGRATIONS } from './store.js';

export function createTeamsPlugin(opts: TeamsPluginOptions = {}): ChannelPluginFactory {
  return async (ctx) => {
    const settings = teamsSettings(ctx.env);
    await migrate(ctx.db, TEAMS_MIGRATIONS);
    const store = new ConversationStore(ctx.db);
    const logger = ctx.logger.child({ channel: 'teams' });
    const adapter = new AirlockTeamsAdapter(botFrameworkAuthOptions(settings), credentialsFactory(settings));
    const bot = createBot({
      adapter,
      appId: settings.appId,
      store,
      policy: ctx.policy,
      decisions: { actions: ctx.actions, refusals: ctx.refusals, logger },
      allowedTenants: settings.allowedTenants,
      logger,
      directoryLookup: opts.directoryLookup ?? ctx.env.teams?.directoryLookup ?? false,
    });
    const channel = new TeamsChannel({
      adapter,
      appId: settings.appId,
      store,
      allowedTenants: settings.allowedTenants,
      logger,
    });
    logger.info(
      { appId: settings.appId, customEndpoints: settings.endpoints !== undefined },
      'teams: bot endpoint at POST /api/messages',
    );
    return {
      adapter: channel,
      router: messagesRouter({
        adapter,
        expectedIssuer: expectedIssuer(settings),
        logic: async (context) => void (await bot.run(context)),
        logger,
        onRefused: (reason) => ctx.metrics?.webhookRefused('teams', reason),
      }),
    };
  };
}
