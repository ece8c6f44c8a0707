// Shared set-up for the Slack scenarios: the real service (harness) with the Slack plugin pointed at
// the fake Web API, and a Slack-side client that signs interactivity payloads exactly as Slack
// does (form-encoded `payload`, v0 HMAC over "v0:<ts>:<body>") and clicks what was really posted.
import { createHmac, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, expect } from 'vitest';
import { startHttpTarget } from '../../fakes/http-target.js';
import { type FakeMessage, type FakeSlack, startFakeSlack } from '../../fakes/slack-api.js';
import { eventually, type Harness, type Principal, startHarness } from '../../support/harness.js';
import { coreConfig, PRINCIPALS } from '../core/fixtures.js';

export const TEAM = 'T0AIRLOCK';

export const SLACK_POLICY = `version: 1
groups:
  dba: [dana@example.com, dev@example.com]
  oncall: [sam@example.com]
  responders: [ci@example.com]
identities:
  - email: dana@example.com
    slack: { userId: U0DANA }
  - email: sam@example.com
    slack: { userId: U0SAM, teamId: ${TEAM} }
  - email: p1@example.com
    slack: { userId: U0P1 }
channels:
  dba-slack: { slack: { channel: C0DBA } }
  oncall-slack: { slack: { channel: C0ONCALL } }
rules:
  - name: escalating
    match: { action: "http.escalate" }
    effect: require_approval
    stages:
      - { approvers: [dba], timeout: 3s, reminderBefore: 2s, notify: [dba-slack] }
      - { approvers: [oncall], timeout: 3s, notify: [oncall-slack] }
  - name: standing
    match: { action: "http.standing" }
    effect: require_approval
    stages:
      - { approvers: [dba], timeout: 10m, notify: [dba-slack] }
    standing: { maxTtl: 1h }
  - name: production
    match: { environment: production }
    effect: require_approval
    risk: high
    stages:
      - { approvers: [dba], timeout: 10m, notify: [dba-slack] }
    breakGlass: { approvers: [responders], reviewWithin: 1h }
default:
  effect: require_approval
  stages:
    - { approvers: [dba], timeout: 10m }
`;

export const USERS = [
  { id: 'U0DANA', team_id: TEAM, name: 'dana', email: 'dana@example.com' },
  { id: 'U0SAM', team_id: TEAM, name: 'sam', email: 'sam@example.com' },
  { id: 'U0DEV', team_id: TEAM, name: 'dev', email: 'dev@example.com' },
  { id: 'U0NOBODY', team_id: TEAM, name: 'nobody', email: 'nobody@example.com' },
  { id: 'U0GUEST', team_id: 'T0OTHER', name: 'guest', email: 'dev@example.com' },
  { id: 'U0IMPOSTOR', team_id: TEAM, name: 'impostor', email: 'dana@example.com' },
];

export interface SlackWorld {
  h: Harness;
  slack: FakeSlack;
  target: Awaited<ReturnType<typeof startHttpTarget>>;
  secret: string;
  stop(): Promise<void>;
}

export interface SlackWorldOptions {
  emailLookup?: boolean;
  /** Default SLACK_POLICY. */
  policy?: string;
  /** The service config for the fake target's URL; default the core suites' config. */
  config?: (targetUrl: string) => string;
  principals?: Principal[];
}

export async function startSlackWorld(opts: SlackWorldOptions = {}): Promise<SlackWorld> {
  const token = `xoxb-test-${randomBytes(8).toString('hex')}`;
  const secret = randomBytes(16).toString('hex');
  const slack = await startFakeSlack({ token, teamId: TEAM, channels: ['C0DBA', 'C0ONCALL'], users: USERS });
  const target = await startHttpTarget();
  const h = await startHarness({
    policy: opts.policy ?? SLACK_POLICY,
    config: opts.config
      ? opts.config(target.url)
      : coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused'),
    principals: opts.principals ?? PRINCIPALS,
    // The SLACK_* variables start the plugin through main.ts, as in production.
    env: {
      SLACK_BOT_TOKEN: token,
      SLACK_SIGNING_SECRET: secret,
      SLACK_API_URL: slack.apiUrl,
      SLACK_EMAIL_LOOKUP: opts.emailLookup ? 'true' : 'false',
    },
  });
  return {
    h,
    slack,
    target,
    secret,
    async stop() {
      await h.stop();
      await target.close();
      await slack.close();
    },
  };
}

