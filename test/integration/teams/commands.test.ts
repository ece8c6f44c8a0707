// Where cards go, as an admin drives it from Teams: help, status, link (approvers only, policy
// channels only), unlink, uninstall; and cards that stay true to Teams' limits: user text is never
// markup, and a request near the 256 KiB body limit still makes a card Teams accepts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEAMS_MESSAGE_LIMIT_BYTES } from '../../fakes/bot-connector.js';
import { eventually } from '../../support/harness.js';
import {
  cardFor,
  cardOf,
  elements,
  httpRequest,
  installAndLink,
  sql,
  startTeamsWorld,
  submit,
  type TeamsWorld,
  textOf,
} from './fixtures.js';

let w: TeamsWorld;

beforeAll(async () => {
  w = await startTeamsWorld();
  await installAndLink(w, w.dba, 'dba-teams');
});

afterAll(async () => {
  await w?.stop();
});

async function command(text: string, user = w.users.dana, conversation = w.dba): Promise<string> {
  const before = w.teams.messagesIn(conversation.id).length;
  const res = await w.teams.deliver(w.h.url, w.teams.message(conversation, user, text));
  expect(res.status).toBe(200);
  // Text replies only: a pending request's card repost may land in the same conversation meanwhile.
  const replies = w.teams
    .messagesIn(conversation.id)
    .slice(before)
    .filter((m) => !m.versions[0]?.attachments?.length);
  expect(replies, `one reply to "${text}"`).toHaveLength(1);
  return replies[0]!.versions[0]!.text as string;
}

const links = () => sql(w, 'SELECT ref_name, conversation_id FROM teams_bindings ORDER BY ref_name');

describe('Teams commands', () => {
  it('answers help and status', async () => {
    expect(await command('help')).toMatch(/link <channel>/);
    expect(await command('what can you do?')).toMatch(/link <channel>/);
    const status = await command('status');
    expect(status).toContain('Linked here: dba.');
    expect(status).toContain('You are dana@example.com to Airlock.');
    expect(await command('status', w.users.mallory)).toContain('Airlock does not know you');
  });

  it('links only policy channels, and only for approvers', async () => {
    expect(await command('link no-such-channel')).toMatch(
      /no Teams channel no-such-channel\. Teams channels: dba-teams, oncall-teams/,
    );
    expect(await command('link oncall-teams', w.users.mallory)).toMatch(/^Only members of an approver group/);
    expect(await links()).toEqual([{ ref_name: 'dba', conversation_id: w.dba.id }]);
  });

  it('unlinks, after which cards for that channel have nowhere to go, and links again', async () => {
    expect(await command('unlink dba-teams')).toBe('Unlinked: dba.');
    expect(await links()).toEqual([]);
    const id = await submit(
      w,
      httpRequest({ parameters: { method: 'POST', path: '/x', body: { m: 'unlinked' } } }),
    );
    const state = await eventually(async () => {
      const s = (await w.h.api('audit@example.com', `/v1/actions/${id}`)).body;
      return s.status === 'pending_approval' ? s : undefined;
    });
    expect(state.status).toBe('pending_approval');
    expect(w.teams.messagesIn(w.dba.id).some((m) => JSON.stringify(m.versions[0]).includes(id))).toBe(false);
    expect(await command('link dba-teams')).toMatch(/^Linked: cards for dba/);
  });

  it('forgets a conversation (and its links) when the app is removed', async () => {
    const chat = w.teams.addConversation({
      id: '19:chat-remove@thread.v2',
      conversationType: 'groupChat',
      tenantId: w.tenantId,
    });
    await installAndLink(w, chat, 'oncall-teams');
    expect((await links()).map((l) => l.conversation_id)).toContain(chat.id);
    const removed = await w.teams.deliver(w.h.url, w.teams.installation(chat, w.users.dana, 'remove'));
    expect(removed.status).toBe(200);
    expect((await links()).map((l) => l.conversation_id)).not.toContain(chat.id);
    expect(await sql(w, 'SELECT 1 FROM teams_conversations WHERE conversation_id = $1', [chat.id])).toEqual(
      [],
    );
  });
});

describe('Teams card limits', () => {
  it('never lets user text become markup or a date template', async () => {
    const hostile =
      '{{DATE(2030-01-01T00:00:00Z, SHORT)}} [click](https://evil.example) **bold** <at>all</at>';
    const id = await submit(
      w,
      httpRequest({ justification: hostile, parameters: { method: 'POST', path: '/x', body: { m: 'esc' } } }),
    );
    const card = cardOf(await cardFor(w, w.dba, id));
    const carriers = elements(card).filter(
      (e) => typeof e.text === 'string' && e.text.includes('evil.example'),
    );
    expect(carriers.length).toBeGreaterThan(0);
    expect(carriers.every((e) => e.type === 'TextRun')).toBe(true);
    expect(textOf(card)).not.toContain('{{DATE(2030');
  });

  it('shrinks a request near the body limit into a card Teams accepts', async () => {
    // Four-byte characters make every bounded part of the card as heavy as it can be.
    const heavy = (n: number) => '😀'.repeat(n);
    const id = await submit(
      w,
      httpRequest({
        resource: `admin-api:/${heavy(500)}`,
        parameters: { method: 'POST', path: '/big', body: { a: heavy(15_000) } },
        diff: { unified: `--- a\n+++ b\n${`+${heavy(20)}\n`.repeat(500)}` },
        labels: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`label${i}`, heavy(300)])),
        justification: heavy(1999),
        agent: { name: heavy(100), model: heavy(100), onBehalfOf: 'ci@example.com' },
      }),
    );
    const message = await cardFor(w, w.dba, id);
    const size = Buffer.byteLength(JSON.stringify(message.versions[0]), 'utf8');
    expect(size).toBeLessThan(TEAMS_MESSAGE_LIMIT_BYTES);
    expect(textOf(cardOf(message))).toContain('(truncated)');
  });
});
