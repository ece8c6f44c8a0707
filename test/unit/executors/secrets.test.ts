// Derived secrets are deterministic per (key, purpose, request) and differ otherwise.
import { describe, expect, it } from 'vitest';
import { deriveSecret, timingSafeEqualStr } from '../../../executors/secrets.js';

const key = Buffer.alloc(32, 7);

describe('deriveSecret', () => {
  it('is deterministic and base64url', () => {
    const s = deriveSecret(key, 'grant-password', 'req-1');
    expect(s).toBe(deriveSecret(key, 'grant-password', 'req-1'));
    expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('depends on key, purpose and request id', () => {
    const s = deriveSecret(key, 'grant-password', 'req-1');
    expect(deriveSecret(Buffer.alloc(32, 8), 'grant-password', 'req-1')).not.toBe(s);
    expect(deriveSecret(key, 'gate-token', 'req-1')).not.toBe(s);
    expect(deriveSecret(key, 'grant-password', 'req-2')).not.toBe(s);
  });

  it('cuts to the requested length and refuses bad input', () => {
    expect(deriveSecret(key, 'p', 'r', 20)).toBe(deriveSecret(key, 'p', 'r').slice(0, 20));
    expect(() => deriveSecret(Buffer.alloc(4), 'p', 'r')).toThrow(/master key/);
    expect(() => deriveSecret(key, 'a:b', 'r')).toThrow(/purpose/);
    expect(() => deriveSecret(key, 'p', 'r', 100)).toThrow(/length/);
  });
});

describe('timingSafeEqualStr', () => {
  it('compares strings of any length', () => {
    expect(timingSafeEqualStr('abc', 'abc')).toBe(true);
    expect(timingSafeEqualStr('abc', 'abd')).toBe(false);
    expect(timingSafeEqualStr('abc', 'abcd')).toBe(false);
    expect(timingSafeEqualStr('', '')).toBe(true);
  });
});
