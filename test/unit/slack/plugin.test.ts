// The Slack plugin on its own, against the fake Web API: it reads SLACK_BOT_TOKEN /
// SLACK_SIGNING_SECRET / SLACK_API_URL through the real env parser, proves the token at start-up
// (a refused token stops start-up naming the variable, never its value), and its adapter posts,
// updates and replies in thread with the ids the workflow stores; partial failure surfaces.

import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApprovalCard } from '../../../bots/card.js';
import type { ChannelPlugin, ChannelPluginContext } from '../../../bots/plugin.js';
import type { RefusalRecorder } from '../../../bots/refusals.js';
import type { SlackAdapter } from '../../../bots/slack/adapter.js';
import { createSlackPlugin } from '../../../bots/slack/index.js';
import { parseEnv } from '../../../config/env.js';
import { ConfigError } from '../../../config/errors.js';
import type { SqlDb } from '../../../db/sql.js';
import { parsePolicy } from '../../../policy/load.js';
import type { ActionClient } from '../../../temporal/action-client.js';
import { type FakeSlack, startFakeSlack } from '../../fakes/slack-api.js';
import { state } from './fixtures.js';

const TOKEN = 'xoxb-unit-0123456789';
const SECRET = 'signing-secret-unit-0123456789';
const POLICY = parsePolicy(
  `version: 1
groups: { dba: [dana@example.com] }
identities:
  - { email: dana@example.com, slack: { userId: U0DANA } }
channels:
  dba-slack: { slack: { channel: C1 } }
rules: []
default: { effect: require_approval, stages: [{ approvers: [dba], timeout: 1h }] }
`,
  'unit.yaml',
);

let slack: FakeSlack;
const logLines: string[] = [];
const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  }),
);

function context(vars: Record<string, string>): ChannelPluginContext {
  return {
    env: parseEnv({ AIRLOCK_DEMO: 'true', ...vars }),
    policy: { current: () => POLICY },
    // Start-up and card delivery never touch these; clicks are covered end to end.
    actions: {} as ActionClient,
    refusals: {} as RefusalRecorder,
    db: {} as SqlDb,
    logger,
    publicUrl: 'http://airlock.test',
  };
}

const envFor = (token = TOKEN) => ({
  SLACK_BOT_TOKEN: token,
  SLACK_SIGNING_SECRET: SECRET,
  SLACK_API_URL: `${slack.apiUrl}/`,
});

beforeAll(async () => {
  slack = await startFakeSlack({
    token: TOKEN,
    channels: ['C1'],
    users: [{ id: 'U0DANA', team_id: 'T0AIRLOCK' }],
  });
});

afterAll(async () => {
  await slack?.close();
});

