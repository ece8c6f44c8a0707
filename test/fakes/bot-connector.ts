// A local stand-in for Microsoft Teams as a bot sees it, enforcing what the real services enforce:
// - the Bot Framework channel: an OpenID metadata document + JWKS (endorsed for msteams), and
//   RS256 tokens with the right issuer, audience (the app id) and `serviceurl`, sent with activities;
// - Entra (bot-connector-entra.ts, https): the client-credentials tokens the bot sends out;
// - the Bot Connector (/v3/conversations/...): records the bot's POSTs and PUTs and refuses what
//   Teams refuses: no or bad bearer token (401), unknown conversation or activity (404), a message
//   over ~28 KB (413), a card Teams cannot render (400).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { type FakeEntra, readBody, sendJson as send, startFakeEntra } from './bot-connector-entra.js';

export const TEAMS_MESSAGE_LIMIT_BYTES = 28 * 1024;

export interface FakeTeamsOptions {
  appId: string;
  appPassword: string;
  tenantId: string;
}

export interface FakeUser {
  id: string;
  aadObjectId: string;
  name: string;
  tenantId: string;
  email?: string;
  userPrincipalName?: string;
}

export interface FakeConversation {
  id: string;
  conversationType: 'channel' | 'groupChat' | 'personal';
  tenantId: string;
  teamId?: string;
}

/** A message the bot created, with every version it PUT afterwards. */
export interface BotMessage {
  id: string;
  conversationId: string;
  /** The root message of the channel thread it was posted in, if any. */
  threadId?: string;
  versions: Record<string, any>[];
}

export interface ConnectorCall {
  method: string;
  path: string;
  status: number;
  /** When it was answered (ms since the epoch). */
  at?: number;
}

export interface ChannelTokenOptions {
  expired?: boolean;
  /** Signed with a key the JWKS does not publish, under the published kid (a forgery). */
  otherKey?: boolean;
  serviceUrl?: string;
  audience?: string;
  issuer?: string;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
type Activity = Record<string, any>;

export class FakeTeams {
  readonly conversations = new Map<string, FakeConversation>();
  readonly users = new Map<string, FakeUser>();
  readonly messages = new Map<string, BotMessage>();
  readonly calls: ConnectorCall[] = [];
  private seq = 0;
  private outage?: { until: number; mode: 'unavailable' | 'hang' };
  private metadataOverride?: { body: unknown };

  private constructor(
    readonly opts: FakeTeamsOptions,
    private readonly keys: { channel: KeyPair; forged: KeyPair; channelJwk: Record<string, unknown> },
    private readonly http: Server,
    private readonly entra: FakeEntra,
    readonly serviceUrl: string,
  ) {}

  static async start(opts: FakeTeamsOptions): Promise<FakeTeams> {
    const [channel, forged, entra] = await Promise.all([
      generateKeyPair('RS256'),
      generateKeyPair('RS256'),
      startFakeEntra(opts),
    ]);
    const channelJwk = {
      ...(await exportJWK(channel.publicKey)),
      kid: 'channel-1',
      use: 'sig',
      endorsements: ['msteams'],
    };
    let fake: FakeTeams | undefined;
    const http = createServer((req, res) => void fake!.onHttp(req, res));
    const port = await listen(http);
    fake = new FakeTeams(opts, { channel, forged, channelJwk }, http, entra, `http://127.0.0.1:${port}`);
    return fake;
  }

  /** BOTFRAMEWORK_LOGIN_URL: the fake Entra's https origin. */
  get loginOrigin(): string {
    return this.entra.origin;
  }
  /** Its self-signed certificate, to trust as a CA. */
  get caPem(): string {
    return this.entra.caPem;
  }
  /** Client-credentials token requests Entra answered (good or bad). */
  get tokenRequests(): number {
    return this.entra.tokenRequests();
  }

