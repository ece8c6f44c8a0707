// The one place identities are canonicalised and compared. Every source of an identity (API key
// config, OIDC claims, policy groups and identities, Teams and Slack directories, agent.onBehalfOf)
// goes through here, and everything that compares identities compares only what this returns.
// Pure (no Node built-ins), so the workflow's decision rules use it too.
//
// Canonical address: NFKC (fullwidth and other compatibility forms fold to their plain letters),
// trimmed, lower case, no trailing dot on the domain, plain `local@domain` in ASCII. Refused:
// invisible characters (zero-width, bidi controls, soft hyphen and the rest of Unicode's format
// class), control characters, whitespace inside, `mailto:`, display names (`Dana <d@x>`), more
// than one `@`, and anything still non-ASCII after NFKC: no identity provider Airlock reads issues
// those, while a Cyrillic `а` standing in for a Latin `a` is the look-alike NFKC does not fold.
//
// `+tags`: the canonical form keeps them (`dana+ci@example.com` is its own address, and group
// membership is exact), but the no-self-approval rule compares addresses with the tag stripped
// (`selfApprovalKey`): an agent acting for `dana+x@example.com` acts for dana, whatever mailbox
// rule her mail server has. Stripping only there errs towards refusing, never towards allowing.

/** Control (Cc), format (Cf: zero-width, bidi, soft hyphen), separators, surrogates, unassigned-private. */
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}]/u;
const INNER_SPACE = /\s/u;
const ASCII_ADDRESS =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;
/** A service principal: what API keys and OIDC subjects name when they are not addresses. */
const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/@+=|#~-]*$/;
const MAX_LENGTH = 320;

export type Canonical = { ok: true; identity: string } | { ok: false; reason: string };

const refuse = (reason: string): Canonical => ({ ok: false, reason });

/** Shared first steps: NFKC, trim, and the characters no identity may carry. */
function prepare(raw: string): Canonical {
  if (typeof raw !== 'string') return refuse('must be a string');
  if (FORBIDDEN.test(raw)) return refuse('contains an invisible or control character');
  const text = raw.normalize('NFKC').trim();
  // NFKC can produce characters it did not get (rarely); check again after it.
  if (FORBIDDEN.test(text)) return refuse('contains an invisible or control character');
  if (text === '') return refuse('must not be empty');
  if (text.length > MAX_LENGTH) return refuse(`must be at most ${MAX_LENGTH} characters`);
  if (INNER_SPACE.test(text)) return refuse('must not contain spaces');
  return { ok: true, identity: text };
}

/** The canonical form of an e-mail address, or why it is refused. */
export function canonicalAddress(raw: string): Canonical {
  const prepared = prepare(raw);
  if (!prepared.ok) return prepared;
  const text = prepared.identity.toLowerCase();
  if (text.startsWith('mailto:')) return refuse('must be a plain address, without mailto:');
  if (/[<>"]/.test(text)) return refuse('must be a plain address, without a display name');
  const at = text.indexOf('@');
  if (at <= 0 || at !== text.lastIndexOf('@')) return refuse('must be one address: local@domain');
  const address = text.replace(/\.$/, '');
  if (!ASCII_ADDRESS.test(address)) {
    return /[^\x20-\x7e]/.test(address)
      ? refuse('must be plain ASCII (letters that only look Latin are not accepted)')
      : refuse('must be an e-mail address: local@domain.tld');
  }
  return { ok: true, identity: address };
}

/**
 * The canonical form of a principal: an address (canonicalAddress) when it has an `@`, else a
 * service name (`repo:org/app:ref:refs/heads/main`, `deploy-bot`), kept in its case.
 */
export function canonicalPrincipal(raw: string): Canonical {
  const prepared = prepare(raw);
  if (!prepared.ok) return prepared;
  const text = prepared.identity;
  const looksLikeAddress = text.includes('@') && !text.includes(':') && !text.includes('/');
  if (looksLikeAddress || text.toLowerCase().startsWith('mailto:')) return canonicalAddress(text);
  if (!SERVICE_NAME.test(text)) {
    return refuse('must be an e-mail address or a service name (letters, digits and . _ - : / @ + = | # ~)');
  }
  return { ok: true, identity: text };
}

/** The canonical form, or undefined: for comparisons, where a refused value matches nothing. */
export function canonicalOrUndefined(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const result = canonicalPrincipal(raw);
  return result.ok ? result.identity : undefined;
}

/** Whether two identities are the same person or service: canonical forms, exactly. */
export function sameIdentity(a: string | undefined, b: string | undefined): boolean {
  const ca = canonicalOrUndefined(a);
  return ca !== undefined && ca === canonicalOrUndefined(b);
}

/**
 * What the no-self-approval rule compares: the canonical form with any `+tag` stripped from an
 * address's local part. A value that cannot be canonicalised is folded as far as it can be
 * (NFKC, invisibles dropped, lower case, no mailto:, no trailing dot), so that an odd spelling
 * of a requester still counts as that requester: this direction must over-match, never under-match.
 */
export function selfApprovalKey(raw: string): string {
  const canonical = canonicalOrUndefined(raw);
  const folded =
    canonical ??
    raw
      .replace(new RegExp(FORBIDDEN.source, 'gu'), '')
      .normalize('NFKC')
      .trim()
      .toLowerCase()
      .replace(/^mailto:/, '')
      .replace(/^.*<([^>]*)>.*$/, '$1')
      .replace(/\.$/, '');
  const at = folded.lastIndexOf('@');
  if (at <= 0) return folded;
  const local = folded.slice(0, at);
  const plus = local.indexOf('+');
  return plus > 0 ? `${local.slice(0, plus)}${folded.slice(at)}` : folded;
}

/** Whether `a` and `b` are the same human for the no-self-approval rule (tags ignored). */
export function sameForSelfApproval(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || a.trim() === '' || b.trim() === '') return false;
  return selfApprovalKey(a) === selfApprovalKey(b);
}
