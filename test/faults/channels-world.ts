// The world of the forged-caller and fuzzing fault cases: the real service (main.ts) with both chat
// channels on, Slack against the fake Web API and Teams against the fake Bot Connector + Entra, an
// HTTP target that counts side effects, and the service's log lines kept in memory, so a refusal
// that is recorded only as a log line can be checked too. On test/support/harness.ts, with one
// database and task queue of its own.
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { type FakeConversation, FakeTeams, type FakeUser } from '../fakes/bot-connector.js';
import { trustInProcess } from '../fakes/bot-connector-tls.js';
import { type HttpTargetFake, startHttpTarget } from '../fakes/http-target.js';
import { type FakeMessage, type FakeSlack, startFakeSlack } from '../fakes/slack-api.js';
import { coreConfig } from '../integration/core/fixtures.js';
import { clickPayload, sign, TEAM } from '../integration/slack/support.js';
import { eventually, type Harness, startHarness } from '../support/harness.js';

export { TEAM };
export const DANA_AAD = '00000000-0000-4000-8000-00000000000d';
export const SAM_AAD = '00000000-0000-4000-8000-000000000005';

/** One approver (dana) known in both channels; `http.twoperson` stays pending after one approval. */
export function channelsPolicy(): string {
  return `version: 1
groups:
  dba: [dana@example.com, dev@example.com]
  pair: [dana@example.com, sam@example.com, dev@example.com]
identities:
  - email: dana@example.com
    slack: { userId: U0DANA }
    teams: { aadObjectId: ${DANA_AAD} }
  - email: sam@example.com
    slack: { userId: U0SAM }
    teams: { aadObjectId: ${SAM_AAD} }
channels:
  dba-slack: { slack: { channel: C0DBA } }
  dba-teams: { teams: { conversationRef: dba } }
rules:
  - name: two-person
    match: { action: "http.twoperson" }
    effect: require_approval
    stages:
      - { approvers: [pair], minApprovals: 2, timeout: 10m, notify: [dba-slack, dba-teams] }
  - name: gate
    match: { action: "gate.*" }
    effect: require_approval
    stages:
      - { approvers: [dba], timeout: 10m }
  - name: production
    match: { environment: production }
    effect: require_approval
    stages:
      - { approvers: [dba], timeout: 10m, notify: [dba-slack, dba-teams] }
default:
  effect: require_approval
  stages:
    - { approvers: [dba], timeout: 10m }
`;
}

export const PRINCIPALS = [
  { principal: 'ci@example.com', roles: ['requester'] },
  { principal: 'dana@example.com', roles: ['approver', 'requester'] },
  { principal: 'sam@example.com', roles: ['approver'] },
  { principal: 'audit@example.com', roles: ['auditor'] },
  { principal: 'admin@example.com', roles: ['admin'] },
];

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface ChannelsWorld {
  h: Harness;
  slack: FakeSlack;
  teams: FakeTeams;
  target: HttpTargetFake;
  slackSecret: string;
  dba: FakeConversation;
  users: { dana: FakeUser; sam: FakeUser };
  /** Every line the service logged (warn and above), parsed. */
  logs: LogLine[];
  stop(): Promise<void>;
}

