// CEL's `matches` uses RE2 syntax, but cel-js compiles patterns with a flag-less JavaScript RegExp
// (and Node 20 has no inline modifiers). This rewrites the RE2-only parts policies use, chiefly a
// leading `(?i)`, into an equivalent flag-less JavaScript pattern.

export class RegexTranslationError extends Error {
  override readonly name = 'RegexTranslationError';
}

interface Flags {
  i: boolean;
  s: boolean;
  m: boolean;
}

const LEADING_FLAGS = /^\(\?([a-zA-Z]+)\)/;
const GROUP_OPENER = /^\(\?(?:P?<[A-Za-z_][A-Za-z0-9_]*>|<=|<!|[:=!])/;
const INLINE_FLAGS = /^\(\?[a-zA-Z-]+[:)]/;

/** A JavaScript pattern, to be compiled without flags, that matches what the RE2 pattern matches. */
export function translateRe2(pattern: string): string {
  const flags: Flags = { i: false, s: false, m: false };
  let rest = pattern;
  const leading = LEADING_FLAGS.exec(pattern);
  if (leading) {
    for (const flag of leading[1]!) {
      if (flag !== 'i' && flag !== 's' && flag !== 'm') {
        throw new RegexTranslationError(
          `unsupported regular expression flag "${flag}" in ${JSON.stringify(pattern)}`,
        );
      }
      flags[flag] = true;
    }
    rest = pattern.slice(leading[0].length);
  }
  return translateBody(rest, flags, pattern);
}

function translateBody(p: string, flags: Flags, original: string): string {
  let out = '';
  let i = 0;
  while (i < p.length) {
    const c = p[i]!;
    if (c === '\\') {
      const end = escapeEnd(p, i);
      out += p.slice(i, end);
      i = end;
    } else if (c === '[') {
      const end = classEnd(p, i);
      out += flags.i ? foldClass(p.slice(i, end)) : p.slice(i, end);
      i = end;
    } else if (c === '(' && p[i + 1] === '?') {
      const opener = GROUP_OPENER.exec(p.slice(i));
      if (!opener) {
        const what = INLINE_FLAGS.test(p.slice(i))
          ? 'inline flags are only supported at the start'
          : 'unsupported group';
        throw new RegexTranslationError(`${what} in ${JSON.stringify(original)}`);
      }
      out += opener[0].replace('(?P<', '(?<');
      i += opener[0].length;
    } else {
      out += translateChar(c, flags);
      i += 1;
    }
  }
  return out;
}

function translateChar(c: string, flags: Flags): string {
  if (c === '.' && flags.s) return '[\\s\\S]';
  if (c === '^' && flags.m) return '(?<=^|\\n)';
  if (c === '$' && flags.m) return '(?=$|\\n)';
  if (!flags.i) return c;
  const lower = c.toLowerCase();
  const upper = c.toUpperCase();
  return lower !== upper && lower.length === 1 && upper.length === 1 ? `[${lower}${upper}]` : c;
}

/** Index just past the escape sequence starting at `i` (which holds the backslash). */
function escapeEnd(p: string, i: number): number {
  const next = p[i + 1];
  const tail = p.slice(i + 2);
  let extra: RegExpExecArray | null = null;
  if (next === 'x') extra = /^[0-9a-fA-F]{2}/.exec(tail);
  else if (next === 'u') extra = /^(?:\{[0-9a-fA-F]+\}|[0-9a-fA-F]{4})/.exec(tail);
  else if (next === 'p' || next === 'P') extra = /^\{[^}]*\}/.exec(tail);
  else if (next === 'k') extra = /^<[^>]*>/.exec(tail);
  else if (next === 'c') extra = /^[A-Za-z]/.exec(tail);
  else if (next !== undefined && /[0-9]/.test(next)) extra = /^[0-9]*/.exec(tail);
  return Math.min(p.length, i + 2 + (extra?.[0].length ?? 0));
}

/** Index just past the character class starting at `i` (which holds the `[`). */
function classEnd(p: string, i: number): number {
  let j = i + 1;
  while (j < p.length && p[j] !== ']') j = p[j] === '\\' ? escapeEnd(p, j) : j + 1;
  return Math.min(p.length, j + 1);
}

/** Adds the other-case letters of every single letter and every range to a class. */
function foldClass(cls: string): string {
  if (!cls.endsWith(']')) return cls;
  const body = cls.slice(1, -1);
  const extra: string[] = [];
  let j = body.startsWith('^') ? 1 : 0;
  while (j < body.length) {
    if (body[j] === '\\') {
      j = escapeEnd(body, j);
      continue;
    }
    const lo = body.codePointAt(j)!;
    if (body[j + 1] === '-' && j + 2 < body.length && body[j + 2] !== '\\') {
      extra.push(...foldRange(lo, body.codePointAt(j + 2)!));
      j += 3;
    } else {
      extra.push(...foldRange(lo, lo));
      j += 1;
    }
  }
  return `[${body}${extra.join('')}]`;
}

function foldRange(lo: number, hi: number): string[] {
  const out: string[] = [];
  const span = (from: number, to: number, shift: number) => {
    const a = Math.max(lo, from);
    const b = Math.min(hi, to);
    if (a > b) return;
    const start = String.fromCodePoint(a + shift);
    out.push(a === b ? start : `${start}-${String.fromCodePoint(b + shift)}`);
  };
  span(0x61, 0x7a, -0x20); // a-z -> A-Z
  span(0x41, 0x5a, 0x20); // A-Z -> a-z
  return out;
}
