// A local fake of the Slack Web API methods Airlock calls (auth.test, chat.postMessage,
// chat.update, chat.postEphemeral, views.open, users.info). It refuses what Slack refuses: a
// missing or wrong bearer token, unknown channels/messages/users, Block Kit beyond its limits
// (invalid_blocks with json-pointer messages, like the real API), overlong text, and trigger ids
// that are unknown, already used or older than 3 seconds. Everything accepted is recorded.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSlackUser {
  id: string;
  team_id: string;
  name?: string;
  email?: string;
  is_bot?: boolean;
  deleted?: boolean;
  is_email_confirmed?: boolean;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: any[];
  /** Every version: the first post, then each chat.update. */
  versions: { text?: string; blocks?: any[] }[];
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  text: string;
  at: number;
  /** chat.postEphemeral, or a POST to the interaction's response_url. */
  via: 'chat.postEphemeral' | 'response_url';
}

export interface FakeCall {
  method: string;
  ok: boolean;
  error?: string;
  /** The arguments as sent (the token is never kept). */
  args: Record<string, unknown>;
  /** When it was answered (ms since the epoch). */
  at?: number;
}

export interface FakeSlackOptions {
  token: string;
  teamId?: string;
  channels?: string[];
  users?: FakeSlackUser[];
}

type Args = Record<string, unknown>;
type Answer = Record<string, unknown> & { ok: boolean };

const fail = (error: string, messages?: string[]): Answer => ({
  ok: false,
  error,
  ...(messages?.length
    ? { errors: messages, response_metadata: { messages: messages.map((m) => `[ERROR] ${m}`) } }
    : {}),
});

/**
 * How the fake fails while it is down (`fail()`), as Slack does in an outage: `http_503` answers
 * HTTP 503 with `{ok:false,error:'service_unavailable'}`; `service_unavailable` the same body with
 * HTTP 200 (Slack's documented error for a call it could not serve); `ratelimited` HTTP 429 with
 * `Retry-After: 1` (what @slack/web-api waits out and retries).
 */
export type SlackOutageMode = 'http_503' | 'service_unavailable' | 'ratelimited';

export const TRIGGER_TTL_MS = 3000;
/** Slack refuses a message whose blocks carry more text than this (empirical; bolt-js#2509). */
export const MAX_BLOCKS_TEXT = 13_000;

export class FakeSlack {
  readonly messages: FakeMessage[] = [];
  readonly ephemerals: FakeEphemeral[] = [];
  readonly views: { id: string; view: any; user?: string }[] = [];
  readonly calls: FakeCall[] = [];
  readonly users = new Map<string, FakeSlackUser>();
  readonly channels: Set<string>;
  /** Channels the bot has joined; it can post to the others (chat:write.public) but not ephemerally. */
  readonly botMemberOf: Set<string>;
  readonly teamId: string;
  readonly botUserId = 'U0AIRLOCKBOT';
  readonly botId = 'B0AIRLOCK';
  url = '';
  private server?: Server;
  private seq = 0;
  private readonly triggers = new Map<string, { issued: number; used: boolean }>();
  private readonly failures = new Map<string, string[]>();
  private outage?: { until: number; mode: SlackOutageMode };

  constructor(private readonly opts: FakeSlackOptions) {
    this.teamId = opts.teamId ?? 'T0AIRLOCK';
    this.channels = new Set(opts.channels ?? []);
    this.botMemberOf = new Set(opts.channels ?? []);
    for (const u of opts.users ?? []) this.users.set(u.id, u);
  }

  /** The base URL to give as SLACK_API_URL. */
  get apiUrl(): string {
    return `${this.url}/api`;
  }

  /** A trigger id as Slack puts in an interaction payload: valid once, for 3 seconds. */
  issueTrigger(): string {
    const id = `${Date.now()}.${randomBytes(6).toString('hex')}`;
    this.triggers.set(id, { issued: Date.now(), used: false });
    return id;
  }

  /** The response_url Slack would put in `user`'s interaction payload for a message in `channel`. */
  responseUrl(channel: string, user: string): string {
    return `${this.url}/actions/${channel}/${user}/${randomBytes(6).toString('hex')}`;
  }

