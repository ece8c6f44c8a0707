// Scrubs configured secrets (target header values, connection-string passwords) out of any
// text that may reach a result, an error message or a log: not only the literal value but the
// forms a target commonly reflects it in. A target that echoes headers base64-encoded, as hex,
// upper-cased, `\u`-escaped in JSON or percent-encoded must not hand the token back either.

export const REDACTED = '[redacted]';
const MIN_SECRET_PART = 6;
/** Shorter encoded fragments would match ordinary text too often to be worth scrubbing. */
const MIN_FRAGMENT = 6;
/** An encoded character is at most this many times longer than the character (`%F0%9F%94%91`). */
const MAX_EXPANSION = 12;

/** The strings to scrub for secret values: each value, its long parts, and their encodings. */
export function secretVariants(values: Iterable<string>): string[] {
  const plain = new Set<string>();
  for (const v of values) {
    for (const base of [v, ...decodedBasicCredentials(v)]) {
      if (base.length >= 4) plain.add(base);
      const parts = base.split(/\s+/).filter((x) => x.length > 0);
      // `Bearer <token>`, `Basic <creds>`: the scheme word itself is no secret.
      if (parts.length > 1 && /^[A-Za-z-]+$/.test(parts[0] ?? '')) parts.shift();
      for (const part of parts) if (part.length >= MIN_SECRET_PART) plain.add(part);
    }
  }
  const out = new Set(plain);
  for (const p of plain)
    for (const encoded of encodings(p)) if (encoded.length >= MIN_FRAGMENT) out.add(encoded);
  // Longest first, so that a value is replaced whole before its parts.
  return [...out].sort((a, b) => b.length - a.length);
}

/** `Basic base64(user:pass)` also leaks as `user:pass` and as the password alone. */
function decodedBasicCredentials(value: string): string[] {
  const m = /^\s*basic\s+([A-Za-z0-9+/_-]+=*)\s*$/i.exec(value);
  if (!m?.[1]) return [];
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  if (!decoded.includes(':') || decoded.includes('\uFFFD')) return [];
  const password = decoded.slice(decoded.indexOf(':') + 1);
  return password.length >= MIN_SECRET_PART ? [decoded, password] : [decoded];
}

/**
 * Base64 (standard and url-safe, padded or not) and hex of `secret`. Inside a longer encoded
 * text the secret can start at any of three byte offsets; for each, the characters that
 * depend on the secret alone are scrubbed, so `base64("Authorization: Bearer x")` loses x too.
 */
function encodings(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const out = [bytes.toString('hex')];
  for (let offset = 0; offset < 3; offset++) {
    const shifted = Buffer.concat([Buffer.alloc(offset), bytes]);
    const b64 = shifted.toString('base64');
    // Characters before `lead` mix in the preceding bytes, after `stable` the following ones.
    const lead = offset === 0 ? 0 : 4;
    const stable = Math.floor(shifted.length / 3) * 4;
    if (offset === 0) out.push(b64, b64.replace(/=+$/, ''));
    out.push(b64.slice(lead, stable));
  }
  return out.flatMap((s) => [s, s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')]);
}

/**
 * A pattern for `text` in which every character may also appear as a JSON `\u` escape, a
 * percent-encoded UTF-8 sequence, `\/` for `/` or `+` for a space; matched case-insensitively,
 * so upper- and lower-cased echoes (and upper-case hex or escapes) are caught as well.
 */
function spelledAnyWay(text: string): string {
  let out = '';
  for (const ch of text) {
    const forms = [escapeRegExp(ch)];
    let jsonEscape = '';
    for (let i = 0; i < ch.length; i++)
      jsonEscape += `\\\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
    forms.push(jsonEscape);
    forms.push(
      [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
    );
    if (ch === '/') forms.push('\\\\/');
    if (ch === ' ') forms.push('\\+');
    out += `(?:${forms.join('|')})`;
  }
  return out;
}

function escapeRegExp(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

const patterns = new WeakMap<readonly string[], RegExp | null>();

function patternFor(secrets: readonly string[]): RegExp | null {
  let re = patterns.get(secrets);
  if (re === undefined) {
    const alternatives = [...secrets]
      .filter((s) => s.length > 0)
      .sort((a, b) => b.length - a.length)
      .map(spelledAnyWay);
    re = alternatives.length === 0 ? null : new RegExp(alternatives.join('|'), 'giu');
    patterns.set(secrets, re);
  }
  return re;
}

export function redact(text: string, secrets: readonly string[]): string {
  const re = patternFor(secrets);
  return re === null ? text : text.replace(re, REDACTED);
}

/** How much longer than its longest secret a redacted secret can be, in bytes of text. */
export function maxEncodedLength(secrets: readonly string[]): number {
  return Math.max(0, ...secrets.map((s) => Buffer.byteLength(s) * MAX_EXPANSION));
}
