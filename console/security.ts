// The console's browser-facing protections: a strict Content-Security-Policy (scripts and styles
// only from /console/static, no inline code, no framing), cookies that script cannot read and
// other sites do not send on a POST, and the signed token of the sign-in form (which has no
// session yet to hold one).
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { sameToken } from './sessions.js';

export const SESSION_COOKIE = 'airlock_console';
export const PRE_SESSION_COOKIE = 'airlock_console_pre';
export const OIDC_FLOW_COOKIE = 'airlock_console_oidc';
const COOKIE_PATH = '/console';

/** A key of the console's own from the master key (HKDF, one `info` per purpose). */
export function consoleKey(masterKey: Buffer, purpose: 'forms' | 'oidc-flow' = 'forms'): Buffer {
  const info = `airlock/console/${purpose}/v1`;
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.from('airlock-kdf-v1'), Buffer.from(info), 32));
}

export function securityHeaders(res: Response): void {
  res.setHeader(
    'content-security-policy',
    [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self'",
      "connect-src 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
  );
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'same-origin');
  res.setHeader('x-frame-options', 'DENY');
}

export function cookiesOf(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!(name in out)) {
      try {
        out[name] = decodeURIComponent(value);
      } catch {
        out[name] = value;
      }
    }
  }
  return out;
}

/** HttpOnly, SameSite=Lax, scoped to /console; Secure when the console is served over https. */
export function setCookie(
  res: Response,
  name: string,
  value: string,
  opts: { secure: boolean; maxAgeSeconds?: number },
): void {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${COOKIE_PATH}`, 'HttpOnly', 'SameSite=Lax'];
  if (opts.secure) parts.push('Secure');
  if (opts.maxAgeSeconds !== undefined) parts.push(`Max-Age=${opts.maxAgeSeconds}`);
  res.append('set-cookie', parts.join('; '));
}

export function clearCookie(res: Response, name: string, secure: boolean): void {
  setCookie(res, name, '', { secure, maxAgeSeconds: 0 });
}

/** The sign-in form's token: bound to a random pre-session cookie by an HMAC only we can make. */
export function preSessionToken(key: Buffer, pre: string): string {
  return createHmac('sha256', key).update(`console-pre:${pre}`).digest('base64url');
}

export function newPreSession(): string {
  return randomBytes(24).toString('base64url');
}

export function preSessionValid(key: Buffer, pre: string | undefined, given: unknown): boolean {
  return pre !== undefined && pre !== '' && sameToken(given, preSessionToken(key, pre));
}

/** Only paths inside the console: a sign-in never sends anyone elsewhere. */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 512) return undefined;
  return /^\/console(\/[A-Za-z0-9._~\-/?=&%]*)?$/.test(value) && !value.startsWith('//') ? value : undefined;
}