  /** The next `method` call answers `error` (a Slack outage, a deleted channel...). */
  failNext(method: string, error: string): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), error]);
  }

  /**
   * Slack is down: every call (Web API and response_url) fails for `forMs` milliseconds, or until
   * `recover()` when no duration is given. Failed calls are kept in `calls` with `error: 'outage:<mode>'`.
   */
  fail(forMs?: number, mode: SlackOutageMode = 'http_503'): void {
    this.outage = { until: forMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + forMs, mode };
  }

  recover(): void {
    this.outage = undefined;
  }

  /** Whether the fake is failing right now. */
  get failing(): boolean {
    return this.outage !== undefined && Date.now() < this.outage.until;
  }

  /** Top-level messages (not thread replies) in a channel, oldest first. */
  messagesIn(channel: string): FakeMessage[] {
    return this.messages.filter((m) => m.channel === channel && !m.thread_ts);
  }

  /** Top-level messages whose blocks name this request. */
  cardsFor(requestId: string): FakeMessage[] {
    return this.messages.filter(
      (m) => !m.thread_ts && JSON.stringify(m.versions[0]?.blocks ?? []).includes(requestId),
    );
  }

  replies(m: FakeMessage): FakeMessage[] {
    return this.messages.filter((r) => r.channel === m.channel && r.thread_ts === m.ts);
  }

  callsOf(method: string): FakeCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      if (this.failing) {
        void this.refuse(req, res);
        return;
      }
      void this.handle(req).then(
        (answer) => {
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify(answer));
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }

  /** An answer during an outage (the body is read first, as a server would). */
  private async refuse(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await readBody(req).catch(() => '');
    const mode = this.outage!.mode;
    const method = /^\/api\/([a-zA-Z.]+)$/.exec(req.url ?? '')?.[1] ?? 'response_url';
    this.calls.push({ method, ok: false, error: `outage:${mode}`, args: {}, at: Date.now() });
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (mode === 'ratelimited') {
      res.writeHead(429, { ...headers, 'retry-after': '1' });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    res.writeHead(mode === 'http_503' ? 503 : 200, headers);
    res.end(JSON.stringify({ ok: false, error: 'service_unavailable' }));
  }

  private async handle(req: IncomingMessage): Promise<Answer> {
    const response = /^\/actions\/([A-Z0-9]+)\/([A-Z0-9]+)\/[0-9a-f]+$/.exec(req.url ?? '');
    if (response) return this.respond(response[1]!, response[2]!, await readBody(req));
    const method = /^\/api\/([a-zA-Z.]+)$/.exec(req.url ?? '')?.[1] ?? '';
    const raw = await readBody(req);
    const parsed = parseArgs(req.headers['content-type'], raw);
    const args: Args = parsed ?? {};
    const { token, ...kept } = args;
    const answer = this.dispatch(method, req, parsed, token);
    this.calls.push({
      method,
      ok: answer.ok,
      error: answer.error as string | undefined,
      args: kept,
      at: Date.now(),
    });
    return answer;
  }

  private dispatch(method: string, req: IncomingMessage, args: Args | undefined, bodyToken: unknown): Answer {
    if (!args) return fail('invalid_form_data');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? (typeof bodyToken === 'string' ? bodyToken : undefined);
    if (!token) return fail('not_authed');
    if (token !== this.opts.token) return fail('invalid_auth');
    const forced = this.failures.get(method)?.shift();
    if (forced) return fail(forced);
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://airlock-test.slack.com/',
          team: 'Airlock Test',
          user: 'airlock',
          team_id: this.teamId,
          user_id: this.botUserId,
          bot_id: this.botId,
        };
      case 'chat.postMessage':
        return this.postMessage(args);
      case 'chat.update':
        return this.update(args);
      case 'chat.postEphemeral':
        return this.postEphemeral(args);
      case 'views.open':
        return this.openView(args);
      case 'users.info':
        return this.userInfo(args);
      default:
        return fail('unknown_method');
    }
  }

  private postMessage(args: Args): Answer {
    const channel = str(args.channel);
    if (!channel || !this.channels.has(channel)) return fail('channel_not_found');
    const content = messageContent(args);
    if ('error' in content) return content.error;
    const threadTs = str(args.thread_ts);
    if (threadTs && !this.messages.some((m) => m.channel === channel && m.ts === threadTs)) {
      return fail('thread_not_found');
    }
    const ts = this.nextTs();
    const message: FakeMessage = {
      channel,
      ts,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      text: content.text,
      blocks: content.blocks,
      versions: [{ text: content.text, blocks: content.blocks }],
    };
    this.messages.push(message);
    return {
      ok: true,
      channel,
      ts,
      message: { type: 'message', ts, text: content.text, blocks: content.blocks },
    };
  }

  private update(args: Args): Answer {
    const channel = str(args.channel);
    if (!channel || !this.channels.has(channel)) return fail('channel_not_found');
    const message = this.messages.find((m) => m.channel === channel && m.ts === str(args.ts));
    if (!message) return fail('message_not_found');
    const content = messageContent(args);
    if ('error' in content) return content.error;
    message.text = content.text;
    message.blocks = content.blocks;
    message.versions.push({ text: content.text, blocks: content.blocks });
    return { ok: true, channel, ts: message.ts, text: content.text };
  }

  private postEphemeral(args: Args): Answer {
    const channel = str(args.channel);
    if (!channel || !this.channels.has(channel)) return fail('channel_not_found');
    if (!this.botMemberOf.has(channel)) return fail('not_in_channel');
    const user = str(args.user);
    if (!user || !this.users.has(user)) return fail('user_not_found');
    const content = messageContent(args);
    if ('error' in content) return content.error;
    this.ephemerals.push({
      channel,
      user,
      text: content.text ?? '',
      at: Date.now(),
      via: 'chat.postEphemeral',
    });
    return { ok: true, message_ts: this.nextTs() };
  }

  /** A response_url answer (JSON, no token: the URL is the capability). */
  private respond(channel: string, user: string, raw: string): Answer {
    const body = json(raw) as { text?: unknown; response_type?: unknown } | undefined;
    if (!body || typeof body.text !== 'string' || !body.text) return fail('no_text');
    if (body.response_type !== 'ephemeral') return fail('invalid_response_type');
    this.ephemerals.push({ channel, user, text: body.text, at: Date.now(), via: 'response_url' });
    return { ok: true };
  }

  private openView(args: Args): Answer {
    const triggerId = str(args.trigger_id);
    const trigger = triggerId ? this.triggers.get(triggerId) : undefined;
    if (!trigger) return fail('invalid_trigger_id');
    if (trigger.used) return fail('exchanged_trigger_id');
    if (Date.now() - trigger.issued > TRIGGER_TTL_MS) return fail('expired_trigger_id');
    const view = json(args.view);
    if (!view || typeof view !== 'object')
      return fail('invalid_arguments', ['must provide an object [json-pointer:/view]']);
    const errors = validateModal(view as Args);
    if (errors.length) return fail('invalid_arguments', errors);
    trigger.used = true;
    const id = `V${++this.seq}`;
    this.views.push({ id, view });
    return { ok: true, view: { id, ...(view as Args) } };
  }

  private userInfo(args: Args): Answer {
    const user = this.users.get(str(args.user) ?? '');
    if (!user) return fail('user_not_found');
    return {
      ok: true,
      user: {
        id: user.id,
        team_id: user.team_id,
        name: user.name ?? user.id.toLowerCase(),
        deleted: user.deleted ?? false,
        is_bot: user.is_bot ?? false,
        is_app_user: false,
        is_email_confirmed: user.is_email_confirmed ?? true,
        profile: { ...(user.email ? { email: user.email } : {}), real_name: user.name ?? user.id },
      },
    };
  }

  private nextTs(): string {
    return `${Math.floor(Date.now() / 1000)}.${String(++this.seq).padStart(6, '0')}`;
  }
}

