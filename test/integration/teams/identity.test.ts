// Who may click: a bad token (missing, forged, expired, for another bot or service URL, from
// another issuer) is a 401 and reaches no workflow; a verified user who maps to no identity, or
// comes from a tenant that is not allowed, is refused on the card and the attempt is recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/harness.js';
import {
  cardFor,
  cardOf,
  executeActions,
  httpRequest,
  installAndLink,
  sql,
  startTeamsWorld,
  submit,
  type TeamsWorld,
} from './fixtures.js';

let w: TeamsWorld;

beforeAll(async () => {
  w = await startTeamsWorld();
  await installAndLink(w, w.dba, 'dba-teams');
});

afterAll(async () => {
  await w?.stop();
});

async function pendingCard(tag: string) {
  const id = await submit(w, httpRequest({ parameters: { method: 'POST', path: '/x', body: { tag } } }));
  const message = await cardFor(w, w.dba, id);
  const approve = executeActions(cardOf(message)).find((a) => a.verb === 'airlock.approve')!;
  return { id, message, approve };
}

const stateOf = async (id: string) => (await w.h.api('audit@example.com', `/v1/actions/${id}`)).body;
const refusalsOf = async (id: string) =>
  (await w.h.api('audit@example.com', `/v1/actions/${id}/audit`)).body.events.filter(
    (e: any) => e.type === 'attempt.refused',
  );

describe('Teams authentication', () => {
  it('answers 401 to every bad token and lets nothing reach the workflow', async () => {
    const { id, message, approve } = await pendingCard('tokens');
    const click = () => w.teams.click(w.dba, w.users.dana, message.id, approve);
    const callsBefore = w.teams.calls.length;
    const attempts: [string, Parameters<typeof w.teams.deliver>[2]][] = [
      ['missing', { token: null }],
      ['forged signature', { tokenOptions: { otherKey: true } }],
      ['expired', { tokenOptions: { expired: true } }],
      ['for another service URL', { tokenOptions: { serviceUrl: 'https://smba.evil.example/' } }],
      ['for another bot', { tokenOptions: { audience: '11111111-1111-4111-8111-111111111111' } }],
      ['from another issuer', { tokenOptions: { issuer: 'https://api.botframework.com' } }],
      ['not a JWT', { token: 'not-a-token' }],
    ];
    for (const [what, auth] of attempts) {
      const res = await w.teams.deliver(w.h.url, click(), auth);
      expect(res.status, what).toBe(401);
      expect(res.body, what).toEqual({ error: 'unauthorized' });
    }
    // A valid token, but an activity that leaves out its service URL (botframework would skip the check).
    const { serviceUrl: _drop, ...noServiceUrl } = click();
    expect((await w.teams.deliver(w.h.url, noServiceUrl)).status).toBe(401);

    const state = await stateOf(id);
    expect(state.status).toBe('pending_approval');
    expect(state.decisions).toEqual([]);
    expect(await refusalsOf(id)).toEqual([]);
    // The bot answered none of them through the Bot Connector either.
    expect(w.teams.calls.length).toBe(callsBefore);
  });

  it('refuses and records a verified user that maps to no identity', async () => {
    const { id, message, approve } = await pendingCard('unmapped');
    const res = await w.teams.deliver(w.h.url, w.teams.click(w.dba, w.users.mallory, message.id, approve));
    expect(res.status).toBe(200);
    expect(res.body.value).toMatch(/^Refused: Airlock cannot map your Teams account/);
    // A refusal reaches the workflow as a signal: it is recorded a moment later.
    const refused = await eventually(async () =>
      (await refusalsOf(id)).length ? refusalsOf(id) : undefined,
    );
    expect(refused).toHaveLength(1);
    expect(refused[0].data).toMatchObject({
      code: 'unmapped_identity',
      actor: `teams:${w.users.mallory.aadObjectId}`,
      channel: 'teams',
      what: 'approve',
    });
    expect((await stateOf(id)).decisions).toEqual([]);
  });

  it('refuses a user of a tenant that is not allowed, even one whose directory e-mail is an approver', async () => {
    const { id, message, approve } = await pendingCard('tenant');
    const res = await w.teams.deliver(w.h.url, w.teams.click(w.dba, w.users.eve, message.id, approve));
    expect(res.body.value).toMatch(/organisation is not allowed/);
    const refused = await eventually(async () =>
      (await refusalsOf(id)).length ? refusalsOf(id) : undefined,
    );
    expect(refused.map((e: any) => e.data.code)).toEqual(['unmapped_identity']);
    expect(refused[0].data.detail).toMatch(/tenant .* is not allowed/);
    const state = await stateOf(id);
    expect(state.status).toBe('pending_approval');
    expect(state.decisions).toEqual([]);
  });

  it('ignores an installation from a tenant that is not allowed', async () => {
    const foreign = w.teams.addConversation({
      id: '19:foreign@thread.tacv2',
      conversationType: 'channel',
      tenantId: w.users.eve.tenantId,
    });
    const installed = await w.teams.deliver(w.h.url, w.teams.installation(foreign, w.users.eve));
    expect(installed.status).toBe(200);
    await w.teams.deliver(w.h.url, w.teams.message(foreign, w.users.eve, 'link dba-teams'));
    expect(w.teams.messagesIn(foreign.id)).toEqual([]);
    const rows = await sql(w, 'SELECT conversation_id FROM teams_conversations WHERE tenant_id = $1', [
      w.users.eve.tenantId,
    ]);
    expect(rows).toEqual([]);
  });
});
