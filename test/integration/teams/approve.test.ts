// The Teams path end to end over real HTTP: install -> link -> submit -> the card arrives with the
// request's facts -> a signed Action.Execute approves -> the workflow executes -> every card is
// updated in place without buttons. Also deny with a reason, self-approval, and an API decision.
// Break-glass: the loud card and its Acknowledge action.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/harness.js';
import {
  cardFor,
  cardOf,
  elements,
  executeActions,
  httpRequest,
  installAndLink,
  startTeamsWorld,
  submit,
  type TeamsWorld,
  textOf,
  waitForStatus,
} from './fixtures.js';

let w: TeamsWorld;

beforeAll(async () => {
  w = await startTeamsWorld();
  await installAndLink(w, w.dba, 'dba-teams');
});

afterAll(async () => {
  await w?.stop();
});

describe('Teams approvals', () => {
  it('posts a card with the facts, approves on a signed click, and strips the buttons everywhere', async () => {
    const id = await submit(
      w,
      httpRequest({
        parameters: { method: 'POST', path: '/config', body: { feature: 'teams-e2e' } },
        agent: { name: 'deploy-bot', model: 'gpt-x', onBehalfOf: 'ci@example.com' },
        labels: { ticket: 'OPS-7' },
        diff: { unified: '--- a\n+++ b\n-off\n+on' },
      }),
    );
    const message = await cardFor(w, w.dba, id);
    const card = cardOf(message);
    expect(card.version).toBe('1.5');
    const text = textOf(card);
    for (const fact of [
      'http.config.update on admin-api:/config',
      'HIGH RISK',
      'ci@example.com',
      'deploy-bot, model gpt-x, on behalf of ci@example.com',
      'production',
      'turn the feature on for the launch',
      'ticket=OPS-7',
      '"feature": "teams-e2e"',
      '+on',
      'production (policy',
    ]) {
      expect(text).toContain(fact);
    }
    const state = (await w.h.api('audit@example.com', `/v1/actions/${id}`)).body;
    expect(text).toContain(state.parametersHash);
    expect(elements(card).some((e) => e.type === 'Action.OpenUrl' && String(e.url).includes(id))).toBe(true);
    const [approve] = executeActions(card);
    expect(approve?.verb).toBe('airlock.approve');

    const answer = await w.teams.deliver(w.h.url, w.teams.click(w.dba, w.users.dana, message.id, approve!));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      statusCode: 200,
      type: 'application/vnd.microsoft.activity.message',
    });
    expect(answer.body.value).toMatch(/^Approved/);

    const done = await waitForStatus(w, id, ['succeeded']);
    expect(done.decisions[0].approver).toMatchObject({ id: 'dana@example.com', channel: 'teams' });
    const final = await eventually(
      async () => (/executed successfully/.test(textOf(cardOf(message))) ? cardOf(message) : undefined),
      10_000,
      'the card to say the request ran',
    );
    expect(executeActions(final)).toEqual([]);
    expect(elements(final).some((e) => String(e.type).startsWith('Input.'))).toBe(false);
    expect(textOf(final)).toContain('Approved by dana@example.com via teams');
  });

  it('denies with a reason, and refuses a deny without one', async () => {
    const id = await submit(
      w,
      httpRequest({ parameters: { method: 'POST', path: '/x', body: { m: 'deny' } } }),
    );
    const message = await cardFor(w, w.dba, id);
    const deny = executeActions(cardOf(message)).find((a) => a.verb === 'airlock.deny')!;
    const reasonInput = elements(cardOf(message)).find((e) => e.type === 'Input.Text' && e.id === 'reason');
    expect(reasonInput?.label).toMatch(/required to deny/);

    const bare = await w.teams.deliver(w.h.url, w.teams.click(w.dba, w.users.dana, message.id, deny));
    expect(bare.body.value).toMatch(/a deny needs a reason/);
    const withReason = await w.teams.deliver(
      w.h.url,
      w.teams.click(w.dba, w.users.dana, message.id, deny, { reason: 'not during the <b>freeze</b>' }),
    );
    expect(withReason.body.value).toMatch(/^Denied/);
    const done = await waitForStatus(w, id, ['denied']);
    expect(done.reason).toBe('not during the <b>freeze</b>');
    const final = await eventually(
      async () => (executeActions(cardOf(message)).length === 0 ? cardOf(message) : undefined),
      10_000,
      'the denied card',
    );
    expect(textOf(final)).toContain('Denied by dana@example.com: not during the <b>freeze</b>');
    const audit = await w.h.api('audit@example.com', `/v1/actions/${id}/audit`);
    const refused = audit.body.events.filter((e: any) => e.type === 'attempt.refused');
    expect(refused.map((e: any) => e.data.code)).toEqual(['reason_required']);
  });

  it('refuses self-approval on the card and records it in the audit trail', async () => {
    const id = await submit(
      w,
      httpRequest({ parameters: { method: 'POST', path: '/x', body: { m: 'self' } } }),
      'dana@example.com',
    );
    const message = await cardFor(w, w.dba, id);
    const approve = executeActions(cardOf(message)).find((a) => a.verb === 'airlock.approve')!;
    const answer = await w.teams.deliver(w.h.url, w.teams.click(w.dba, w.users.dana, message.id, approve));
    expect(answer.status).toBe(200);
    expect(answer.body.value).toBe('Refused: you cannot approve your own request.');
    const state = (await w.h.api('audit@example.com', `/v1/actions/${id}`)).body;
    expect(state.status).toBe('pending_approval');
    const audit = await w.h.api('audit@example.com', `/v1/actions/${id}/audit`);
    const refused = audit.body.events.find((e: any) => e.type === 'attempt.refused');
    expect(refused.data).toMatchObject({
      code: 'self_approval',
      actor: 'dana@example.com',
      channel: 'teams',
    });
    expect(executeActions(cardOf(message))).toHaveLength(2);
  });

  it('maps a user the policy does not list through the directory (UPN), and a decision over the API updates the card', async () => {
    const viaTeams = await submit(
      w,
      httpRequest({ parameters: { method: 'POST', path: '/x', body: { m: 'sam' } } }),
    );
    const samCard = await cardFor(w, w.dba, viaTeams);
    const approve = executeActions(cardOf(samCard)).find((a) => a.verb === 'airlock.approve')!;
    const answer = await w.teams.deliver(w.h.url, w.teams.click(w.dba, w.users.sam, samCard.id, approve));
    expect(answer.body.value).toMatch(/^Approved/);
    const done = await waitForStatus(w, viaTeams, ['succeeded']);
    expect(done.decisions[0].approver).toMatchObject({
      id: 'sam@example.com',
      channelUserId: w.users.sam.aadObjectId,
    });

    const viaApi = await submit(
      w,
      httpRequest({ parameters: { method: 'POST', path: '/x', body: { m: 'api' } } }),
    );
    const apiCard = await cardFor(w, w.dba, viaApi);
    const decided = await w.h.api('sam@example.com', `/v1/actions/${viaApi}/decisions`, {
      body: { decision: 'deny', reason: 'decided in the API' },
    });
    expect(decided.status).toBe(200);
    const final = await eventually(
      async () => (executeActions(cardOf(apiCard)).length === 0 ? cardOf(apiCard) : undefined),
      10_000,
      'the card updated after an API decision',
    );
    expect(textOf(final)).toContain('Denied by sam@example.com via api');
    expect(apiCard.versions.length).toBeGreaterThan(1);
  });

  it('refuses and records a click that arrives after the request has closed', async () => {
    const id = await submit(
      w,
      httpRequest({ parameters: { method: 'POST', path: '/x', body: { m: 'late' } } }),
    );
    const message = await cardFor(w, w.dba, id);
    // The button as a client that has not refreshed the card yet still shows it.
    const stale = executeActions(cardOf(message)).find((a) => a.verb === 'airlock.approve')!;
    const decided = await w.h.api('sam@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'deny', reason: 'decided in the API' },
    });
    expect(decided.status).toBe(200);
    await eventually(
      async () => {
        const list = await w.h.api('audit@example.com', '/v1/actions?requester=ci@example.com&limit=50');
        return list.body.items?.find((i: { id: string; closedAt?: string }) => i.id === id && i.closedAt);
      },
      20_000,
      'workflow closed',
    );
    const answer = await w.teams.deliver(w.h.url, w.teams.click(w.dba, w.users.dana, message.id, stale));
    expect(answer.status).toBe(200);
    expect(answer.body.value).toMatch(/no longer waiting for a decision/);
    const refused = await eventually(
      async () => {
        const res = await w.h.api('audit@example.com', `/v1/actions/${id}/audit`);
        const found = res.body.events.filter((e: { type: string }) => e.type === 'attempt.refused');
        return found.length ? found : undefined;
      },
      10_000,
      'late attempt in the audit trail',
    );
    expect(refused[0]).toMatchObject({
      actor: 'dana@example.com',
      data: { code: 'request_ended', channel: 'teams', what: 'approve' },
    });
    expect((await w.h.api('audit@example.com', `/v1/actions/${id}`)).body.decidedBy).toBe('sam@example.com');
  });
});

