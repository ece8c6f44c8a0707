// The Teams scenarios' world: a policy with two Teams channels, the users Teams knows (mapped by
// policy, by directory, unmapped, from another tenant), and a harness running the real service
// with the Teams plugin against the fake Bot Connector + Entra.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { expect } from 'vitest';
import {
  type BotMessage,
  type FakeConversation,
  FakeTeams,
  type FakeUser,
} from '../../fakes/bot-connector.js';
import { trustInProcess } from '../../fakes/bot-connector-tls.js';
import { startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';

export const IDS = {
  dana: '00000000-0000-4000-8000-00000000000d',
  sam: '00000000-0000-4000-8000-000000000005',
  mallory: '00000000-0000-4000-8000-00000000000e',
  eve: '00000000-0000-4000-8000-0000000000ee',
};

export const TEAMS_POLICY = `version: 1
groups:
  dba: [dana@example.com, dev@example.com]
  oncall: [sam@example.com]
  responders: [ci@example.com]
identities:
  - email: dana@example.com
    teams: { aadObjectId: ${IDS.dana} }
channels:
  dba-teams: { teams: { conversationRef: dba } }
  oncall-teams: { teams: { conversationRef: oncall } }
rules:
  - name: escalating
    match: { action: "http.escalate" }
    effect: require_approval
    stages:
      - { approvers: [dba], timeout: 4s, reminderBefore: 2s, notify: [dba-teams] }
      - { approvers: [oncall], timeout: 1m, notify: [oncall-teams] }
  - name: expiring
    match: { action: "http.expire" }
    effect: require_approval
    stages:
      - { approvers: [dba], timeout: 2s, notify: [dba-teams] }
  - name: standing
    match: { action: "http.standing" }
    effect: require_approval
    stages:
      - { approvers: [dba], timeout: 10m, notify: [dba-teams] }
    standing: { maxTtl: 1h }
  - name: production
    match: { environment: production }
    effect: require_approval
    risk: high
    stages:
      - { approvers: [dba, oncall], timeout: 10m, notify: [dba-teams] }
    breakGlass: { approvers: [responders], reviewWithin: 1h }
`;

const config = (targetUrl: string) => `targets:
  echo: { type: http, environment: production, resources: ["admin-api:*"], baseUrl: "${targetUrl}" }
actions:
  - { match: "http.*", executor: http.request, target: echo }
`;

export const PRINCIPALS = [
  { principal: 'ci@example.com', roles: ['requester'] },
  { principal: 'dana@example.com', roles: ['approver', 'requester'] },
  { principal: 'sam@example.com', roles: ['approver'] },
  { principal: 'audit@example.com', roles: ['auditor'] },
];

export interface TeamsWorld {
  h: Harness;
  teams: FakeTeams;
  tenantId: string;
  dba: FakeConversation;
  oncall: FakeConversation;
  users: Record<'dana' | 'sam' | 'mallory' | 'eve', FakeUser>;
  stop(): Promise<void>;
}

export async function startTeamsWorld(): Promise<TeamsWorld> {
  const tenantId = randomUUID();
  const otherTenant = randomUUID();
  const teams = await FakeTeams.start({
    appId: randomUUID(),
    appPassword: `pw-${randomBytes(16).toString('hex')}`,
    tenantId,
  });
  const untrust = trustInProcess(teams.caPem);
  const target = await startHttpTarget();
  const team = `19:team-${randomBytes(4).toString('hex')}@thread.tacv2`;
  const dba = teams.addConversation({
    id: `19:dba-${randomBytes(4).toString('hex')}@thread.tacv2`,
    conversationType: 'channel',
    tenantId,
    teamId: team,
  });
  const oncall = teams.addConversation({
    id: `19:oncall-${randomBytes(4).toString('hex')}@thread.tacv2`,
    conversationType: 'channel',
    tenantId,
    teamId: team,
  });
  const users = {
    dana: teams.addUser({
      id: '29:dana',
      aadObjectId: IDS.dana,
      name: 'Dana',
      tenantId,
      email: 'dana@example.com',
    }),
    // Not in the policy's identities: found through the directory (TeamsInfo.getMember).
    sam: teams.addUser({
      id: '29:sam',
      aadObjectId: IDS.sam,
      name: 'Sam',
      tenantId,
      userPrincipalName: 'Sam@Example.com',
    }),
    // In the directory without any e-mail or usable UPN.
    mallory: teams.addUser({
      id: '29:mallory',
      aadObjectId: IDS.mallory,
      name: 'Mallory',
      tenantId,
      userPrincipalName: 'mallory_x.com#EXT#@t.onmicrosoft.com',
    }),
    eve: teams.addUser({
      id: '29:eve',
      aadObjectId: IDS.eve,
      name: 'Eve',
      tenantId: otherTenant,
      email: 'dana@example.com',
    }),
  };
  let h: Harness;
  try {
    h = await startHarness({
      policy: TEAMS_POLICY,
      config: config(target.url),
      principals: PRINCIPALS,
      // The TEAMS_* variables alone start the plugin, through main.ts like in production; the
      // directory look-up is on, so users the policy does not list map by directory e-mail/UPN.
      env: { ...teams.env(), TEAMS_DIRECTORY_LOOKUP: 'true' },
    });
  } catch (err) {
    untrust();
    await teams.close();
    await target.close();
    throw err;
  }
  return {
    h,
    teams,
    tenantId,
    dba,
    oncall,
    users,
    async stop() {
      await h.stop();
      untrust();
      await teams.close();
      await target.close();
    },
  };
}

/** Installs the app in a conversation and links it to a policy channel, checking each answer. */
export async function installAndLink(w: TeamsWorld, conversation: FakeConversation, channel: string) {
  const installed = await w.teams.deliver(w.h.url, w.teams.installation(conversation, w.users.dana));
  expect(installed.status).toBe(200);
  const linked = await w.teams.deliver(
    w.h.url,
    w.teams.message(conversation, w.users.dana, `link ${channel}`),
  );
  expect(linked.status).toBe(200);
  const reply = w.teams.messagesIn(conversation.id).at(-1);
  expect(reply?.versions[0]?.text).toMatch(/^Linked: cards for/);
}

export function submit(w: TeamsWorld, body: Record<string, unknown>, as = 'ci@example.com') {
  return w.h.api(as, '/v1/actions', { body }).then((res) => {
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.id as string;
  });
}

export const httpRequest = (over: Record<string, unknown> = {}) => ({
  action: 'http.config.update',
  resource: 'admin-api:/config',
  environment: 'production',
  parameters: { method: 'POST', path: '/config', body: { feature: 'on' } },
  justification: 'turn the feature on for the launch',
  ...over,
});

/** The adaptive card of a bot message, latest version. */
export function cardOf(m: BotMessage): Record<string, any> {
  const latest = m.versions.at(-1)!;
  return latest.attachments?.[0]?.content;
}

/** Every element of a card (body and actions), flattened. */
export function elements(card: Record<string, any>): Record<string, any>[] {
  const out: Record<string, any>[] = [];
  const walk = (x: unknown) => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      out.push(x as Record<string, any>);
      Object.values(x).forEach(walk);
    }
  };
  walk(card);
  return out;
}