export function sign(secret: string, timestamp: number | string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface PostOptions {
  secret?: string;
  timestamp?: number;
  signature?: string;
  omitHeaders?: boolean;
}

/** POSTs an interactivity payload to /slack/events the way Slack does. */
export async function postToSlackEvents(
  w: SlackWorld,
  payload: unknown,
  o: PostOptions = {},
): Promise<{ status: number; text: string; ms: number }> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (!o.omitHeaders) {
    headers['x-slack-request-timestamp'] = String(timestamp);
    headers['x-slack-signature'] = o.signature ?? sign(o.secret ?? w.secret, timestamp, body);
  }
  const started = Date.now();
  const res = await fetch(`${w.h.url}/slack/events`, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text(), ms: Date.now() - started };
}

/** A block_actions payload for pressing the button `actionId` on the message as it is now. */
export function clickPayload(
  w: Pick<SlackWorld, 'slack'>,
  m: FakeMessage,
  actionId: string,
  userId: string,
  team = TEAM,
) {
  const actionsBlock = (m.blocks ?? []).find((b: any) => b.type === 'actions');
  const button = actionsBlock?.elements.find((e: any) => e.action_id === actionId);
  if (!button) throw new Error(`no ${actionId} button on message ${m.ts}`);
  return {
    type: 'block_actions',
    team: { id: team, domain: 'airlock-test' },
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: team },
    api_app_id: 'A0AIRLOCK',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: m.ts, channel_id: m.channel, is_ephemeral: false },
    trigger_id: w.slack.issueTrigger(),
    channel: { id: m.channel, name: 'approvals' },
    message: { type: 'message', ts: m.ts, text: m.text, blocks: m.blocks, user: w.slack.botUserId },
    response_url: w.slack.responseUrl(m.channel, userId),
    actions: [
      {
        type: 'button',
        action_id: button.action_id,
        block_id: actionsBlock.block_id,
        value: button.value,
        text: button.text,
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
}

/** A view_submission payload for the modal `view` with `reason` typed in. */
export function submitPayload(view: any, userId: string, reason: string | null, team = TEAM) {
  const input = view.blocks.find((b: any) => b.type === 'input');
  return {
    type: 'view_submission',
    team: { id: team, domain: 'airlock-test' },
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: team },
    api_app_id: 'A0AIRLOCK',
    token: 'legacy-verification-token',
    trigger_id: `${Date.now()}.submit`,
    view: {
      ...view,
      id: 'V0SUBMIT',
      team_id: team,
      state: {
        values: {
          [input.block_id]: { [input.element.action_id]: { type: 'plain_text_input', value: reason } },
        },
      },
    },
  };
}

export async function cardFor(w: SlackWorld, requestId: string, channel = 'C0DBA'): Promise<FakeMessage> {
  return eventually(
    async () => w.slack.cardsFor(requestId).find((m) => m.channel === channel),
    15_000,
    `Slack card for ${requestId} in ${channel}`,
  );
}

export const hasButtons = (m: FakeMessage): boolean =>
  (m.blocks ?? []).some((b: any) => b.type === 'actions');

export async function stateOf(w: SlackWorld, id: string): Promise<any> {
  const res = await w.h.api('audit@example.com', `/v1/actions/${id}`);
  return res.body;
}

export async function waitForState(w: SlackWorld, id: string, pred: (s: any) => boolean, what: string) {
  return eventually(
    async () => {
      const s = await stateOf(w, id);
      return pred(s) ? s : undefined;
    },
    20_000,
    what,
  );
}

export async function ephemeralFor(w: SlackWorld, user: string, after: number, what = 'ephemeral answer') {
  return eventually(
    async () => w.slack.ephemerals.find((e) => e.user === user && e.at >= after),
    15_000,
    what,
  );
}

/**
 * After each test, every Web API call made during it was accepted by the fake (Block Kit limits,
 * token, channels), except the Slack errors the test provokes on purpose.
 */
export function expectSlackAccepted(world: () => SlackWorld | undefined): { allow(error: string): void } {
  let start = 0;
  let allowed: string[] = [];
  beforeEach(() => {
    start = world()?.slack.calls.length ?? 0;
    allowed = [];
  });
  afterEach(() => {
    const calls = world()?.slack.calls.slice(start) ?? [];
    expect(calls.filter((c) => !c.ok && !allowed.includes(c.error ?? ''))).toEqual([]);
  });
  return { allow: (error) => void allowed.push(error) };
}
