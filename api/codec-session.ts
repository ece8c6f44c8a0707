// Codec sessions: the local Temporal dev UI has no login and cannot send a bearer token to the codec
// server, so an auditor or admin trades their API key (or bearer token) once, at GET /codec/login,
// for a short-lived cookie the UI's codec fetch carries (`credentials: 'include'`). The cookie holds
// an opaque signed token, never the key: `v1.<base64url JSON {p, r, e, k?}>.<HMAC-SHA256>`, with
// an HMAC key derived (HKDF, its own `info`) from the master key, like the service's other keys.
// API-key sessions are bound to a keyed digest of that key, so removing the key from the config
// ends its sessions at the next start. Pages are self-contained with a strict CSP and no script.
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { ApiKeyEntry, Role } from '../config/types.js';

export const CODEC_SESSION_COOKIE = 'airlock_codec_session';
export const DEFAULT_CODEC_SESSION_TTL_MS = 8 * 3_600_000;
const KDF_SALT = Buffer.from('airlock-kdf-v1', 'utf8');
export const CODEC_SESSION_KEY_INFO = 'airlock/codec-session/hmac-sha256/v1';
const KNOWN_ROLES: readonly Role[] = ['requester', 'approver', 'auditor', 'admin'];
const MAX_TOKEN_LENGTH = 4096;

export interface CodecSession {
  principal: string;
  roles: Role[];
  /** Epoch milliseconds. */
  expiresAt: number;
  /** Keyed digest of the API key's sha256 (API-key sessions only). */
  keyBinding?: string;
}

/** The HMAC key of codec session tokens, from the master key (AIRLOCK_ENCRYPTION_KEY). */
export function codecSessionKey(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, KDF_SALT, Buffer.from(CODEC_SESSION_KEY_INFO), 32));
}

const mac = (key: Buffer, body: string): Buffer =>
  createHmac('sha256', key).update(`codec-session:v1.${body}`).digest();

/** Binds a session to the API key it was made from, without putting the key (or its hash) in it. */
export function keyBinding(key: Buffer, sha256Hex: string): string {
  return createHmac('sha256', key)
    .update(`codec-session-key:${sha256Hex.toLowerCase()}`)
    .digest('base64url')
    .slice(0, 22);
}

export function signCodecSession(key: Buffer, session: CodecSession): string {
  const claims = {
    p: session.principal,
    r: session.roles,
    e: Math.floor(session.expiresAt / 1000),
    ...(session.keyBinding ? { k: session.keyBinding } : {}),
  };
  const body = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
  return `v1.${body}.${mac(key, body).toString('base64url')}`;
}

export type OpenedSession =
  | { ok: true; session: CodecSession }
  | { ok: false; reason: 'invalid' | 'expired' };

/** Verifies a token this service issued: signature first, then shape, then expiry. */
export function openCodecSession(key: Buffer, token: string, now = Date.now()): OpenedSession {
  const invalid = { ok: false, reason: 'invalid' } as const;
  if (token.length > MAX_TOKEN_LENGTH) return invalid;
  const match = /^v1\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return invalid;
  const [, body, sig] = match as unknown as [string, string, string];
  const given = Buffer.from(sig, 'base64url');
  const expected = mac(key, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return invalid;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return invalid;
  }
  if (typeof claims !== 'object' || claims === null) return invalid;
  const { p, r, e, k } = claims as Record<string, unknown>;
  if (typeof p !== 'string' || p === '' || !Array.isArray(r) || typeof e !== 'number') return invalid;
  if (k !== undefined && typeof k !== 'string') return invalid;
  const roles = KNOWN_ROLES.filter((role) => r.includes(role));
  if (e * 1000 <= now) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    session: { principal: p, roles, expiresAt: e * 1000, ...(k ? { keyBinding: k } : {}) },
  };
}

/**
 * An API-key session's roles as the configuration says now (the key still configured, for the
 * same principal); undefined when the key is gone. Other sessions keep the roles they were given.
 */
export function currentRoles(
  key: Buffer,
  session: CodecSession,
  apiKeys: readonly ApiKeyEntry[],
): Role[] | undefined {
  if (!session.keyBinding) return session.roles;
  const entry = apiKeys.find(
    (a) => a.principal === session.principal && keyBinding(key, a.sha256) === session.keyBinding,
  );
  return entry ? session.roles.filter((r) => entry.roles.includes(r)) : undefined;
}

export interface CookieOptions {
  secure: boolean;
  maxAgeSeconds: number;
}

/**
 * When a session made now ends: after its TTL, and never after the credential it was made from
 * (an OIDC token's `exp`), so a 60-second token cannot buy an 8-hour cookie. Undefined when the
 * credential has (next to) no life left: such a token makes no session at all.
 */
