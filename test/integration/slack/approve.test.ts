// Slack approvals end to end over real HTTP: the card posted to the policy channel, a signed
// Approve click that runs the action, the card updated in place without buttons and the outcome in
// its thread; a decision over the API reaching the Slack card; self-approval and unmapped users
// refused, answered ephemerally, and recorded. Break-glass: the loud card, and its Acknowledge
// button recording the review.
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
  waitForState,
} from './support.js';

let w: SlackWorld;

beforeAll(async () => {
  w = await startSlackWorld();
});

afterAll(async () => {
  await w?.stop();
});

const slackCalls = expectSlackAccepted(() => w);

/** Waits until the request's workflow has closed (the index says when). */
const closedWorkflow = (id: string) =>
  eventually(
    async () => {
      const list = await w.h.api('audit@example.com', '/v1/actions?requester=ci@example.com&limit=50');
      return list.body.items?.find((i: { id: string; closedAt?: string }) => i.id === id && i.closedAt);
    },
    20_000,
    'workflow closed',
  );

async function submit(marker: string, as = 'ci@example.com'): Promise<string> {
  const res = await w.h.api(as, '/v1/actions', {
    body: httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: marker } } }),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id as string;
}

const ranFor = (marker: string) =>
  w.target.calls.filter((c) => JSON.stringify(c.body ?? '').includes(marker)).length;