export async function startChannelsWorld(): Promise<ChannelsWorld> {
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        try {
          logs.push(JSON.parse(line) as LogLine);
        } catch {
          // not JSON: ignore
        }
      }
      done();
    },
  });
  const logger = pino({ level: 'warn' }, sink);

  const slackToken = `xoxb-test-${randomBytes(8).toString('hex')}`;
  const slackSecret = randomBytes(16).toString('hex');
  const tenantId = randomUUID();
  const [slack, teams, target] = await Promise.all([
    startFakeSlack({
      token: slackToken,
      teamId: TEAM,
      channels: ['C0DBA'],
      users: [
        { id: 'U0DANA', team_id: TEAM, name: 'dana', email: 'dana@example.com' },
        { id: 'U0SAM', team_id: TEAM, name: 'sam', email: 'sam@example.com' },
      ],
    }),
    FakeTeams.start({
      appId: randomUUID(),
      appPassword: `pw-${randomBytes(16).toString('hex')}`,
      tenantId,
    }),
    startHttpTarget(),
  ]);
  const untrust = trustInProcess(teams.caPem);
  const dba = teams.addConversation({
    id: `19:dba-${randomBytes(4).toString('hex')}@thread.tacv2`,
    conversationType: 'channel',
    tenantId,
    teamId: `19:team-${randomBytes(4).toString('hex')}@thread.tacv2`,
  });
  const users = {
    dana: teams.addUser({
      id: '29:dana',
      aadObjectId: DANA_AAD,
      name: 'Dana',
      tenantId,
      email: 'dana@example.com',
    }),
    sam: teams.addUser({
      id: '29:sam',
      aadObjectId: SAM_AAD,
      name: 'Sam',
      tenantId,
      email: 'sam@example.com',
    }),
  };

  const closeFakes = async () => {
    untrust();
    await Promise.all([slack.close(), teams.close(), target.close()]);
  };
  let h: Harness;
  try {
    h = await startHarness({
      policy: channelsPolicy(),
      config: coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused'),
      principals: PRINCIPALS,
      logger,
      env: {
        LOG_LEVEL: 'warn',
        SLACK_BOT_TOKEN: slackToken,
        SLACK_SIGNING_SECRET: slackSecret,
        SLACK_API_URL: slack.apiUrl,
        ...teams.env(),
      },
    });
  } catch (err) {
    await closeFakes();
    throw err;
  }
  const url = h.url;
  const world: ChannelsWorld = {
    h,
    slack,
    teams,
    target,
    slackSecret,
    dba,
    users,
    logs,
    async stop() {
      await h.stop();
      await closeFakes();
    },
  };
  try {
    // Link the Teams conversation to the policy channel, as an admin does once.
    const installed = await teams.deliver(url, teams.installation(dba, users.dana));
    const linked = await teams.deliver(url, teams.message(dba, users.dana, 'link dba-teams'));
    if (installed.status !== 200 || linked.status !== 200)
      throw new Error('could not link the Teams channel');
  } catch (err) {
    await world.stop();
    throw err;
  }
  return world;
}

// --- Slack, as Slack sends it ----------------------------------------------------------------

/** Slack's request signature (v0 HMAC), as the Slack tests compute it. */
export const slackSign = sign;

export interface SlackDelivery {
  body: string;
  headers: Record<string, string>;
}

/** A signed interactivity POST (form-encoded `payload`), ready to send (or to send again). */
export function slackDelivery(
  w: ChannelsWorld,
  payload: unknown,
  o: { secret?: string; timestamp?: number } = {},
): SlackDelivery {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSign(o.secret ?? w.slackSecret, timestamp, body),
    },
  };
}

export async function sendToSlack(
  w: ChannelsWorld,
  d: SlackDelivery,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${w.h.url}/slack/events`, { method: 'POST', headers: d.headers, body: d.body });
  return { status: res.status, text: await res.text() };
}

export async function slackCard(w: ChannelsWorld, requestId: string): Promise<FakeMessage> {
  return eventually(
    async () => w.slack.cardsFor(requestId).find((m) => m.channel === 'C0DBA'),
    15_000,
    `Slack card for ${requestId}`,
  );
}

/** A block_actions payload: `userId` presses `actionId` on the card as it is now. */
export const slackClick = (w: ChannelsWorld, m: FakeMessage, actionId: string, userId: string) =>
  clickPayload(w, m, actionId, userId);

// --- Teams ------------------------------------------------------------------------------------

export const executeActions = (card: unknown): Record<string, any>[] => {
  const out: Record<string, any>[] = [];
  const walk = (x: unknown) => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      const o = x as Record<string, any>;
      if (o.type === 'Action.Execute') out.push(o);
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  return out;
};

/** The Teams card of a request and its button for `verb` (`airlock.approve`, `airlock.deny`). */
export async function teamsButton(w: ChannelsWorld, requestId: string, verb: string) {
  const message = await eventually(
    async () =>
      w.teams
        .messagesIn(w.dba.id)
        .find((m) =>
          executeActions(m.versions[0]?.attachments?.[0]?.content).some(
            (a) => a.data?.requestId === requestId,
          ),
        ),
    15_000,
    `Teams card for ${requestId}`,
  );
  const card = message.versions.at(-1)?.attachments?.[0]?.content;
  const button = executeActions(card).find((a) => a.verb === verb);
  if (!button) throw new Error(`no ${verb} button on the Teams card of ${requestId}`);
  return { message, button };
}

/** The Teams cards (top-level bot messages carrying the request's buttons) posted for a request. */
export function teamsCards(w: ChannelsWorld, requestId: string) {
  return w.teams
    .messagesIn(w.dba.id)
    .filter(
      (m) =>
        !m.threadId &&
        executeActions(m.versions[0]?.attachments?.[0]?.content).some((a) => a.data?.requestId === requestId),
    );
}
