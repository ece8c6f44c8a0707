// The Slack endpoint with requests no listener of ours takes, and with forged ones: every signed
// request is answered at once (200, never Bolt's 3 s timeout and 404), a deny-reason submission
// without form values is refused on the modal instead of throwing, and each forged or stale
// request is counted by reason for airlock_webhook_refused_total.
import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelPluginContext, WebhookRefusal } from '../../../bots/plugin.js';
import type { RefusalRecorder } from '../../../bots/refusals.js';
import { describe as describeBody } from '../../../bots/slack/app.js';
import { createSlackPlugin } from '../../../bots/slack/index.js';
import { reasonOf } from '../../../bots/slack/interactions.js';
import { refusalKind } from '../../../bots/slack/verify.js';
import { parseEnv } from '../../../config/env.js';
import type { SqlDb } from '../../../db/sql.js';
import { parsePolicy } from '../../../policy/load.js';
import type { ActionClient } from '../../../temporal/action-client.js';
import { type FakeSlack, startFakeSlack } from '../../fakes/slack-api.js';

const TOKEN = 'xoxb-unit-0123456789';
const SECRET = 'signing-secret-unit-0123456789';
const POLICY = parsePolicy(
  `version: 1
groups: { dba: [dana@example.com] }
identities:
  - { email: dana@example.com, slack: { userId: U0DANA } }
rules: []
default: { effect: require_approval, stages: [{ approvers: [dba], timeout: 1h }] }
`,
  'unit.yaml',
);

let slack: FakeSlack;
let server: Server;
let url: string;
const logs: { level: number; msg: string }[] = [];
const refused: [string, WebhookRefusal][] = [];

beforeAll(async () => {
  slack = await startFakeSlack({ token: TOKEN, channels: ['C1'], users: [{ id: 'U0DANA', team_id: 'T0' }] });
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _enc, done) {
        logs.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  const ctx: ChannelPluginContext = {
    env: parseEnv({
      AIRLOCK_DEMO: 'true',
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: `${slack.apiUrl}/`,
    }),
    policy: { current: () => POLICY },
    // Nothing here reaches a workflow: no listener decides anything.
    actions: {} as ActionClient,
    refusals: {} as RefusalRecorder,
    db: {} as SqlDb,
    logger,
    publicUrl: 'http://airlock.test',
    metrics: { webhookRefused: (channel, reason) => void refused.push([channel, reason]) },
  };
  const plugin = await createSlackPlugin()(ctx);
  const app = express();
  app.use(plugin.router!);
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await slack?.close();
});

async function send(payload: unknown, opts: { json?: boolean; secret?: string; age?: number } = {}) {
  const body = opts.json
    ? JSON.stringify(payload)
    : new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const ts = Math.floor(Date.now() / 1000) - (opts.age ?? 0);
  const sig = createHmac('sha256', opts.secret ?? SECRET)
    .update(`v0:${ts}:${body}`)
    .digest('hex');
  const started = Date.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': opts.json ? 'application/json' : 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': `v0=${sig}`,
    },
    body,
  });
  const text = await res.text();
  return { status: res.status, text, ms: Date.now() - started };
}

const user = { id: 'U0DANA', team_id: 'T0' };

describe('POST /slack/events, requests no listener takes', () => {
  it.each([
    [
      'another button',
      { type: 'block_actions', user, team: { id: 'T0' }, actions: [{ action_id: 'x', type: 'button' }] },
    ],
    ['a shortcut', { type: 'shortcut', callback_id: 'x', trigger_id: '1', user, team: { id: 'T0' } }],
    [
      'view_closed',
      {
        type: 'view_closed',
        user,
        team: { id: 'T0' },
        view: { id: 'V', callback_id: 'airlock_deny_reason' },
      },
    ],
    ['an unrouted event', { type: 'event_callback', team_id: 'T0', event: { type: 'app_mention' } }, true],
    ['an unroutable body', { event: 0 }, true],
    ['null', null, true],
  ] as [string, unknown, boolean?][])('%s: 200 at once, logged at info', async (what, payload, json) => {
    const before = logs.length;
    const res = await send(payload, { json });
    expect(res.status, what).toBe(200);
    expect(res.ms, what).toBeLessThan(1000);
    const lines = logs.slice(before);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    // Bolt acknowledges Events API requests itself, listener or not; the rest are ours to log.
    const boltAcks = (payload as { type?: string } | null)?.type === 'event_callback';
    expect(
      lines.some((l) => l.level === 30 && /acknowledged/.test(l.msg)),
      what,
    ).toBe(!boltAcks);
  });

  it('a deny-reason submission without form values: refused on the modal, not thrown', async () => {
    const before = logs.length;
    const view = { id: 'V', callback_id: 'airlock_deny_reason', private_metadata: '{}' };
    for (const state of [undefined, {}, { values: 'x' }]) {
      const res = await send({ type: 'view_submission', user, team: { id: 'T0' }, view: { ...view, state } });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({
        response_action: 'errors',
        errors: { reason: expect.any(String) },
      });
    }
    expect(logs.slice(before).filter((l) => l.msg === 'slack listener failed')).toEqual([]);
  });

  it('forged and stale requests are still 401, and counted by reason', async () => {
    refused.length = 0;
    const payload = { type: 'block_actions', user, actions: [{ action_id: 'x' }] };
    expect((await send(payload, { secret: 'forged' })).status).toBe(401);
    expect((await send(payload, { age: 600 })).status).toBe(401);
    expect((await fetch(url, { method: 'POST', body: 'x' })).status).toBe(401);
    expect(refused).toEqual([
      ['slack', 'signature'],
      ['slack', 'stale_timestamp'],
      ['slack', 'signature'],
    ]);
  });
});

describe('helpers', () => {
  it('reasonOf: the typed reason, empty when the field is, undefined without form values', () => {
    const values = (value: unknown) => ({ state: { values: { reason: { reason: { value } } } } });
    expect(reasonOf(values('  because  '))).toBe('because');
    expect(reasonOf(values(null))).toBe('');
    expect(reasonOf(values(5))).toBe('');
    expect(reasonOf({ state: { values: {} } })).toBe('');
    expect(reasonOf({ state: {} })).toBeUndefined();
    expect(reasonOf({ state: { values: [] } })).toBeUndefined();
    expect(reasonOf(undefined)).toBeUndefined();
  });

  it('refusalKind: stale timestamps apart, every other signature failure as signature', () => {
    expect(refusalKind('timestamp outside the five-minute window')).toBe('stale_timestamp');
    for (const r of [
      'missing signature headers',
      'malformed timestamp',
      'malformed signature',
      'signature mismatch',
    ]) {
      expect(refusalKind(r)).toBe('signature');
    }
  });

  it('describe: type and routing ids only, bounded', () => {
    expect(
      describeBody({
        type: 'block_actions',
        actions: [{ action_id: 'a'.repeat(300), value: 'secret' }, null],
        user: { id: 'U' },
      }),
    ).toEqual({ type: 'block_actions', actionIds: ['a'.repeat(100)] });
    expect(describeBody({ type: 'event_callback', event: { type: 'app_mention', text: 'hi' } })).toEqual({
      type: 'event_callback',
      eventType: 'app_mention',
    });
    expect(describeBody(null)).toEqual({});
  });
});
