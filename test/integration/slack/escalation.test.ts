// Escalation and expiry in Slack, with real (seconds-long) stage timeouts: the reminder and the
// escalation arrive as thread replies of the stage-1 card, the stage-2 card is posted to the next
// channel, and when the last stage times out every card is updated to "expired" without buttons.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/harness.js';
import { httpRequest } from '../core/fixtures.js';
import {
  cardFor,
  expectSlackAccepted,
  hasButtons,
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

describe('Slack escalation', () => {
  it('replies in the thread on reminder and escalation, posts stage 2, and expires every card', async () => {
    const res = await w.h.api('ci@example.com', '/v1/actions', {
      body: httpRequest({
        action: 'http.escalate',
        parameters: { method: 'POST', path: '/e', body: { m: 'slack-esc' } },
      }),
    });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    const first = await cardFor(w, id, 'C0DBA');
    expect(hasButtons(first)).toBe(true);

    const second = await cardFor(w, id, 'C0ONCALL');
    expect(hasButtons(second)).toBe(true);
    expect(JSON.stringify(second.blocks)).toContain('Stage* 2 of 2 (oncall)');
    const replies = w.slack.replies(first).map((m) => m.text ?? '');
    const reminder = replies.findIndex((t) => t.startsWith('Reminder: this request needs a decision before'));
    const escalated = replies.indexOf('escalated to stage 2');
    expect(reminder).toBeGreaterThanOrEqual(0);
    expect(escalated).toBeGreaterThan(reminder);
    expect(w.slack.replies(first).every((m) => m.thread_ts === first.ts)).toBe(true);
    // The stage-1 card was updated in place to say so (its approvers may still decide).
    expect(first.versions.some((v) => JSON.stringify(v.blocks).includes('escalated to stage 2'))).toBe(true);

    await waitForState(w, id, (s) => s.status === 'expired' && s.endedAt, 'expired');
    for (const card of [first, second]) {
      await eventually(
        async () => (!hasButtons(card) && JSON.stringify(card.blocks).includes('Expired') ? true : undefined),
        10_000,
        `card in ${card.channel} expired`,
      );
      await eventually(
        async () => w.slack.replies(card).find((m) => /Outcome: Expired/.test(m.text ?? '')),
        10_000,
        `outcome in the ${card.channel} thread`,
      );
    }
  });
});