describe('Slack approvals', () => {
  it('posts the card, runs the action on a signed Approve click, and ends the card without buttons', async () => {
    const id = await submit('slack-approve-1');
    const card = await cardFor(w, id);
    const pending = await stateOf(w, id);
    expect(card.channel).toBe('C0DBA');
    expect(hasButtons(card)).toBe(true);
    expect(JSON.stringify(card.blocks)).toContain(pending.parametersHash);
    expect(ranFor('slack-approve-1')).toBe(0);

    const before = Date.now();
    const click = await postToSlackEvents(w, clickPayload(w, card, 'airlock_approve', 'U0DANA'));
    expect(click.status).toBe(200);
    expect(click.ms).toBeLessThan(3000);
    const answer = await ephemeralFor(w, 'U0DANA', before);
    expect(answer.channel).toBe('C0DBA');
    expect(answer).toMatchObject({
      via: 'chat.postEphemeral',
      text: expect.stringMatching(/^You approved this request/),
    });

    const done = await waitForState(w, id, (s) => s.status === 'succeeded' && s.endedAt, 'succeeded');
    expect(done.decidedBy).toBe('dana@example.com');
    expect(done.decisions[0].approver).toMatchObject({
      id: 'dana@example.com',
      channel: 'slack',
      channelUserId: 'U0DANA',
    });
    expect(ranFor('slack-approve-1')).toBe(1);
    await eventually(
      async () =>
        !hasButtons(card) && JSON.stringify(card.blocks).includes('executed successfully') ? true : undefined,
      10_000,
      'card updated to succeeded',
    );
    expect(card.versions.length).toBeGreaterThan(2);
    const replies = await eventually(
      async () => {
        const r = w.slack.replies(card);
        return r.some((m) => /Outcome: .*executed successfully/.test(m.text ?? '')) ? r : undefined;
      },
      10_000,
      'outcome in thread',
    );
    expect(replies.filter((m) => /^\S* ?Outcome:/.test(m.text ?? ''))).toHaveLength(1);
  });

  it('updates the Slack card when the decision is made over the API', async () => {
    const id = await submit('slack-api-1');
    const card = await cardFor(w, id);
    const res = await w.h.api('dev@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'deny', reason: 'not during the freeze' },
    });
    expect(res.status).toBe(200);
    await eventually(
      async () =>
        !hasButtons(card) && JSON.stringify(card.blocks).includes('not during the freeze') ? true : undefined,
      10_000,
      'card shows the API deny',
    );
    expect(JSON.stringify(card.blocks)).toContain('Denied by dev@example.com');
    const outcome = await eventually(
      async () => w.slack.replies(card).find((m) => /Outcome: Denied by dev@example.com/.test(m.text ?? '')),
      10_000,
      'outcome reply',
    );
    expect(outcome.thread_ts).toBe(card.ts);
    expect(ranFor('slack-api-1')).toBe(0);
  });

  it('refuses self-approval from Slack, answers ephemerally and records the attempt', async () => {
    const id = await submit('slack-self-1', 'dana@example.com');
    const card = await cardFor(w, id);
    const before = Date.now();
    const click = await postToSlackEvents(w, clickPayload(w, card, 'airlock_approve', 'U0DANA'));
    expect(click.status).toBe(200);
    const answer = await ephemeralFor(w, 'U0DANA', before);
    expect(answer.text).toMatch(/^Refused: you cannot decide a request you made/);
    const s = await waitForState(w, id, (x) => x.refusedAttempts.length > 0, 'refusal recorded');
    expect(s.status).toBe('pending_approval');
    expect(s.decisions).toHaveLength(0);
    expect(s.refusedAttempts[0]).toMatchObject({
      code: 'self_approval',
      channel: 'slack',
      actor: 'dana@example.com',
    });
    const audit = await w.h.api('audit@example.com', `/v1/actions/${id}/audit`);
    expect(audit.body.events.map((e: { type: string }) => e.type)).toContain('attempt.refused');
    expect(hasButtons(card)).toBe(true);
  });

  it('refuses a Slack user the policy does not map, records it, and decides nothing', async () => {
    const id = await submit('slack-unmapped-1');
    const card = await cardFor(w, id);
    const before = Date.now();
    // U0DEV has an e-mail in Slack, but e-mail look-up is off here: only the policy counts.
    const click = await postToSlackEvents(w, clickPayload(w, card, 'airlock_approve', 'U0DEV'));
    expect(click.status).toBe(200);
    const answer = await ephemeralFor(w, 'U0DEV', before);
    expect(answer.text).toMatch(/not mapped to an Airlock approver/);
    const s = await waitForState(w, id, (x) => x.refusedAttempts.length > 0, 'unmapped refusal');
    expect(s.refusedAttempts[0]).toMatchObject({
      code: 'unmapped_identity',
      channel: 'slack',
      actor: 'slack:T0AIRLOCK:U0DEV',
      what: 'approve',
    });
    expect(s.decisions).toHaveLength(0);
    expect(s.status).toBe('pending_approval');
    expect(w.slack.callsOf('users.info')).toHaveLength(0);
  });

  it('refuses a mapped user id clicking from a workspace its mapping does not name', async () => {
    const id = await submit('slack-team-1');
    const card = await cardFor(w, id);
    const before = Date.now();
    await postToSlackEvents(w, clickPayload(w, card, 'airlock_approve', 'U0SAM', 'T0OTHER'));
    const answer = await ephemeralFor(w, 'U0SAM', before);
    expect(answer.text).toMatch(/another Slack workspace/);
    const s = await waitForState(w, id, (x) => x.refusedAttempts.length > 0, 'team refusal');
    expect(s.refusedAttempts[0].code).toBe('unmapped_identity');
  });

  it('answers through the response_url of the click when the bot is not in the channel', async () => {
    // chat:write.public lets the bot post to a public channel it has not joined, not ephemerally.
    w.slack.botMemberOf.delete('C0DBA');
    slackCalls.allow('not_in_channel');
    try {
      const id = await submit('slack-respond-1');
      const card = await cardFor(w, id);
      const before = Date.now();
      await postToSlackEvents(w, clickPayload(w, card, 'airlock_approve', 'U0DANA'));
      const answer = await ephemeralFor(w, 'U0DANA', before);
      expect(answer).toMatchObject({
        via: 'response_url',
        channel: 'C0DBA',
        text: expect.stringMatching(/^You approved/),
      });
      expect(w.slack.callsOf('chat.postEphemeral').at(-1)?.error).toBe('not_in_channel');
      await waitForState(w, id, (s) => s.status === 'succeeded', 'succeeded');
    } finally {
      w.slack.botMemberOf.add('C0DBA');
    }
  });

  it('refuses and records a click that arrives after the request has closed', async () => {
    const id = await submit('slack-late-1');
    const card = await cardFor(w, id);
    const stale = clickPayload(w, card, 'airlock_approve', 'U0DANA');
    const ok = await w.h.api('dev@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(ok.status).toBe(200);
    await closedWorkflow(id);
    const before = Date.now();
    // A client that had not refreshed the card yet still sends the old button's click.
    expect((await postToSlackEvents(w, stale)).status).toBe(200);
    expect((await ephemeralFor(w, 'U0DANA', before)).text).toBe(
      'This request has already ended; nothing was changed.',
    );
    const audit = await eventually(
      async () => {
        const res = await w.h.api('audit@example.com', `/v1/actions/${id}/audit`);
        const refused = res.body.events.filter((e: { type: string }) => e.type === 'attempt.refused');
        return refused.length ? refused : undefined;
      },
      10_000,
      'late attempt in the audit trail',
    );
    expect(audit[0]).toMatchObject({
      actor: 'dana@example.com',
      data: { code: 'request_ended', channel: 'slack', what: 'approve' },
    });
    expect((await stateOf(w, id)).decidedBy).toBe('dev@example.com');
  });
});

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

    const stale = clickPayload(w, card, 'airlock_breakglass_ack', 'U0DANA');
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
    // A late click on the old card, once the request has closed: answered, and in the trail.
    await closedWorkflow(id);
    const late = Date.now();
    await postToSlackEvents(w, stale);
    expect((await ephemeralFor(w, 'U0DANA', late)).text).toMatch(/already been reviewed/);
    const refused = await eventually(
      async () => {
        const res = await w.h.api('audit@example.com', `/v1/actions/${id}/audit`);
        const events = res.body.events.filter(
          (e: { type: string; data?: { what?: string; code?: string } }) =>
            e.type === 'attempt.refused' &&
            e.data?.what === 'review:acknowledge' &&
            e.data.code === 'request_ended',
        );
        return events.length ? events : undefined;
      },
      10_000,
      'the late acknowledge in the audit trail',
    );
    expect(refused[0]).toMatchObject({ actor: 'dana@example.com' });
  });
});

describe('Slack standing approvals', () => {
  it('"Approve + same again" approves this request and, at once, the next one in scope', async () => {
    const body = httpRequest({
      action: 'http.standing',
      parameters: { method: 'POST', path: '/s', body: { m: 'slack-standing' } },
    });
    const first = await w.h.api('ci@example.com', '/v1/actions', { body });
    const card = await cardFor(w, first.body.id);
    const before = Date.now();
    await postToSlackEvents(w, clickPayload(w, card, 'airlock_approve_standing', 'U0DANA'));
    expect((await ephemeralFor(w, 'U0DANA', before)).text).toMatch(/You approved/);
    const done = await waitForState(w, first.body.id, (s) => s.status === 'succeeded', 'succeeded');
    expect(done.decisions[0]).toMatchObject({
      approver: { channel: 'slack' },
      standing: { ttlMs: 3_600_000 },
    });
    const again = await w.h.api('ci@example.com', '/v1/actions', { body });
    const auto = await waitForState(w, again.body.id, (s) => s.status === 'succeeded', 'auto-approved');
    expect(auto.decidedBy).toBe(`standing:${done.standing.created.id}`);
  });
});
