// The Slack channel plugin (SPEC 6: POST /slack/events): Bolt 5 behind an ExpressReceiver mounted
// as a router on Airlock's own HTTP server, signature verification on (ours in front, Bolt's
// behind), Block Kit cards out through the Web API, clicks in as workflow decisions.
// Everything Slack-specific lives in this folder; the core only sees a ChannelPlugin.
import { ExpressReceiver, webApi } from '@slack/bolt';
import express from 'express';
import { ConfigError } from '../../config/errors.js';
import type { ChannelPluginFactory } from '../plugin.js';
import { SlackAdapter } from './adapter.js';
import { AirlockSlackApp, unhandledRequestHandler } from './app.js';
import { SlackIdentities, type Workspace } from './identity.js';
import { registerInteractions } from './interactions.js';
import { slackLogger } from './logger.js';
import { slackSignatureGuard } from './verify.js';

export const SLACK_EVENTS_PATH = '/slack/events';
export const DEFAULT_SLACK_API_URL = 'https://slack.com/api';
/** Interaction payloads carry the whole message; 1 MB is far above a 50-block card. */
const BODY_LIMIT = '1mb';

export interface SlackPluginOptions {
  /**
   * Resolve users the policy does not map through their confirmed Slack e-mail (users.info,
   * scope users:read.email). Off by default: only the policy's `identities` count.
   */
  emailLookup?: boolean;
  /** Overrides of SLACK_BOT_TOKEN / SLACK_SIGNING_SECRET / SLACK_API_URL (embedding, tests). */
  botToken?: string;
  signingSecret?: string;
  apiUrl?: string;
}

interface BotIdentity extends Workspace {
  botId?: string;
  botUserId?: string;
}

export function createSlackPlugin(opts: SlackPluginOptions = {}): ChannelPluginFactory {
  return async (ctx) => {
    const botToken = opts.botToken ?? ctx.env.slack?.botToken;
    const signingSecret = opts.signingSecret ?? ctx.env.slack?.signingSecret;
    if (!botToken || !signingSecret) {
      throw new ConfigError([
        'SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET: the Slack channel needs both (see bots/slack/README.md)',
      ]);
    }
    const apiUrl = (opts.apiUrl ?? ctx.env.slackApiUrl ?? DEFAULT_SLACK_API_URL).replace(/\/+$/, '');
    const emailLookup = opts.emailLookup ?? ctx.env.slack?.emailLookup ?? false;
    const logger = slackLogger(ctx.logger);
    const client = new webApi.WebClient(botToken, {
      slackApiUrl: `${apiUrl}/`,
      logger,
      // Card activities are retried by Temporal; a click is answered within seconds or not at all.
      retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 1000 },
      timeout: 10_000,
    });

    let bot = await whoAmI(client, apiUrl).catch((err: unknown) => {
      if (err instanceof ConfigError) throw err;
      ctx.logger.warn({ apiUrl }, 'Slack API not reachable at start-up; the token is checked on first use');
      return undefined;
    });
    const workspace = async (): Promise<Workspace> => {
      bot ??= await whoAmI(client, apiUrl);
      return bot;
    };

    const adapter = new SlackAdapter(
      client,
      new SlackIdentities(ctx.policy, client, workspace, emailLookup),
      slackUrlCheck(apiUrl),
    );
    const router = express.Router();
    router.post(
      SLACK_EVENTS_PATH,
      ...slackSignatureGuard({
        signingSecret,
        logger: ctx.logger,
        bodyLimit: BODY_LIMIT,
        onRefused: (reason) => ctx.metrics?.webhookRefused('slack', reason),
      }),
    );
    const receiver = new ExpressReceiver({
      signingSecret,
      signatureVerification: true,
      endpoints: SLACK_EVENTS_PATH,
      router,
      logger,
      bodyLimit: BODY_LIMIT,
      // A backstop only: requests no listener takes are acknowledged at once (app.ts).
      unhandledRequestHandler: unhandledRequestHandler(ctx.logger.child({ component: 'slack' })),
    });
    const app = new AirlockSlackApp(
      {
        receiver,
        logger,
        // One workspace, one bot token: no OAuth installation store, no auth.test per event.
        authorize: async () => ({
          botToken,
          botId: bot?.botId,
          botUserId: bot?.botUserId,
          teamId: bot?.teamId,
          enterpriseId: bot?.enterpriseId,
        }),
      },
      ctx.logger.child({ component: 'slack' }),
    );
    registerInteractions(app, {
      decisions: { actions: ctx.actions, refusals: ctx.refusals, logger: ctx.logger },
      adapter,
      client,
      logger: ctx.logger,
    });
    ctx.logger.info({ apiUrl, teamId: bot?.teamId, emailLookup }, 'slack channel ready');
    return { adapter, router };
  };
}

/** response_url must be Slack's own (hooks.slack.com, or the host SLACK_API_URL names). */
function slackUrlCheck(apiUrl: string): (url: string) => boolean {
  const api = new URL(apiUrl);
  return (raw) => {
    try {
      const url = new URL(raw);
      if (url.origin === api.origin) return true;
      return (
        url.protocol === 'https:' &&
        (url.hostname === 'hooks.slack.com' || url.hostname === `hooks.${api.hostname}`)
      );
    } catch {
      return false;
    }
  };
}

/** auth.test: proves the token at start-up; a refused token stops start-up, naming the variable. */
async function whoAmI(client: webApi.WebClient, apiUrl: string): Promise<BotIdentity> {
  try {
    const res = await client.auth.test();
    return {
      teamId: res.team_id,
      enterpriseId: res.enterprise_id,
      botId: res.bot_id,
      botUserId: res.user_id,
    };
  } catch (err) {
    if ((err as { code?: string }).code === webApi.ErrorCode.PlatformError) {
      const code = (err as { data?: { error?: string } }).data?.error ?? 'refused';
      throw new ConfigError([`SLACK_BOT_TOKEN: Slack at ${apiUrl} refused the bot token (${code})`]);
    }
    throw err;
  }
}