export async function startFakeSlack(opts: FakeSlackOptions): Promise<FakeSlack> {
  return new FakeSlack(opts).start();
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Slack takes form-encoded arguments (objects as JSON strings) or a JSON body. */
function parseArgs(contentType: string | undefined, raw: string): Args | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded' || (type === '' && raw === '')) {
    return Object.fromEntries(new URLSearchParams(raw));
  }
  if (type === 'application/json') {
    try {
      const v = JSON.parse(raw) as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Args) : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function json(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
}

/** The text and blocks of a message, or the error Slack gives for them. */
function messageContent(args: Args): { text?: string; blocks?: any[] } | { error: Answer } {
  const text = typeof args.text === 'string' ? args.text : undefined;
  let blocks: any[] | undefined;
  if (args.blocks !== undefined) {
    const parsed = json(args.blocks);
    if (!Array.isArray(parsed)) return { error: fail('invalid_blocks_format') };
    const errors = validateBlocks(parsed, 'message');
    if (errors.length) return { error: fail('invalid_blocks', errors) };
    if (blocksText(parsed) > MAX_BLOCKS_TEXT) return { error: fail('msg_blocks_too_long') };
    blocks = parsed;
  }
  if (!text?.trim() && !blocks?.length) return { error: fail('no_text') };
  if (text && text.length > 40_000) return { error: fail('msg_too_long') };
  return { text, blocks };
}

function blocksText(v: unknown): number {
  if (typeof v === 'string') return v.length;
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + blocksText(x), 0);
  if (v && typeof v === 'object') {
    return Object.entries(v).reduce(
      (n, [k, x]) => n + (k === 'text' || typeof x === 'object' ? blocksText(x) : 0),
      0,
    );
  }
  return 0;
}

