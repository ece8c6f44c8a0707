// The small pieces: durations, ${...} interpolation, API key hashing/generation, zod error lines.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are `${VAR}` references under test.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generateApiKey, hashApiKey } from '../../../config/api-keys.js';
import { formatDuration, parseDuration } from '../../../config/duration.js';
import { formatPath, zodErrorToLines } from '../../../config/errors.js';
import { interpolateString, interpolateTree } from '../../../config/interpolate.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['1h30m', 5_400_000],
    [' 10s ', 10_000],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', '0s', '-5s', '1.5h', '15 minutes', '1w', 's', '1h 30m', 'ms'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('formats back to the shortest exact form', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(1_500)).toBe('1s500ms');
  });
});

describe('interpolation', () => {
  const env = { A: 'alpha', EMPTY: '' };

  it('replaces variables and keeps $${ literal', () => {
    expect(interpolateString('x-${A}-$${A}-$5', { env })).toEqual({ value: 'x-alpha-${A}-$5', problems: [] });
  });

  it('names unset, empty and malformed references', () => {
    expect(interpolateString('${B}', { env }).problems).toEqual(['environment variable B is not set']);
    expect(interpolateString('${EMPTY}', { env }).problems).toEqual(['environment variable EMPTY is empty']);
    expect(interpolateString('${A B}', { env }).problems[0]).toMatch(/is not a valid reference/);
    expect(interpolateString('${A', { env }).problems[0]).toMatch(/unterminated/);
  });

  it('walks lists and mappings, leaving keys and non-strings alone, and reports paths', () => {
    const result = interpolateTree(
      { '${A}': ['${A}', 3, { k: '${NOPE}' }], n: null },
      { fileName: 'f.yaml', env },
    );
    expect(result.value).toEqual({ '${A}': ['alpha', 3, { k: '' }], n: null });
    expect(result.problems).toEqual([
      { path: ['${A}', 2, 'k'], detail: 'environment variable NOPE is not set' },
    ]);
  });

  it('reads ${file:...} through the injected reader, trimmed', () => {
    const readFile = (p: string) => (p === '/run/secrets/t' ? '  tok\n' : '');
    expect(interpolateString('Bearer ${file:/run/secrets/t}', { env, readFile }).value).toBe('Bearer tok');
  });
});

describe('API keys', () => {
  it('hashes with SHA-256 hex', () => {
    expect(hashApiKey('test')).toBe('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08');
  });

  it('generates prefixed keys with 32 random bytes', () => {
    const a = generateApiKey('ci');
    expect(a).toMatch(/^airlock_ci_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.slice('airlock_ci_'.length), 'base64url')).toHaveLength(32);
    expect(generateApiKey('ci')).not.toBe(a);
    expect(() => generateApiKey('Bad Prefix')).toThrow();
  });
});

describe('zod error lines', () => {
  it('names each problem with a dotted/bracketed path', () => {
    expect(formatPath(['targets', 'admin-api', 'baseUrl'])).toBe('targets.admin-api.baseUrl');
    expect(formatPath(['actions', 2, 'target'])).toBe('actions[2].target');
    const schema = z.strictObject({ a: z.string(), list: z.array(z.number()), kind: z.enum(['x', 'y']) });
    const error = schema.safeParse({ list: [1, 'two'], kind: 'z', extra: 1, more: 2 }, { reportInput: true })
      .error!;
    expect(zodErrorToLines(error, 'f.yaml')).toEqual([
      'f.yaml: a: is required',
      'f.yaml: list[1]: must be a number, got a string',
      'f.yaml: kind: must be one of "x", "y"',
      'f.yaml: extra: unknown field',
      'f.yaml: more: unknown field',
    ]);
  });
});
