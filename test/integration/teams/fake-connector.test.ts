// The fake must refuse what Teams and Entra refuse, or the scenarios prove nothing: a wrong app
// secret gets no token; the Bot Connector wants that token, a known conversation and activity,
// a message under ~28 KB and a card Teams can render.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  credentialsFactory,
  loginAuthority,
  PUBLIC_CLOUD,
  type TeamsSettings,
} from '../../../bots/teams/auth.js';
import { FakeTeams, TEAMS_MESSAGE_LIMIT_BYTES } from '../../fakes/bot-connector.js';
import { trustInProcess } from '../../fakes/bot-connector-tls.js';

let teams: FakeTeams;
let untrust: () => void;
const conversation = '19:fake-test@thread.tacv2';

function settings(appPassword = teams.opts.appPassword): TeamsSettings {
  return {
    appId: teams.opts.appId,
    appPassword,
    tenantId: teams.opts.tenantId,
    allowedTenants: [teams.opts.tenantId],
    endpoints: {
      openIdMetadataUrl: teams.openIdMetadataUrl,
      tokenIssuer: teams.tokenIssuer,
      loginUrl: teams.loginOrigin,
    },
  };
}

async function botToken(s: TeamsSettings): Promise<string> {
  const creds = (await credentialsFactory(s).createCredentials(
    s.appId,
    PUBLIC_CLOUD.channelScope,
    loginAuthority(s),
    true,
  )) as unknown as { getToken(force?: boolean): Promise<string> };
  return creds.getToken(true);
}

async function connector(method: string, path: string, body: unknown, token?: string) {
  const res = await fetch(`${teams.serviceUrl}/v3/conversations/${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
}

const card = (extra: Record<string, unknown> = {}) => ({
  type: 'message',
  attachments: [
    {
      contentType: 'application/vnd.microsoft.card.adaptive',
      content: { type: 'AdaptiveCard', version: '1.5', body: [], ...extra },
    },
  ],
});

beforeAll(async () => {
  teams = await FakeTeams.start({
    appId: randomUUID(),
    appPassword: randomBytes(16).toString('hex'),
    tenantId: randomUUID(),
  });
  untrust = trustInProcess(teams.caPem);
  teams.addConversation({ id: conversation, conversationType: 'channel', tenantId: teams.opts.tenantId });
});

afterAll(async () => {
  untrust?.();
  await teams?.close();
});

describe('fake Bot Connector and Entra', () => {
  it('gives no token for a wrong app secret', async () => {
    await expect(botToken(settings('wrong-secret'))).rejects.toThrow();
  });

  it('refuses calls without a valid bearer token', async () => {
    expect((await connector('POST', `${encodeURIComponent(conversation)}/activities`, card())).status).toBe(
      401,
    );
    const forged = await teams.channelToken(); // signed, but by the channel, not by Entra for this bot
    expect(
      (await connector('POST', `${encodeURIComponent(conversation)}/activities`, card(), forged)).status,
    ).toBe(401);
  });

  it('posts, updates and refuses like Teams', async () => {
    const token = await botToken(settings());
    const path = `${encodeURIComponent(conversation)}/activities`;
    expect(
      (await connector('POST', `${encodeURIComponent('19:unknown@thread.tacv2')}/activities`, card(), token))
        .status,
    ).toBe(404);
    const posted = await connector('POST', path, card(), token);
    expect(posted.status).toBe(201);
    expect((await connector('PUT', `${path}/${posted.body.id}`, card(), token)).status).toBe(200);
    expect((await connector('PUT', `${path}/no-such-activity`, card(), token)).status).toBe(404);
    const huge = card({ body: [{ type: 'TextBlock', text: 'x'.repeat(TEAMS_MESSAGE_LIMIT_BYTES) }] });
    expect((await connector('POST', path, huge, token)).body.error.code).toBe('MessageSizeTooBig');
    expect((await connector('POST', path, card({ version: '1.6' }), token)).status).toBe(400);
    const noVerb = card({ actions: [{ type: 'Action.Execute', title: 'Approve' }] });
    expect((await connector('POST', path, noVerb, token)).status).toBe(400);
    expect(teams.messages.get(posted.body.id)?.versions).toHaveLength(2);
  });
});
