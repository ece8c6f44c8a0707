// The callback allow-list (the SSRF guard on callbackUrl). An entry is
// `scheme://host[:port][/path-glob]`: scheme and host are matched exactly against the URL as
// WHATWG parses it (so `2130706433` is 127.0.0.1 and `LOCALHOST` is localhost), the port exactly
// (its scheme's default when the entry names none; `:*` for any port), and the path plus query
// with the service's glob when the entry has a path (none means any path). A URL with user
// information (`user@`, `user:password@`) is never allowed: it is how a string that looks like
// one host names another.
import { globToRegExp } from '../policy/glob.js';

export interface CallbackPattern {
  protocol: 'http:' | 'https:';
  hostname: string;
  /** The effective port, or '*' for any. */
  port: string | '*';
  /** Matched against pathname + search; undefined: any path. */
  path?: RegExp;
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };
const ENTRY = /^(https?):\/\/([^/?#@*]+?)(?::(\d{1,5}|\*))?(\/.*)?$/i;

/** Parses one allow-list entry; a string is why it is not one. */
export function parseCallbackPattern(entry: string): CallbackPattern | string {
  const match = ENTRY.exec(entry);
  if (!match) {
    return 'must be scheme://host[:port][/path], with an exact host (no user information, no * in the host; :* for any port)';
  }
  const [, scheme, host, port, path] = match as unknown as [string, string, string, string?, string?];
  let parsed: URL;
  try {
    parsed = new URL(`${scheme.toLowerCase()}://${host}`);
  } catch {
    return `the host ${JSON.stringify(host)} is not a valid host`;
  }
  const protocol = parsed.protocol as CallbackPattern['protocol'];
  if (port !== undefined && port !== '*' && (Number(port) < 1 || Number(port) > 65535)) {
    return `the port ${port} is not between 1 and 65535`;
  }
  return {
    protocol,
    hostname: parsed.hostname,
    port: port === '*' ? '*' : port === undefined ? DEFAULT_PORTS[protocol]! : String(Number(port)),
    ...(path === undefined ? {} : { path: globToRegExp(path) }),
  };
}

/** Why a callback URL is refused outright, whatever the allow-list says; undefined when it is not. */
export function callbackUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  // `http://@host` parses with an empty username: refuse any `@` before the path, not only a parsed one.
  if (url.username || url.password || /^[a-z][a-z0-9+.-]*:[/\\]*[^/\\?#]*@/i.test(raw)) {
    return 'must not contain user information (user@ or user:password@)';
  }
  return undefined;
}

/** Whether `raw` is a callback URL the allow-list permits. */
export function callbackAllowed(allow: readonly string[], raw: string): boolean {
  if (callbackUrlProblem(raw) !== undefined) return false;
  const url = new URL(raw);
  const port = url.port || DEFAULT_PORTS[url.protocol]!;
  return allow.some((entry) => {
    const p = parseCallbackPattern(entry);
    if (typeof p === 'string') return false;
    return (
      p.protocol === url.protocol &&
      p.hostname === url.hostname &&
      (p.port === '*' || p.port === port) &&
      (p.path === undefined || p.path.test(url.pathname + url.search))
    );
  });
}
