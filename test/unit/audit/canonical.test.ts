// canonicalJson: the byte-exact form every audit hash depends on.
import { describe, expect, it } from 'vitest';
import { CanonicalJsonError, canonicalJson } from '../../../lib/canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys, recursively, without whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('gives the same text whatever the insertion order', () => {
    expect(canonicalJson({ x: 1, y: { p: true, q: 'q' } })).toBe(
      canonicalJson({ y: { q: 'q', p: true }, x: 1 }),
    );
  });

  it('sorts by UTF-16 code units (RFC 8785 example order)', () => {
    const value = {
      '\u20ac': 'Euro',
      '\r': 'CR',
      '\ufb33': 'Hebrew',
      '1': 'One',
      '\u{1f600}': 'Emoji',
      '\u0080': 'Ctl',
      '\u00f6': 'o',
    };
    const keys = canonicalJson(value).match(/"([^"]*)":/g);
    expect(keys).toEqual(['"\\r":', '"1":', '"\u0080":', '"ö":', '"€":', '"😀":', '"\ufb33":']);
  });

  it('keeps unicode as is and escapes only what JSON requires', () => {
    expect(canonicalJson({ s: 'héllo "w" \\ \n \u0001 😀' })).toBe(
      '{"s":"héllo \\"w\\" \\\\ \\n \\u0001 😀"}',
    );
  });

  it('serializes numbers like ECMAScript', () => {
    expect(canonicalJson([0, -0, 1.5, 1e21, 1e-7, 333333333.3333333, Number('9007199254740993')])).toBe(
      '[0,0,1.5,1e+21,1e-7,333333333.3333333,9007199254740992]',
    );
  });

  it('drops undefined members, turns undefined array elements into null', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1] })).toBe('{"b":[null,1]}');
  });

  it('uses toJSON (dates become ISO strings)', () => {
    expect(canonicalJson({ t: new Date('2025-01-02T03:04:05.678Z') })).toBe(
      '{"t":"2025-01-02T03:04:05.678Z"}',
    );
  });

  it('rejects values with no JSON form', () => {
    for (const bad of [
      NaN,
      Infinity,
      -Infinity,
      10n,
      () => 1,
      Symbol('s'),
      undefined,
      new Map(),
      { a: { b: NaN } },
    ]) {
      expect(() => canonicalJson(bad), String(typeof bad)).toThrow(CanonicalJsonError);
    }
    expect(() => canonicalJson({ a: { b: NaN } })).toThrow(/at \.a\.b/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/);
  });

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { k: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"k":1},"b":[{"k":1}]}');
  });

  it('round-trips: canonical of the parsed canonical text is the same text', () => {
    const value = { z: [1, 2.5, 'x', { b: false, a: null }], a: 'ünï', m: 1e21 };
    const text = canonicalJson(value);
    expect(canonicalJson(JSON.parse(text))).toBe(text);
  });
});
