// Deny from Slack: the Deny button opens a modal (views.open with the click's trigger id) that asks
// for the reason; an empty reason keeps the modal open with an error; the submitted reason ends
// the request, reaches the card and the thread, and nothing runs. Unmapped users get no modal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/harness.js';
import { httpRequest } from '../core/fixtures.js';
import {
  cardFor,
  clickPayload,
  ephemeralFor,
  expectSlackAccepted,
  hasButtons,
  postToSlackEvents,
  type SlackWorld,
  startSlackWorld,
  stateOf,
  submitPayload,
  waitForState,
} from './support.js';

let w: SlackWorld;

beforeAll(async () => {
  w = await startSlackWorld();
});

afterAll(async () => {
  await w?.stop();
});

expectSlackAccepted(() => w);

async function submit(marker: string): Promise<string> {
  const res = await w.h.api('ci@example.com', '/v1/actions', {
    body: httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: marker } } }),
  });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

describe('Slack deny through the modal', () => {
  it('opens a modal for the reason and denies with it', async () => {
    const id = await submit('slack-deny-1');
    const card = await cardFor(w, id);
    const opened = w.slack.views.length;
    const click = await postToSlackEvents(w, clickPayload(w, card, 'airlock_deny', 'U0DANA'));
    expect(click.status).toBe(200);
    const modal = await eventually(async () => w.slack.views[opened], 10_000, 'deny modal');
    expect(modal.view.callback_id).toBe('airlock_deny_reason');
    expect(JSON.parse(modal.view.private_metadata)).toMatchObject({ requestId: id, channel: 'C0DBA' });
    expect((await stateOf(w, id)).status).toBe('pending_approval');

    // Submitting without a reason keeps the modal open with the error under the field.
    const empty = await postToSlackEvents(w, submitPayload(modal.view, 'U0DANA', '  '));
    expect(empty.status).toBe(200);
    expect(JSON.parse(empty.text)).toEqual({
      response_action: 'errors',
      errors: { reason: 'A reason is required.' },
    });
    expect((await stateOf(w, id)).decisions).toHaveLength(0);

    const before = Date.now();
    const sent = await postToSlackEvents(w, submitPayload(modal.view, 'U0DANA', 'not during the freeze'));
    expect(sent.status).toBe(200);
    expect(sent.text).toBe('');
    const answer = await ephemeralFor(w, 'U0DANA', before);
    expect(answer).toMatchObject({ channel: 'C0DBA', text: 'You denied this request. Nothing will run.' });
    const s = await waitForState(w, id, (x) => x.status === 'denied' && x.endedAt, 'denied');
    expect(s.reason).toBe('not during the freeze');
    expect(s.decisions[0]).toMatchObject({
      decision: 'deny',
      reason: 'not during the freeze',
      approver: { id: 'dana@example.com', channel: 'slack', channelUserId: 'U0DANA' },
    });
    await eventually(
      async () =>
        !hasButtons(card) && JSON.stringify(card.blocks).includes('not during the freeze') ? true : undefined,
      10_000,
      'card denied',
    );
    await eventually(
      async () =>
        w.slack
          .replies(card)
          .find((m) => /Outcome: Denied by dana@example.com: not during the freeze/.test(m.text ?? '')),
      10_000,
      'outcome in thread',
    );
    expect(w.target.calls.some((c) => JSON.stringify(c.body ?? '').includes('slack-deny-1'))).toBe(false);
  });

  it('refuses an unmapped user at the Deny click, without opening the modal, and records it', async () => {
    const id = await submit('slack-deny-2');
    const card = await cardFor(w, id);
    const opened = w.slack.views.length;
    const before = Date.now();
    await postToSlackEvents(w, clickPayload(w, card, 'airlock_deny', 'U0NOBODY'));
    const answer = await ephemeralFor(w, 'U0NOBODY', before);
    expect(answer.text).toMatch(/not mapped to an Airlock approver/);
    const s = await waitForState(w, id, (x) => x.refusedAttempts.length > 0, 'refusal');
    expect(s.refusedAttempts[0]).toMatchObject({ code: 'unmapped_identity', what: 'deny', channel: 'slack' });
    expect(w.slack.views.length).toBe(opened);
  });

  it('checks the submitter again: a modal submitted by an unmapped user decides nothing', async () => {
    const id = await submit('slack-deny-3');
    const card = await cardFor(w, id);
    const opened = w.slack.views.length;
    await postToSlackEvents(w, clickPayload(w, card, 'airlock_deny', 'U0DANA'));
    const modal = await eventually(async () => w.slack.views[opened], 10_000, 'deny modal');
    const before = Date.now();
    await postToSlackEvents(w, submitPayload(modal.view, 'U0NOBODY', 'I say no'));
    await ephemeralFor(w, 'U0NOBODY', before);
    const s = await waitForState(w, id, (x) => x.refusedAttempts.length > 0, 'refusal');
    expect(s.status).toBe('pending_approval');
    expect(s.decisions).toHaveLength(0);
  });
});
