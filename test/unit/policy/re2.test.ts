import { describe, expect, it } from 'vitest';
import { RegexTranslationError, translateRe2 } from '../../../policy/re2.js';

const test = (re2: string, text: string) => new RegExp(translateRe2(re2)).test(text);

describe('translateRe2', () => {
  it('leaves plain patterns alone', () => {
    expect(translateRe2('^a.c\\d+[x-z]$')).toBe('^a.c\\d+[x-z]$');
  });

  it('makes (?i) case-insensitive without flags', () => {
    expect(test('(?i)\\bdrop\\s+table\\b', 'DROP TABLE x')).toBe(true);
    expect(test('(?i)\\bdrop\\s+table\\b', 'Drop   Table x')).toBe(true);
    expect(test('(?i)\\bdrop\\s+table\\b', 'SELECT 1')).toBe(false);
    expect(test('(?i)\\bdrop\\s+table\\b', 'backdrop tables')).toBe(false);
  });

  it('does not fold escapes such as \\S, \\B, \\x41 or \\p{..}', () => {
    expect(test('(?i)^\\S$', ' ')).toBe(false);
    expect(test('(?i)^\\x41$', 'A')).toBe(true);
    expect(test('(?i)a\\Bb', 'a b')).toBe(false);
  });

  it('folds character classes and ranges, negated ones too', () => {
    expect(test('(?i)^[a-c]+$', 'AbC')).toBe(true);
    expect(test('(?i)^[^a]$', 'A')).toBe(false);
    expect(test('(?i)^[^a]$', 'b')).toBe(true);
    expect(test('(?i)^[0-9X]$', 'x')).toBe(true);
  });

  it('keeps group syntax and named groups (RE2 (?P<name>))', () => {
    expect(test('(?i)^(?:ab)+(?P<n>c)$', 'ABabC')).toBe(true);
    expect(test('(?i)^(?=a)A', 'a')).toBe(true);
  });

  it('supports (?s) and (?m)', () => {
    expect(test('(?s)^a.b$', 'a\nb')).toBe(true);
    expect(test('^a.b$', 'a\nb')).toBe(false);
    expect(test('(?m)^b$', 'a\nb\nc')).toBe(true);
    expect(test('^b$', 'a\nb\nc')).toBe(false);
  });

  it('rejects flags it cannot translate', () => {
    expect(() => translateRe2('(?U)a+')).toThrow(RegexTranslationError);
    expect(() => translateRe2('a(?i)b')).toThrow(/only supported at the start/);
    expect(() => translateRe2('a(?i:b)')).toThrow(/only supported at the start/);
  });
});