// ---- Block Kit validation: Slack's documented limits, reported as "<problem> [json-pointer:<path>]".

type Errors = string[];
const at = (errors: Errors, path: string, problem: string): void => {
  errors.push(`${problem} [json-pointer:${path}]`);
};

function checkLength(errors: Errors, path: string, v: unknown, max: number, required = true): void {
  if (v === undefined || v === null) {
    if (required) at(errors, path, 'must provide a string');
  } else if (typeof v !== 'string') {
    at(errors, path, 'must be a string');
  } else if (required && v.length === 0) {
    at(errors, path, 'must be more than 0 characters');
  } else if (v.length > max) {
    at(errors, path, `must be less than ${max + 1} characters`);
  }
}

function checkText(errors: Errors, path: string, t: any, max: number, plainOnly = false): void {
  if (!t || typeof t !== 'object') {
    at(errors, path, 'must provide an object');
  } else if (t.type !== 'plain_text' && (plainOnly || t.type !== 'mrkdwn')) {
    at(errors, `${path}/type`, plainOnly ? 'must be plain_text' : 'must be plain_text or mrkdwn');
  } else {
    if (t.type === 'mrkdwn' && 'emoji' in t) at(errors, `${path}/emoji`, 'emoji is only for plain_text');
    checkLength(errors, `${path}/text`, t.text, max);
  }
}

function checkButton(errors: Errors, path: string, b: any): void {
  checkText(errors, `${path}/text`, b.text, 75, true);
  checkLength(errors, `${path}/action_id`, b.action_id, 255, false);
  checkLength(errors, `${path}/value`, b.value, 2000, false);
  checkLength(errors, `${path}/url`, b.url, 3000, false);
  if (b.style !== undefined && b.style !== 'primary' && b.style !== 'danger') {
    at(errors, `${path}/style`, 'must be primary or danger');
  }
  if (b.confirm !== undefined) {
    const c = b.confirm;
    checkText(errors, `${path}/confirm/title`, c.title, 100, true);
    checkText(errors, `${path}/confirm/text`, c.text, 300);
    checkText(errors, `${path}/confirm/confirm`, c.confirm, 30, true);
    checkText(errors, `${path}/confirm/deny`, c.deny, 30, true);
  }
}

/** A non-empty array of at most `max` items, or an error. */
function items(errors: Errors, path: string, v: unknown, max: number): any[] {
  if (!Array.isArray(v) || v.length === 0) {
    at(errors, path, 'must provide items');
    return [];
  }
  if (v.length > max) at(errors, path, `must be less than ${max + 1} items`);
  return v;
}

function checkSection(errors: Errors, p: string, b: any): void {
  if (b.text === undefined && b.fields === undefined) at(errors, p, 'must provide text or fields');
  if (b.text !== undefined) checkText(errors, `${p}/text`, b.text, 3000);
  if (b.fields !== undefined) {
    items(errors, `${p}/fields`, b.fields, 10).forEach((f, j) => {
      checkText(errors, `${p}/fields/${j}`, f, 2000);
    });
  }
  if (b.accessory?.type === 'button') checkButton(errors, `${p}/accessory`, b.accessory);
}