/** All visible text of a card (TextBlocks and TextRuns), joined by newlines. */
export function textOf(card: Record<string, any>): string {
  return elements(card)
    .filter((e) => e.type === 'TextBlock' || e.type === 'TextRun')
    .map((e) => e.text as string)
    .join('\n');
}

export const executeActions = (card: Record<string, any>) =>
  elements(card).filter((e) => e.type === 'Action.Execute');

/** The card message of a request in a conversation (waits for it to arrive). */
export function cardFor(
  w: TeamsWorld,
  conversation: FakeConversation,
  requestId: string,
): Promise<BotMessage> {
  return eventually(
    async () =>
      w.teams
        .messagesIn(conversation.id)
        .find((m) =>
          executeActions(m.versions[0]?.attachments?.[0]?.content ?? {}).some(
            (a) => a.data?.requestId === requestId,
          ),
        ),
    15_000,
    `the card of ${requestId} in ${conversation.id}`,
  );
}

export async function waitForStatus(w: TeamsWorld, id: string, statuses: string[]) {
  return eventually(
    async () => {
      const s = (await w.h.api('audit@example.com', `/v1/actions/${id}`)).body;
      const final = ['succeeded', 'failed', 'denied', 'expired', 'cancelled'].includes(s.status);
      return statuses.includes(s.status) && (!final || s.endedAt) ? s : undefined;
    },
    20_000,
    `status ${statuses.join('|')} of ${id}`,
  );
}

/** Reads the service database directly (what the bot stored). */
export async function sql(
  w: TeamsWorld,
  query: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: w.h.db.url });
  await client.connect();
  try {
    return (await client.query(query, params)).rows;
  } finally {
    await client.end();
  }
}