describe('createSlackPlugin', () => {
  let plugin: ChannelPlugin;

  it('starts from the environment: token proven with auth.test at SLACK_API_URL', async () => {
    plugin = await createSlackPlugin()(context(envFor()));
    expect(plugin.adapter?.kind).toBe('slack');
    expect(plugin.router).toBeDefined();
    expect(slack.callsOf('auth.test')).toHaveLength(1);
  });

  it('stops start-up on a token Slack refuses, naming the variable but not the value', async () => {
    const err = await createSlackPlugin()(context(envFor('xoxb-revoked-token'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(
      /^SLACK_BOT_TOKEN: Slack at .* refused the bot token \(invalid_auth\)$/,
    );
    expect((err as Error).message).not.toContain('xoxb-revoked-token');
  });

  it('refuses to start without the Slack variables', async () => {
    await expect(createSlackPlugin()(context({}))).rejects.toThrow(/SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET/);
  });

  it('posts a card and returns the message ts and channel the workflow keeps', async () => {
    const posted = await plugin.adapter!.postCard(
      { name: 'dba-slack', slack: { channel: 'C1' } },
      buildApprovalCard(state()),
      0,
    );
    expect(posted).toEqual({
      channel: 'slack',
      destination: 'dba-slack',
      messageId: slack.messagesIn('C1').at(-1)?.ts,
      stage: 0,
      ref: { channel: 'C1' },
    });
    const update = buildApprovalCard(state({ status: 'expired', outcomeReason: 'no decision in time' }));
    await plugin.adapter!.updateCard(posted, update);
    await plugin.adapter!.updateCard(posted, update);
    const message = slack.messagesIn('C1').at(-1)!;
    expect(message.versions).toHaveLength(3);
    expect(JSON.stringify(message.blocks)).not.toContain('airlock_approve');
    // A retried update does not repeat the outcome in the thread.
    expect(slack.replies(message).map((m) => m.text)).toEqual([
      ':alarm_clock: Outcome: Expired: no decision in time',
    ]);
    await plugin.adapter!.reply(posted, 'escalated to stage 2 <!here>');
    expect(slack.replies(message).at(-1)).toMatchObject({
      thread_ts: posted.messageId,
      text: 'escalated to stage 2 &lt;!here&gt;',
    });
  });

  it('surfaces Slack refusals as errors (the router records them as partial failures)', async () => {
    await expect(
      plugin.adapter!.postCard({ name: 'gone', slack: { channel: 'C0GONE' } }, buildApprovalCard(state()), 0),
    ).rejects.toThrow(/channel_not_found/);
    await expect(
      plugin.adapter!.updateCard(
        { channel: 'slack', destination: 'x', messageId: '1.000999', stage: 0, ref: { channel: 'C1' } },
        buildApprovalCard(state()),
      ),
    ).rejects.toThrow(/message_not_found/);
  });

  it('resolves identities from the policy only, unless e-mail look-up is configured', async () => {
    expect(await identityOf(plugin, { id: 'U0DANA', teamId: 'T0AIRLOCK' })).toBe('dana@example.com');
    expect(await identityOf(plugin, { id: 'U0OTHER', teamId: 'T0AIRLOCK' })).toBeUndefined();
  });

  it('never logs the token or the signing secret', () => {
    const all = logLines.join('\n');
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(SECRET);
  });
});

describe('identity by e-mail', () => {
  let plugin: ChannelPlugin;
  beforeAll(async () => {
    for (const u of [
      { id: 'U0OK', team_id: 'T0AIRLOCK', email: 'OK@Example.com' },
      { id: 'U0BOT', team_id: 'T0AIRLOCK', email: 'bot@example.com', is_bot: true },
      { id: 'U0GONE', team_id: 'T0AIRLOCK', email: 'gone@example.com', deleted: true },
      { id: 'U0UNCONF', team_id: 'T0AIRLOCK', email: 'new@example.com', is_email_confirmed: false },
      { id: 'U0NOMAIL', team_id: 'T0AIRLOCK' },
      { id: 'U0LATER', team_id: 'T0AIRLOCK', email: 'later@example.com' },
    ]) {
      slack.users.set(u.id, u);
    }
    plugin = await createSlackPlugin({ emailLookup: true })(context(envFor()));
  });

  it.each([
    ['U0OK', 'ok@example.com'],
    ['U0BOT', undefined],
    ['U0GONE', undefined],
    ['U0UNCONF', undefined],
    ['U0NOMAIL', undefined],
    ['U0UNKNOWN', undefined],
  ])('%s resolves to %s', async (id, expected) => {
    expect(await identityOf(plugin, { id, teamId: 'T0AIRLOCK' })).toBe(expected);
  });

  it('fails closed when the directory is down', async () => {
    slack.failNext('users.info', 'internal_error');
    expect(await identityOf(plugin, { id: 'U0LATER', teamId: 'T0AIRLOCK' })).toBeUndefined();
    expect(await identityOf(plugin, { id: 'U0LATER', teamId: 'T0AIRLOCK' })).toBe('later@example.com');
  });
});

/** The identity the Slack adapter maps a user to, or undefined when it refuses them. */
async function identityOf(plugin: ChannelPlugin, user: { id: string; teamId: string }) {
  const verdict = await (plugin.adapter as SlackAdapter).resolve(user);
  return verdict.ok ? verdict.identity : undefined;
}
