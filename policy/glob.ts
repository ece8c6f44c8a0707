// Glob matching for the `match` fields of policy rules: `*` is any run of characters (dots
// included), `?` exactly one character, everything else literal. Case-sensitive.

/** A `match` field as written: one glob or a list of globs (any of them may match). */
export type GlobField = string | readonly string[];

export type Matcher = (value: string) => boolean;

const REGEX_SPECIALS = /[\\^$.*+?()[\]{}|/]/g;

const compiled = new Map<string, RegExp>();

/** The one glob of the service (policy matches, executor bindings, callback and OIDC allow-lists). */
export function globToRegExp(glob: string): RegExp {
  const cached = compiled.get(glob);
  if (cached) return cached;
  // `s` so that `*` and `?` also cover newlines; `u` so that `?` is one code point, not one UTF-16 unit.
  const re = new RegExp(`^${globSource(glob)}$`, 'su');
  if (compiled.size < 10_000) compiled.set(glob, re);
  return re;
}

/** The unanchored regular expression source of a glob (for the flags `su`), to compose patterns. */
export function globSource(glob: string): string {
  let source = '';
  for (const char of glob) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(REGEX_SPECIALS, '\\$&');
  }
  return source;
}

/** A string matched literally inside a composed pattern. */
export function literalSource(text: string): string {
  return text.replace(REGEX_SPECIALS, '\\$&');
}

export function compileGlob(field: GlobField): Matcher {
  const patterns = (typeof field === 'string' ? [field] : field).map(globToRegExp);
  return (value) => patterns.some((pattern) => pattern.test(value));
}

export function matchesGlob(field: GlobField, value: string): boolean {
  return compileGlob(field)(value);
}