  get openIdMetadataUrl(): string {
    return `${this.serviceUrl}/v1/.well-known/openidconfiguration`;
  }
  /** Our fake channel's issuer: deliberately not api.botframework.com, so the override is what counts. */
  get tokenIssuer(): string {
    return `${this.serviceUrl}/botframework`;
  }
  /** The environment variables of SPEC 9 that point a bot at this fake. */
  env(allowedTenants: string[] = [this.opts.tenantId]): Record<string, string> {
    return {
      TEAMS_APP_ID: this.opts.appId,
      TEAMS_APP_PASSWORD: this.opts.appPassword,
      TEAMS_APP_TENANT_ID: this.opts.tenantId,
      TEAMS_ALLOWED_TENANTS: allowedTenants.join(','),
      BOTFRAMEWORK_OPENID_METADATA_URL: this.openIdMetadataUrl,
      BOTFRAMEWORK_TOKEN_ISSUER: this.tokenIssuer,
      BOTFRAMEWORK_LOGIN_URL: this.loginOrigin,
    };
  }

  addConversation(c: FakeConversation): FakeConversation {
    this.conversations.set(c.id, c);
    return c;
  }

  addUser(u: FakeUser): FakeUser {
    this.users.set(u.id, u);
    return u;
  }

  /**
   * The Bot Connector is down: every /v3/conversations call (posts, updates, member look-ups)
   * answers 503 ServiceUnavailable, for `forMs` milliseconds or until `recover()`. Entra and the
   * channel's OpenID keys keep working, as they are separate services. With `mode: 'hang'` it
   * accepts each call and answers nothing until the outage ends (then 503), like a connector that
   * stopped responding.
   */
  fail(forMs?: number, mode: 'unavailable' | 'hang' = 'unavailable'): void {
    this.outage = { until: forMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + forMs, mode };
  }

  recover(): void {
    this.outage = undefined;
  }

  /** Whether the Bot Connector is failing right now. */
  get failing(): boolean {
    return this.outage !== undefined && Date.now() < this.outage.until;
  }

  /**
   * The channel's OpenID metadata endpoint answers `body` (200) instead of the real document:
   * a misconfigured or hijacked keys endpoint (no `jwks_uri`, not JSON). `undefined` restores it.
   */
  serveMetadata(body: unknown): void {
    this.metadataOverride = body === undefined ? undefined : { body };
  }

  /** Messages the bot created in a conversation, oldest first (replies included). */
  messagesIn(conversationId: string): BotMessage[] {
    return [...this.messages.values()].filter((m) => m.conversationId === conversationId);
  }

