// Identity through Slack's directory, when the plugin is configured for it: a user the policy does
// not map is resolved by the confirmed e-mail users.info returns; a user of another workspace, or
// one whose e-mail the policy binds to a different Slack user, is refused (ambiguous) and recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest } from '../core/fixtures.js';
import {
  cardFor,
  clickPayload,
  ephemeralFor,
  expectSlackAccepted,
  postToSlackEvents,
  type SlackWorld,
  startSlackWorld,
  waitForState,
} from './support.js';

let w: SlackWorld;

beforeAll(async () => {
  w = await startSlackWorld({ emailLookup: true });
});

afterAll(async () => {
  await w?.stop();
});

expectSlackAccepted(() => w);

async function pendingCard(marker: string) {
  const res = await w.h.api('ci@example.com', '/v1/actions', {
    body: httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: marker } } }),
  });
  expect(res.status).toBe(202);
  const id = res.body.id as string;
  return { id, card: await cardFor(w, id) };
}

describe('Slack identity by e-mail', () => {
  it('approves as the e-mail users.info confirms for a user the policy does not map', async () => {
    const { id, card } = await pendingCard('slack-mail-1');
    await postToSlackEvents(w, clickPayload(w, card, 'airlock_approve', 'U0DEV'));
    const s = await waitForState(w, id, (x) => x.decisions.length === 1, 'decision');
    expect(s.decisions[0].approver).toMatchObject({
      id: 'dev@example.com',
      channel: 'slack',
      channelUserId: 'U0DEV',
    });
    expect(w.slack.callsOf('users.info').map((c) => c.args.user)).toContain('U0DEV');
  });

  it('refuses a user of another workspace even with a known e-mail', async () => {
    const { id, card } = await pendingCard('slack-mail-2');
    const before = Date.now();
    await postToSlackEvents(w, clickPayload(w, card, 'airlock_approve', 'U0GUEST', 'T0OTHER'));
    expect((await ephemeralFor(w, 'U0GUEST', before)).text).toMatch(/another workspace/);
    const s = await waitForState(w, id, (x) => x.refusedAttempts.length > 0, 'refusal');
    expect(s.refusedAttempts[0]).toMatchObject({ code: 'unmapped_identity', actor: 'slack:T0OTHER:U0GUEST' });
    expect(s.decisions).toHaveLength(0);
  });

  it('refuses a user whose e-mail the policy maps to a different Slack user', async () => {
    const { id, card } = await pendingCard('slack-mail-3');
    const before = Date.now();
    await postToSlackEvents(w, clickPayload(w, card, 'airlock_approve', 'U0IMPOSTOR'));
    expect((await ephemeralFor(w, 'U0IMPOSTOR', before)).text).toMatch(
      /mapped in the policy to another Slack user/,
    );
    const s = await waitForState(w, id, (x) => x.refusedAttempts.length > 0, 'refusal');
    expect(s.refusedAttempts[0].code).toBe('unmapped_identity');
    expect(s.decisions).toHaveLength(0);
  });

  it('lets the workflow refuse a resolved user who is not an approver', async () => {
    const { id, card } = await pendingCard('slack-mail-4');
    const before = Date.now();
    await postToSlackEvents(w, clickPayload(w, card, 'airlock_approve', 'U0NOBODY'));
    expect((await ephemeralFor(w, 'U0NOBODY', before)).text).toMatch(/^Refused: you are not an approver/);
    const s = await waitForState(w, id, (x) => x.refusedAttempts.length > 0, 'refusal');
    expect(s.refusedAttempts[0]).toMatchObject({
      code: 'not_an_approver',
      actor: 'nobody@example.com',
      channel: 'slack',
    });
  });
});
