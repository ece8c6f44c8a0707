// Break-glass in Teams: the loud card without Approve/Deny, an Acknowledge action whose signed
// click by a stage approver records the review, someone outside the stages refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/harness.js';
import {
  cardFor,
  cardOf,
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