  /** A token as the Bot Framework channel signs it for an activity sent to the bot. */
  async channelToken(o: ChannelTokenOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      iss: o.issuer ?? this.tokenIssuer,
      aud: o.audience ?? this.opts.appId,
      serviceurl: o.serviceUrl ?? this.serviceUrl,
      // botframework allows five minutes of clock skew: expired means well past that.
      nbf: o.expired ? now - 7200 : now - 60,
      iat: o.expired ? now - 7200 : now - 60,
      exp: o.expired ? now - 3600 : now + 3600,
    };
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: 'channel-1', typ: 'JWT' })
      .sign(o.otherKey ? this.keys.forged.privateKey : this.keys.channel.privateKey);
  }

  /** Delivers an activity to the bot as Teams does; `token: null` sends none. */
  async deliver(
    botUrl: string,
    activity: Record<string, unknown>,
    auth: { token?: string | null; tokenOptions?: ChannelTokenOptions } = {},
  ): Promise<{ status: number; body: any }> {
    const token = auth.token === undefined ? await this.channelToken(auth.tokenOptions) : auth.token;
    const res = await fetch(`${botUrl}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(activity),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // keep the text
    }
    return { status: res.status, body: parsed };
  }

  // --- what Teams sends -------------------------------------------------------------------

  private base(conversation: FakeConversation, user: FakeUser): Record<string, any> {
    return {
      id: `in-${++this.seq}`,
      timestamp: new Date().toISOString(),
      channelId: 'msteams',
      serviceUrl: this.serviceUrl,
      from: { id: user.id, name: user.name, aadObjectId: user.aadObjectId },
      recipient: { id: `28:${this.opts.appId}`, name: 'Airlock' },
      conversation: {
        id: conversation.id,
        conversationType: conversation.conversationType,
        tenantId: user.tenantId,
        isGroup: conversation.conversationType !== 'personal',
      },
      channelData: {
        tenant: { id: user.tenantId },
        ...(conversation.teamId
          ? { team: { id: conversation.teamId }, channel: { id: conversation.id } }
          : {}),
      },
    };
  }

  installation(conversation: FakeConversation, user: FakeUser, action: 'add' | 'remove' = 'add'): Activity {
    return { ...this.base(conversation, user), type: 'installationUpdate', action };
  }

  message(conversation: FakeConversation, user: FakeUser, text: string): Activity {
    const mention = conversation.conversationType === 'personal' ? '' : '<at>Airlock</at> ';
    return {
      ...this.base(conversation, user),
      type: 'message',
      text: `${mention}${text}`,
      textFormat: 'plain',
      entities: mention
        ? [
            {
              type: 'mention',
              text: '<at>Airlock</at>',
              mentioned: { id: `28:${this.opts.appId}`, name: 'Airlock' },
            },
          ]
        : [],
    };
  }

  /** A click on an Action.Execute button of the card `replyToId`, with the card's inputs merged in. */
  click(
    conversation: FakeConversation,
    user: FakeUser,
    replyToId: string,
    action: Record<string, any>,
    inputs = {},
  ): Activity {
    return {
      ...this.base(conversation, user),
      type: 'invoke',
      name: 'adaptiveCard/action',
      replyToId,
      value: {
        action: { type: 'Action.Execute', verb: action.verb, data: { ...action.data, ...inputs } },
        trigger: 'manual',
      },
    };
  }

  // --- servers ----------------------------------------------------------------------------

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/v1/.well-known/openidconfiguration' && this.metadataOverride) {
      const { body } = this.metadataOverride;
      if (typeof body === 'string')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return send(res, 200, body);
    }
    if (path === '/v1/.well-known/openidconfiguration') {
      return send(res, 200, {
        issuer: this.tokenIssuer,
        jwks_uri: `${this.serviceUrl}/v1/.well-known/keys`,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
      });
    }
    if (path === '/v1/.well-known/keys') return send(res, 200, { keys: [this.keys.channelJwk] });
    if (path.startsWith('/v3/conversations/') && this.failing) {
      await readBody(req).catch(() => '');
      if (this.outage?.mode === 'hang') {
        while (this.failing && !res.destroyed) await new Promise((r) => setTimeout(r, 200));
        if (res.destroyed) return;
      }
      send(res, 503, { error: { code: 'ServiceUnavailable', message: 'The service is unavailable.' } });
      this.calls.push({ method: req.method ?? '', path, status: 503, at: Date.now() });
      return;
    }
    if (path.startsWith('/v3/conversations/')) {
      const status = await this.onConnector(req, res, path);
      this.calls.push({ method: req.method ?? '', path, status, at: Date.now() });
      return;
    }
    send(res, 404, { error: { code: 'NotFound' } });
  }

  /** Returns the status it answered with, for `calls`. */
  private async onConnector(req: IncomingMessage, res: ServerResponse, path: string): Promise<number> {
    const fail = (status: number, code: string, message: string) => {
      send(res, status, { error: { code, message } });
      return status;
    };
    if (!(await this.connectorTokenOk(req.headers.authorization))) {
      return fail(401, 'Unauthorized', 'Authorization has been denied for this request.');
    }
    const parts = path.split('/').slice(3).map(decodeURIComponent); // [conversationId, kind, id?]
    const [conversationId = '', kind, itemId] = parts;
    const rootId = conversationId.split(';messageid=')[0]!;
    // Member look-ups in a team use the team id as the conversation id.
    const conversation =
      this.conversations.get(rootId) ??
      (kind === 'members' ? [...this.conversations.values()].find((c) => c.teamId === rootId) : undefined);
    if (!conversation) return fail(404, 'ConversationNotFound', 'Conversation not found.');
    const text = await readBody(req);

    if (req.method === 'GET' && kind === 'members' && itemId) {
      const user = [...this.users.values()].find((u) => u.id === itemId || u.aadObjectId === itemId);
      if (!user) return fail(404, 'MemberNotFoundInConversation', 'The member is not in the conversation.');
      send(res, 200, { ...user, givenName: user.name, surname: '', userRole: 'user' });
      return 200;
    }
    if (kind !== 'activities') return fail(404, 'NotFound', 'Unknown route.');
    if (Buffer.byteLength(text, 'utf8') > TEAMS_MESSAGE_LIMIT_BYTES) {
      return fail(413, 'MessageSizeTooBig', 'Message size too large.');
    }
    let activity: Record<string, any>;
    try {
      activity = JSON.parse(text) as Record<string, any>;
    } catch {
      return fail(400, 'BadArgument', 'Invalid JSON.');
    }
    const cardProblem = checkCards(activity);
    if (cardProblem) return fail(400, 'BadArgument', cardProblem);

    if (req.method === 'PUT' && itemId) {
      const existing = this.messages.get(itemId);
      if (!existing || existing.conversationId !== conversation.id) {
        return fail(404, 'ActivityNotFound', 'The activity does not exist in this conversation.');
      }
      existing.versions.push(activity);
      send(res, 200, { id: itemId });
      return 200;
    }
    if (req.method === 'POST') {
      // Like Teams, the id in a reply's path does not place the message: a channel thread is
      // named by the conversation id ("19:c@thread.tacv2;messageid=<root>").
      const threadId = conversationId.split(';messageid=')[1];
      if (threadId && !this.messages.has(threadId)) {
        return fail(404, 'ActivityNotFound', 'The thread to reply to does not exist.');
      }
      const id = `${Date.now()}${String(++this.seq).padStart(4, '0')}`;
      this.messages.set(id, { id, conversationId: conversation.id, threadId, versions: [activity] });
      send(res, 201, { id });
      return 201;
    }
    return fail(405, 'MethodNotAllowed', 'Method not allowed.');
  }

  /** The bot's outgoing token: issued by our Entra to this app for the Bot Framework scope. */
  private async connectorTokenOk(header: string | undefined): Promise<boolean> {
    const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
    return token ? this.entra.verifies(token, this.opts.appId) : false;
  }

  async close(): Promise<void> {
    const stop = (s: Server) =>
      new Promise<void>((resolve) => {
        s.closeAllConnections();
        s.close(() => resolve());
      });
    await Promise.all([stop(this.http), this.entra.close()]);
  }
}

/** What Teams refuses to render: not an Adaptive Card of at most 1.5, buttons without verbs, inputs without ids. */
function checkCards(activity: Record<string, any>): string | undefined {
  for (const a of (activity.attachments ?? []) as Record<string, any>[]) {
    if (a.contentType !== 'application/vnd.microsoft.card.adaptive') continue;
    const card = a.content as Record<string, any> | undefined;
    if (card?.type !== 'AdaptiveCard') return 'attachment is not an AdaptiveCard';
    if (!/^1\.[0-5]$/.test(String(card.version))) return `unsupported Adaptive Card version ${card.version}`;
    const all: Record<string, any>[] = [];
    const walk = (x: unknown) => {
      if (Array.isArray(x)) x.forEach(walk);
      else if (x && typeof x === 'object') {
        all.push(x as Record<string, any>);
        Object.values(x).forEach(walk);
      }
    };
    walk(card);
    if (all.some((e) => e.type === 'Action.Execute' && !e.verb)) return 'Action.Execute without a verb';
    if (all.some((e) => typeof e.type === 'string' && e.type.startsWith('Input.') && !e.id))
      return 'input without id';
  }
  return undefined;
}
