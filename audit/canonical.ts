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

/** Canonical JSON text of `value`: sorted keys, no whitespace, undefined members dropped. */
export function canonicalJson(value: unknown): string {
  const out = write(value, '', new Set());
  if (out === undefined) throw new CanonicalJsonError('canonicalJson: undefined has no JSON form');
  return out;
}
