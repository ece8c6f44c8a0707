// State everywhere: a stage that times out reminds its conversation, then escalates: the next
// stage's conversation gets a new card, the first card is marked in place and told in its thread,
// and once the second stage decides, both cards in both conversations lose their buttons. Expiry,
// a cancel, and two conversations linked to one channel keep every copy true as well.
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
  await installAndLink(w, w.oncall, 'oncall');
});

afterAll(async () => {
  await w?.stop();
});

describe('Teams escalation', () => {
  it('posts to the next stage, marks the first card, and updates both when the request ends', async () => {
    const id = await submit(
      w,
      httpRequest({
        action: 'http.escalate',
        parameters: { method: 'POST', path: '/e', body: { m: 'esc' } },
      }),
    );
    const first = await cardFor(w, w.dba, id);
    expect(textOf(cardOf(first))).toContain('1 of 2, approvers dba');

    const second = await cardFor(w, w.oncall, id);
    expect(textOf(cardOf(second))).toContain('2 of 2, approvers oncall');
    const marked = await eventually(
      async () => (/escalated to stage 2/.test(textOf(cardOf(first))) ? cardOf(first) : undefined),
      10_000,
      'the first card marked as escalated',
    );
    expect(textOf(marked)).toContain('escalated to stage 2');
    const thread = () => w.teams.messagesIn(w.dba.id).filter((m) => m.threadId === first.id);
    const texts = thread().map((m) => m.versions[0]?.text as string);
    expect(texts.some((t) => /^Reminder: this request needs a decision before/.test(t))).toBe(true);
    expect(texts.some((t) => /escalated to stage 2/.test(t))).toBe(true);

    const approve = executeActions(cardOf(second)).find((a) => a.verb === 'airlock.approve')!;
    const answer = await w.teams.deliver(w.h.url, w.teams.click(w.oncall, w.users.sam, second.id, approve));
    expect(answer.body.value).toMatch(/^Approved/);
    await waitForStatus(w, id, ['succeeded']);
    for (const m of [first, second]) {
      const final = await eventually(
        async () => (/executed successfully/.test(textOf(cardOf(m))) ? cardOf(m) : undefined),
        10_000,
        'a final card',
      );
      expect(executeActions(final)).toEqual([]);
      expect(textOf(final)).toContain('Approved by sam@example.com via teams');
    }
  });

  it('marks the card when the request expires, and when the requester cancels', async () => {
    const expiring = await submit(
      w,
      httpRequest({ action: 'http.expire', parameters: { method: 'POST', path: '/e', body: { m: 'exp' } } }),
    );
    const expiredCard = await cardFor(w, w.dba, expiring);
    const cancelled = await submit(
      w,
      httpRequest({ parameters: { method: 'POST', path: '/e', body: { m: 'cancel' } } }),
    );
    const cancelledCard = await cardFor(w, w.dba, cancelled);
    const res = await w.h.api('ci@example.com', `/v1/actions/${cancelled}/cancel`, {
      body: { reason: 'not needed' },
    });
    expect(res.status).toBe(200);
    for (const [message, status] of [
      [expiredCard, /^Expired/],
      [cancelledCard, /^Cancelled by ci@example.com/],
    ] as const) {
      const final = await eventually(
        async () => (executeActions(cardOf(message)).length === 0 ? cardOf(message) : undefined),
        15_000,
        'a card without buttons',
      );
      const statusLine = elements(final).find((e) => e.id === 'status')?.inlines?.[0]?.text;
      expect(statusLine).toMatch(status);
    }
  });

  it('posts one copy per conversation linked to a channel and keeps both in step', async () => {
    const chat = w.teams.addConversation({
      id: '19:dba-chat@thread.v2',
      conversationType: 'groupChat',
      tenantId: w.tenantId,
    });
    await installAndLink(w, chat, 'dba');
    const id = await submit(
      w,
      httpRequest({ parameters: { method: 'POST', path: '/e', body: { m: 'twice' } } }),
    );
    const [inChannel, inChat] = await Promise.all([cardFor(w, w.dba, id), cardFor(w, chat, id)]);
    const approve = executeActions(cardOf(inChat)).find((a) => a.verb === 'airlock.approve')!;
    const answer = await w.teams.deliver(w.h.url, w.teams.click(chat, w.users.dana, inChat.id, approve));
    expect(answer.body.value).toMatch(/^Approved/);
    for (const m of [inChannel, inChat]) {
      await eventually(
        async () =>
          /executed successfully/.test(textOf(cardOf(m))) && executeActions(cardOf(m)).length === 0
            ? m
            : undefined,
        10_000,
        'both copies updated',
      );
    }
  });
});
