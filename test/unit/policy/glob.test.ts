import { describe, expect, it } from 'vitest';
import { compileGlob, globToRegExp, matchesGlob } from '../../../policy/glob.js';

describe('glob', () => {
  it.each([
    ['db.export', 'db.export', true],
    ['db.export', 'db.exports', false],
    ['db.export', 'dbXexport', false],
    ['db.*', 'db.export', true],
    ['db.*', 'db.schema.migrate', true],
    ['db.*', 'db.', true],
    ['db.*', 'db', false],
    ['*', '', true],
    ['*', 'anything.at.all', true],
    ['http.?', 'http.x', true],
    ['http.?', 'http.', false],
    ['http.?', 'http.xy', false],
    ['*://analytics/*', 'postgres://analytics/customers', true],
    ['a+b(c)', 'a+b(c)', true],
    ['a+b(c)', 'aab(c)', false],
    ['[prod]', '[prod]', true],
    ['[prod]', 'p', false],
    ['cost$^|{1}', 'cost$^|{1}', true],
    ['back\\slash', 'back\\slash', true],
    ['Production', 'production', false],
    ['?', 'é', true],
    ['*', 'multi\nline', true],
  ])('%j against %j is %s', (glob, value, expected) => {
    expect(matchesGlob(glob, value)).toBe(expected);
  });

  it('a list matches when any glob matches', () => {
    const match = compileGlob(['dev', 'staging*']);
    expect(match('dev')).toBe(true);
    expect(match('staging-eu')).toBe(true);
    expect(match('production')).toBe(false);
  });

  it('anchors the whole value', () => {
    expect(globToRegExp('export').test('db.export')).toBe(false);
  });
});
