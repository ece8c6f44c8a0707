// The fake Slack Web API refuses what Slack refuses, so a passing Slack scenario means Slack would
// have accepted the same calls: bearer token, Block Kit limits (invalid_blocks with json-pointer
// messages), message sizes, unknown channels/messages/users, and single-use 3-second trigger ids.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../../fakes/slack-api.js';

const TOKEN = 'xoxb-fake-token';
let slack: FakeSlack;

beforeAll(async () => {
  slack = await startFakeSlack({
    token: TOKEN,
    channels: ['C1'],
    users: [{ id: 'U1', team_id: 'T0AIRLOCK', email: 'u1@example.com' }],
  });
});

afterAll(async () => {
  await slack?.close();
});

async function call(
  method: string,
  args: Record<string, unknown>,
  token: string | null = TOKEN,
  json = false,
) {
  const headers: Record<string, string> = {
    'content-type': json ? 'application/json; charset=utf-8' : 'application/x-www-form-urlencoded',
  };
  if (token) headers.authorization = `Bearer ${token}`;
  const body = json
    ? JSON.stringify(args)
    : new URLSearchParams(
        Object.entries(args).map(([k, v]): [string, string] => [
          k,
          typeof v === 'string' ? v : JSON.stringify(v),
        ]),
      ).toString();
  const res = await fetch(`${slack.apiUrl}/${method}`, { method: 'POST', headers, body });
  expect(res.status).toBe(200);
  return (await res.json()) as any;
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('fake Slack Web API', () => {
  it('checks the bearer token like Slack', async () => {
    expect((await call('auth.test', {}, null)).error).toBe('not_authed');
    expect((await call('auth.test', {}, 'xoxb-wrong')).error).toBe('invalid_auth');
    expect(await call('auth.test', {})).toMatchObject({ ok: true, team_id: 'T0AIRLOCK' });
  });

  it('accepts a valid message as form or JSON and records it', async () => {
    const a = await call('chat.postMessage', { channel: 'C1', text: 'hi', blocks: [section('hello')] });
    const b = await call(
      'chat.postMessage',
      { channel: 'C1', text: 'hi', blocks: [section('hello')] },
      TOKEN,
      true,
    );
    expect(a).toMatchObject({ ok: true, channel: 'C1' });
    expect(b.ok).toBe(true);
    expect(slack.messagesIn('C1').map((m) => m.ts)).toEqual(expect.arrayContaining([a.ts, b.ts]));
  });

  it.each([
    [
      '51 blocks',
      Array.from({ length: 51 }, () => ({ type: 'divider' })),
      'must be less than 51 items [json-pointer:/blocks]',
    ],
    [
      'section text of 3001',
      [section('x'.repeat(3001))],
      'must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
    ],
    [
      '11 fields',
      [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }],
      'must be less than 11 items [json-pointer:/blocks/0/fields]',
    ],
    [
      'a field of 2001',
      [{ type: 'section', fields: [{ type: 'mrkdwn', text: 'x'.repeat(2001) }] }],
      'must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]',
    ],
    [
      'a header of 151',
      [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }],
      'must be less than 151 characters [json-pointer:/blocks/0/text/text]',
    ],
    [
      'mrkdwn in a header',
      [{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }],
      'must be plain_text [json-pointer:/blocks/0/text/type]',
    ],
    [
      'a button label of 76',
      [
        {
          type: 'actions',
          elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'x'.repeat(76) } }],
        },
      ],
      'must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]',
    ],
    [
      'a confirm text of 301',
      [
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'ok' },
              confirm: {
                title: { type: 'plain_text', text: 't' },
                text: { type: 'mrkdwn', text: 'x'.repeat(301) },
                confirm: { type: 'plain_text', text: 'y' },
                deny: { type: 'plain_text', text: 'n' },
              },
            },
          ],
        },
      ],
      'must be less than 301 characters [json-pointer:/blocks/0/elements/0/confirm/text/text]',
    ],
    [
      'an unknown block type',
      [{ type: 'marquee' }],
      'failed to match all allowed schemas [json-pointer:/blocks/0]',
    ],
    [
      'an input block in a message',
      [{ type: 'input' }],
      'input blocks are only for modals [json-pointer:/blocks/0]',
    ],
  ])('refuses %s with invalid_blocks', async (_what, blocks, message) => {
    const res = await call('chat.postMessage', { channel: 'C1', text: 'x', blocks });
    expect(res.ok).toBe(false);
    expect(res.error).toBe('invalid_blocks');
    expect(res.response_metadata.messages).toContain(`[ERROR] ${message}`);
  });

  it('refuses too much text, no text, bad block JSON, unknown channels and messages', async () => {
    const long = Array.from({ length: 5 }, () => section('x'.repeat(2900)));
    expect((await call('chat.postMessage', { channel: 'C1', text: 'x', blocks: long })).error).toBe(
      'msg_blocks_too_long',
    );
    expect((await call('chat.postMessage', { channel: 'C1', text: 'x'.repeat(40_001) })).error).toBe(
      'msg_too_long',
    );
    expect((await call('chat.postMessage', { channel: 'C1' })).error).toBe('no_text');
    expect((await call('chat.postMessage', { channel: 'C1', text: 'x', blocks: '[{' })).error).toBe(
      'invalid_blocks_format',
    );
    expect((await call('chat.postMessage', { channel: 'C9', text: 'x' })).error).toBe('channel_not_found');
    expect((await call('chat.update', { channel: 'C1', ts: '1.000009', text: 'x' })).error).toBe(
      'message_not_found',
    );
    expect((await call('chat.postMessage', { channel: 'C1', text: 'x', thread_ts: '1.000009' })).error).toBe(
      'thread_not_found',
    );
    expect((await call('chat.postEphemeral', { channel: 'C1', user: 'U9', text: 'x' })).error).toBe(
      'user_not_found',
    );
    expect((await call('users.info', { user: 'U9' })).error).toBe('user_not_found');
  });

  it('opens a modal once per trigger id, within 3 seconds, and checks modal limits', async () => {
    const view = { type: 'modal', title: { type: 'plain_text', text: 'Deny' }, blocks: [section('x')] };
    const trigger = slack.issueTrigger();
    expect((await call('views.open', { trigger_id: trigger, view })).ok).toBe(true);
    expect((await call('views.open', { trigger_id: trigger, view })).error).toBe('exchanged_trigger_id');
    expect((await call('views.open', { trigger_id: 'made-up', view })).error).toBe('invalid_trigger_id');
    const long = await call('views.open', {
      trigger_id: slack.issueTrigger(),
      view: { ...view, title: { type: 'plain_text', text: 'x'.repeat(25) } },
    });
    expect(long.error).toBe('invalid_arguments');
    expect(long.response_metadata.messages).toContain(
      '[ERROR] must be less than 25 characters [json-pointer:/view/title/text]',
    );
  });

  it('expires trigger ids after 3 seconds', async () => {
    const trigger = slack.issueTrigger();
    await new Promise((r) => setTimeout(r, 3100));
    const view = { type: 'modal', title: { type: 'plain_text', text: 'Deny' }, blocks: [section('x')] };
    expect((await call('views.open', { trigger_id: trigger, view })).error).toBe('expired_trigger_id');
  });

  it('takes the token as a form field too, and never keeps it in what it records', async () => {
    expect((await call('auth.test', { token: TOKEN }, null)).ok).toBe(true);
    expect(slack.calls.at(-1)).toMatchObject({ method: 'auth.test', ok: true });
    expect(JSON.stringify(slack.calls)).not.toContain(TOKEN);
  });
});