export function sessionExpiry(now: number, ttlMs: number, credentialExpiresAt?: number): number | undefined {
  const end = Math.min(now + ttlMs, credentialExpiresAt ?? Number.POSITIVE_INFINITY);
  return end - now >= 1000 ? end : undefined;
}

/** HttpOnly, SameSite=Strict, only ever sent to /codec. */
export function sessionCookie(value: string, opts: CookieOptions): string {
  return [
    `${CODEC_SESSION_COOKIE}=${value}`,
    'Path=/codec',
    `Max-Age=${opts.maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(opts.secure ? ['Secure'] : []),
  ].join('; ');
}

export const clearedSessionCookie = (secure: boolean): string =>
  sessionCookie('', { secure, maxAgeSeconds: 0 });

/** The codec session token from a Cookie header, if any. */
export function sessionTokenFrom(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === CODEC_SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}

// ---- the pages ----

const STYLE = [
  'body{font:15px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2328}',
  'h1{font-size:1.4rem}label{display:block;font-weight:600;margin:1rem 0 .25rem}',
  'input[type=password]{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}',
  'button{margin-top:1rem;padding:.45rem 1rem;font:inherit;cursor:pointer}',
  '.error{border-left:4px solid #cf222e;background:#ffebe9;padding:.5rem .75rem}',
  '.ok{border-left:4px solid #1a7f37;background:#dafbe1;padding:.5rem .75rem}',
  '.warn{border-left:4px solid #9a6700;background:#fff8c5;padding:.5rem .75rem}',
  'code{background:#f6f8fa;padding:0 .2rem}small{color:#59636e}',
].join('');
const STYLE_HASH = createHash('sha256').update(STYLE, 'utf8').digest('base64');

/** No script at all, no external anything, forms only to this origin, never framed. (Referrer-Policy
 * same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on the form post.) */
export const PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${STYLE_HASH}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': PAGE_CSP,
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="same-origin"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>${body}</body></html>
`;
}

export interface PageContext {
  /** The Temporal Web UI, when known. */
  uiUrl?: string;
  /** The codec endpoint the UI calls (`<public URL>/codec`). */
  codecEndpoint: string;
  ttl: string;
}

const uiSteps = (ctx: PageContext): string => `<p>Then, in the Temporal Web UI${
  ctx.uiUrl ? ` (<a href="${escapeHtml(ctx.uiUrl)}">${escapeHtml(ctx.uiUrl)}</a>)` : ''
}, open the <b>Codec Server</b> settings (the glasses icon at the top right), choose <b>Use my browser setting and ignore Cluster-level setting</b>,
enter <code>${escapeHtml(ctx.codecEndpoint)}</code>, turn on <b>Include cross-origin credentials</b>, Apply and reload. Payloads then show decoded.</p>
<p><small>Open this page and the UI on the same host name, <code>localhost</code> as <code>npm start</code> prints them: the cookie is only sent within one site, and <code>127.0.0.1</code> is another one.</small></p>`;

export function loginPage(ctx: PageContext, error?: string): string {
  return page(
    'Airlock codec session',
    `<h1>Read payloads in the Temporal Web UI</h1>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<p>Paste your Airlock API key (or bearer token). It needs the <code>auditor</code> or <code>admin</code> role.
Airlock sets a cookie for <code>/codec</code> that lasts ${escapeHtml(ctx.ttl)}; the key itself is not stored.</p>
<form method="post" action="/codec/session">
<label for="key">API key</label>
<input id="key" name="key" type="password" autocomplete="off" autofocus required>
<button type="submit">Start codec session</button>
</form>
${uiSteps(ctx)}`,
  );
}

export function sessionPage(
  ctx: PageContext,
  session: { principal: string; roles: Role[]; expiresAt: number },
  warning?: string,
): string {
  return page(
    'Airlock codec session',
    `<h1>Codec session started</h1>
<p class="ok" role="status">Signed in as <b>${escapeHtml(session.principal)}</b> (${escapeHtml(session.roles.join(', '))})
until ${escapeHtml(new Date(session.expiresAt).toISOString())}.</p>
${warning ? `<p class="warn">${escapeHtml(warning)}</p>` : ''}
${uiSteps(ctx)}
<form method="post" action="/codec/logout"><button type="submit">End the session</button></form>`,
  );
}

export function loggedOutPage(): string {
  return page(
    'Airlock codec session',
    `<h1>Codec session ended</h1><p class="ok" role="status">The cookie is cleared; the Temporal UI shows ciphertext again.</p>
<p><a href="/codec/login">Start a new session</a></p>`,
  );
}