function checkActions(errors: Errors, p: string, b: any): void {
  const actionIds = new Set<string>();
  items(errors, `${p}/elements`, b.elements, 25).forEach((e, j) => {
    if (e?.type !== 'button') {
      at(errors, `${p}/elements/${j}`, 'failed to match all allowed schemas');
      return;
    }
    checkButton(errors, `${p}/elements/${j}`, e);
    if (e.action_id !== undefined && actionIds.has(e.action_id)) {
      at(errors, `${p}/elements/${j}/action_id`, 'must be unique');
    }
    actionIds.add(e.action_id);
  });
}

function checkInput(errors: Errors, p: string, b: any): void {
  checkText(errors, `${p}/label`, b.label, 2000, true);
  if (b.hint !== undefined) checkText(errors, `${p}/hint`, b.hint, 2000, true);
  const e = b.element;
  if (e?.type !== 'plain_text_input') {
    at(errors, `${p}/element`, 'failed to match all allowed schemas');
    return;
  }
  checkLength(errors, `${p}/element/action_id`, e.action_id, 255, false);
  if (e.placeholder !== undefined) checkText(errors, `${p}/element/placeholder`, e.placeholder, 150, true);
  if (e.max_length !== undefined && !(e.max_length >= 1 && e.max_length <= 3000)) {
    at(errors, `${p}/element/max_length`, 'must be between 1 and 3000');
  }
}

function checkBlock(errors: Errors, p: string, b: any, surface: 'message' | 'modal'): void {
  switch (b.type) {
    case 'header':
      checkText(errors, `${p}/text`, b.text, 150, true);
      break;
    case 'divider':
      break;
    case 'section':
      checkSection(errors, p, b);
      break;
    case 'context':
      items(errors, `${p}/elements`, b.elements, 10).forEach((e, j) => {
        if (e?.type !== 'image') checkText(errors, `${p}/elements/${j}`, e, 3000);
      });
      break;
    case 'actions':
      checkActions(errors, p, b);
      break;
    case 'input':
      if (surface === 'modal') checkInput(errors, p, b);
      else at(errors, p, 'input blocks are only for modals');
      break;
    default:
      at(errors, p, 'failed to match all allowed schemas');
  }
}

export function validateBlocks(blocks: unknown, surface: 'message' | 'modal'): string[] {
  const errors: Errors = [];
  if (!Array.isArray(blocks)) return ['must provide an array [json-pointer:/blocks]'];
  const max = surface === 'message' ? 50 : 100;
  if (blocks.length > max) at(errors, '/blocks', `must be less than ${max + 1} items`);
  const blockIds = new Set<string>();
  blocks.forEach((b: any, i) => {
    const p = `/blocks/${i}`;
    if (!b || typeof b !== 'object') {
      at(errors, p, 'must provide an object');
      return;
    }
    if (b.block_id !== undefined) {
      checkLength(errors, `${p}/block_id`, b.block_id, 255);
      if (blockIds.has(b.block_id)) at(errors, `${p}/block_id`, 'must be unique');
      blockIds.add(b.block_id);
    }
    checkBlock(errors, p, b, surface);
  });
  return errors;
}

export function validateModal(view: Args): string[] {
  const errors: Errors = [];
  if (view.type !== 'modal') at(errors, '/view/type', 'must be modal');
  checkText(errors, '/view/title', view.title, 24, true);
  if (view.submit !== undefined) checkText(errors, '/view/submit', view.submit, 24, true);
  if (view.close !== undefined) checkText(errors, '/view/close', view.close, 24, true);
  checkLength(errors, '/view/callback_id', view.callback_id, 255, false);
  checkLength(errors, '/view/private_metadata', view.private_metadata, 3000, false);
  for (const e of validateBlocks(view.blocks, 'modal')) {
    errors.push(e.replace('[json-pointer:/', '[json-pointer:/view/'));
  }
  const hasInput = Array.isArray(view.blocks) && view.blocks.some((b: any) => b?.type === 'input');
  if (hasInput && view.submit === undefined)
    at(errors, '/view/submit', 'must provide submit with input blocks');
  return errors;
}