describe('Teams break-glass', () => {
  it('posts a BREAK-GLASS card and records an Acknowledge click as the review', async () => {
    const id = await submit(
      w,
      httpRequest({
        parameters: { method: 'POST', path: '/config', body: { feature: 'teams-bg' } },
        breakGlass: { reason: 'the checkout is down, flag must go off' },
      }),
    );
    await waitForStatus(w, id, ['succeeded']);
    const message = await cardFor(w, w.dba, id);
    const card = cardOf(message);
    expect(textOf(card)).toContain('BREAK-GLASS');
    const actions = executeActions(card);
    expect(actions.map((a) => a.verb)).toEqual(['airlock.breakglass.acknowledge']);

    const refused = await w.teams.deliver(
      w.h.url,
      w.teams.click(w.dba, w.users.mallory, message.id, actions[0]!),
    );
    expect(String(refused.body.value)).toMatch(/not|Refused/i);
    const answer = await w.teams.deliver(
      w.h.url,
      w.teams.click(w.dba, w.users.dana, message.id, actions[0]!),
    );
    expect(answer.status).toBe(200);
    expect(answer.body.value).toMatch(/acknowledged/);
    const state = (await w.h.api('audit@example.com', `/v1/actions/${id}`)).body;
    expect(state.breakGlass.review).toMatchObject({
      outcome: 'acknowledged',
      by: 'dana@example.com',
      channel: 'teams',
    });
    await eventually(
      async () => (executeActions(cardOf(message)).length === 0 ? true : undefined),
      10_000,
      'the card without the acknowledge action',
    );
  });
});

describe('Teams standing approvals', () => {
  it('"Approve + same again" approves this request and, at once, the next one in scope', async () => {
    const body = httpRequest({
      action: 'http.standing',
      parameters: { method: 'POST', path: '/s', body: { m: 'teams-standing' } },
    });
    const id = await submit(w, body);
    const message = await cardFor(w, w.dba, id);
    const standing = executeActions(cardOf(message)).find((a) => a.verb === 'airlock.approve.standing');
    expect(standing?.title).toBe('Approve + same again 1h');
    const answer = await w.teams.deliver(w.h.url, w.teams.click(w.dba, w.users.dana, message.id, standing!));
    expect(answer.body.value).toMatch(/^Approved/);
    const done = await waitForStatus(w, id, ['succeeded']);
    expect(done.standing.created.approvers).toEqual(['dana@example.com']);
    const next = await submit(w, body);
    const auto = await waitForStatus(w, next, ['succeeded']);
    expect(auto.decidedBy).toBe(`standing:${done.standing.created.id}`);
  });
});
