// Deterministic JSON (RFC 8785 style) so an event hashes the same on every machine, today and
// when an auditor re-verifies an export years later.

/** Thrown for values that have no canonical JSON form (NaN, Infinity, BigInt, functions, cycles...). */
export class CanonicalJsonError extends TypeError {
  override readonly name = 'CanonicalJsonError';
}

function fail(path: string, what: string): never {
  throw new CanonicalJsonError(`canonicalJson: ${what} at ${path || '$'} has no JSON form`);
}

function hasToJson(v: object): v is { toJSON: (key: string) => unknown } {
  return typeof (v as { toJSON?: unknown }).toJSON === 'function';
}

function write(value: unknown, path: string, seen: Set<object>): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      // ECMAScript number serialization is exactly RFC 8785's; -0 becomes "0".
      return Number.isFinite(value) ? JSON.stringify(value) : fail(path, String(value));
    case 'undefined':
      return undefined;
    case 'bigint':
      return fail(path, 'a BigInt');
    case 'function':
    case 'symbol':
      return fail(path, `a ${typeof value}`);
  }
  if (value === null) return 'null';
  const obj = value as object;
  if (hasToJson(obj)) return write(obj.toJSON(''), path, seen); // e.g. Date -> ISO string
  if (seen.has(obj)) fail(path, 'a cycle');
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      // Like JSON.stringify, an undefined element becomes null (positions are meaningful).
      return `[${obj.map((v, i) => write(v, `${path}[${i}]`, seen) ?? 'null').join(',')}]`;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null)
      fail(path, `a ${obj.constructor?.name ?? 'non-plain'} object`);
    const rec = obj as Record<string, unknown>;
    // Default sort compares UTF-16 code units, which is what RFC 8785 prescribes.
    const members: string[] = [];
    for (const key of Object.keys(rec).sort()) {
      const v = write(rec[key], `${path}.${key}`, seen);
      if (v !== undefined) members.push(`${JSON.stringify(key)}:${v}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    seen.delete(obj);
  }
}

// Fast path. For a value made only of strings, finite numbers, booleans, null, dense arrays and
// plain objects whose Object.keys order is already sorted by UTF-16 code units (what JSON.parse
// gives for canonical text, and what most writers build), JSON.stringify emits exactly what
// `write` would: same member order, same string escaping, same number form (both are
// ECMAScript's). Anything else (Dates, toJSON, undefined members, unsorted keys, holes, deep or
// cyclic values) falls back to `write`, so the output is byte-identical either way.
const MAX_FAST_DEPTH = 64;

function isSortedJsonNative(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth >= MAX_FAST_DEPTH) return false;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return false;
    for (let i = 0; i < value.length; i++) {
      if (!(i in value) || !isSortedJsonNative(value[i], depth + 1)) return false;
    }
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const rec = value as Record<string, unknown>;
  // Object.keys order is the order JSON.stringify writes members in.
  const keys = Object.keys(rec);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (i > 0 && !(keys[i - 1]! < key)) return false;
    if (!isSortedJsonNative(rec[key], depth + 1)) return false;
  }
  return true;
}

/**
 * Canonical text of `value`, or undefined when `value` has no JSON form as a member (undefined,
 * or a toJSON returning undefined): such a member is dropped from its object.
 */
export function canonicalJsonMember(value: unknown): string | undefined {
  if (isSortedJsonNative(value, 0)) return JSON.stringify(value);
  return write(value, '', new Set());
}

/** Canonical JSON text of `value`: sorted keys, no whitespace, undefined members dropped. */
export function canonicalJson(value: unknown): string {
  const out = canonicalJsonMember(value);
  if (out === undefined) throw new CanonicalJsonError('canonicalJson: undefined has no JSON form');
  return out;
}

// Recognising canonical text without parsing it. The audit store writes canonicalJson(data) to
// audit_events.data, so verifying can hash that text as is, provided it really is canonical:
// isCanonicalJsonText(t) is true only when canonicalJson(JSON.parse(t)) === t. It may say false
// for some canonical texts (escaped surrogates, escaped keys, very deep nesting); callers then
// take the exact route (parse and re-serialize), so a false is only slower, never different.

const QUOTE = 0x22;
/** Characters JSON.stringify writes as they are, except surrogates (checked for pairing). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it excludes
const PLAIN_RUN = /[^"\\\u0000-\u001f\ud800-\udfff]*/y;
const BACKSLASH = 0x5c;

/** End of the string token starting at t[i] === '"', or -1 if it is not in JSON.stringify's form. */
function stringEnd(t: string, i: number): number {
  for (let j = i + 1; j < t.length; ) {
    // Skip the run of characters that stand for themselves (the regex engine is faster at it).
    PLAIN_RUN.lastIndex = j;
    PLAIN_RUN.test(t);
    j = PLAIN_RUN.lastIndex;
    const c = t.charCodeAt(j);
    if (c === QUOTE) return j + 1;
    if (c < 0x20) return -1;
    if (c === BACKSLASH) {
      const e = t.charCodeAt(j + 1);
      // \" \\ \b \f \n \r \t: the short escapes JSON.stringify uses (never \/).
      if (
        e === QUOTE ||
        e === BACKSLASH ||
        e === 0x62 ||
        e === 0x66 ||
        e === 0x6e ||
        e === 0x72 ||
        e === 0x74
      ) {
        j += 2;
        continue;
      }
      if (e !== 0x75) return -1;
      // \u00XX, lowercase, only for control characters without a short escape.
      if (t.charCodeAt(j + 2) !== 0x30 || t.charCodeAt(j + 3) !== 0x30) return -1;
      const hi = t.charCodeAt(j + 4);
      const lo = t.charCodeAt(j + 5);
      if (hi !== 0x30 && hi !== 0x31) return -1;
      const low = lo >= 0x30 && lo <= 0x39 ? lo - 0x30 : lo >= 0x61 && lo <= 0x66 ? lo - 0x61 + 10 : -1;
      if (low < 0) return -1;
      const code = (hi - 0x30) * 16 + low;
      if (code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d) return -1;
      j += 6;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      // Only a well-formed surrogate pair stays raw; JSON.stringify escapes a lone one.
      const d = t.charCodeAt(j + 1);
      if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) return -1;
      j += 2;
      continue;
    }
    j++;
  }
  return -1;
}

/** End of the number token at t[i], or -1 unless it is exactly how ECMAScript writes its value. */
function numberEnd(t: string, i: number): number {
  let j = i;
  for (; j < t.length; j++) {
    const c = t.charCodeAt(j);
    // digits, '+', '-', '.', 'e', 'E'
    if (!((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e || c === 0x65 || c === 0x45))
      break;
  }
  const token = t.slice(i, j);
  // Number::toString output is valid JSON, finite here, and what canonicalJson writes.
  return String(Number(token)) === token ? j : -1;
}

/** True when t[a..aEnd) sorts strictly before t[b..bEnd) by UTF-16 code units. */
function rangeLess(t: string, a: number, aEnd: number, b: number, bEnd: number): boolean {
  for (; a < aEnd && b < bEnd; a++, b++) {
    const x = t.charCodeAt(a);
    const y = t.charCodeAt(b);
    if (x !== y) return x < y;
  }
  return a === aEnd && b < bEnd;
}

/** End of the canonical value at t[i], or -1. */
function valueEnd(t: string, i: number, depth: number): number {
  const c = t.charCodeAt(i);
  if (c === QUOTE) return stringEnd(t, i);
  if (c === 0x7b /* { */) {
    if (depth >= MAX_FAST_DEPTH) return -1;
    let j = i + 1;
    if (t.charCodeAt(j) === 0x7d) return j + 1;
    let prevStart = -1;
    let prevEnd = -1;
    for (;;) {
      if (t.charCodeAt(j) !== QUOTE) return -1;
      const keyEnd = stringEnd(t, j);
      if (keyEnd < 0) return -1;
      // Keys are compared raw, which equals comparing them decoded only without escapes.
      for (let k = j + 1; k < keyEnd - 1; k++) if (t.charCodeAt(k) === BACKSLASH) return -1;
      if (prevStart >= 0 && !rangeLess(t, prevStart, prevEnd, j + 1, keyEnd - 1)) return -1;
      prevStart = j + 1;
      prevEnd = keyEnd - 1;
      if (t.charCodeAt(keyEnd) !== 0x3a /* : */) return -1;
      j = valueEnd(t, keyEnd + 1, depth + 1);
      if (j < 0) return -1;
      const d = t.charCodeAt(j);
      if (d === 0x7d) return j + 1;
      if (d !== 0x2c /* , */) return -1;
      j++;
    }
  }
  if (c === 0x5b /* [ */) {
    if (depth >= MAX_FAST_DEPTH) return -1;
    let j = i + 1;
    if (t.charCodeAt(j) === 0x5d) return j + 1;
    for (;;) {
      j = valueEnd(t, j, depth + 1);
      if (j < 0) return -1;
      const d = t.charCodeAt(j);
      if (d === 0x5d) return j + 1;
      if (d !== 0x2c) return -1;
      j++;
    }
  }
  if (c === 0x74 /* t */) return t.startsWith('true', i) ? i + 4 : -1;
  if (c === 0x66 /* f */) return t.startsWith('false', i) ? i + 5 : -1;
  if (c === 0x6e /* n */) return t.startsWith('null', i) ? i + 4 : -1;
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return numberEnd(t, i);
  return -1;
}

/** True only if `text` is exactly canonicalJson(JSON.parse(text)) (see above: may be a false negative). */
export function isCanonicalJsonText(text: string): boolean {
  return text.length > 0 && valueEnd(text, 0, 0) === text.length;
}
