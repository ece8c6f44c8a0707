// Break-glass in Slack: the loud card (no approve buttons, an Acknowledge button), a stage
// approver's signed click recording the review, the requester refused, and the card updated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/harness.js';
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
  w = await startSlackWorld();
});

afterAll(async () => {
  await w?.stop();
});

expectSlackAccepted(() => w);

describe('Slack break-glass', () => {
  it('posts a BREAK-GLASS card and records an Acknowledge click as the review', async () => {
    const res = await w.h.api('ci@example.com', '/v1/actions', {
      body: httpRequest({
        parameters: { method: 'POST', path: '/config', body: { m: 'slack-bg' } },
        breakGlass: { reason: 'the checkout is down, flag must go off' },
      }),
    });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    await waitForState(w, id, (s) => s.status === 'succeeded', 'succeeded');
    const card = await cardFor(w, id);
    const text = JSON.stringify(card.blocks);
    expect(text).toContain('BREAK-GLASS');
    expect(text).toContain('the checkout is down');
    expect(text).not.toContain('airlock_approve');
    expect(text).toContain('airlock_breakglass_ack');

    // Someone outside the rule's stages is refused, and nothing is recorded as a review.
    const early = Date.now();
    await postToSlackEvents(w, clickPayload(w, card, 'airlock_breakglass_ack', 'U0SAM'));
    expect((await ephemeralFor(w, 'U0SAM', early)).text).toMatch(/^Refused/);

    const before = Date.now();
    const click = await postToSlackEvents(w, clickPayload(w, card, 'airlock_breakglass_ack', 'U0DANA'));
    expect(click.status).toBe(200);
    expect((await ephemeralFor(w, 'U0DANA', before)).text).toMatch(/acknowledged/);
    const reviewed = await waitForState(w, id, (s) => s.breakGlass?.review !== undefined, 'reviewed');
    expect(reviewed.breakGlass.review).toMatchObject({
      outcome: 'acknowledged',
      by: 'dana@example.com',
      channel: 'slack',
    });
    // The card loses its button once reviewed.
    await eventually(
      async () =>
        JSON.stringify((await cardFor(w, id)).blocks).includes('airlock_breakglass_ack') ? undefined : true,
      15_000,
      'card without the review button',
    );
  });
});
