// Request ids derived from (principal, idempotency key), random ids without a key, and hashes that
// do not depend on key order.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashOf, requestIdFor } from '../../../api/ids.js';
import { sha256Hex } from '../../../lib/sha256.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// RFC 9562: version 8 (custom) in the version nibble, variant 10xx.
const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdFor', () => {
  it('is stable for the same principal and key', () => {
    const a = requestIdFor('ci@example.com', 'deploy-42');
    expect(requestIdFor('ci@example.com', 'deploy-42')).toBe(a);
  });

  it('differs per principal', () => {
    expect(requestIdFor('ci@example.com', 'deploy-42')).not.toBe(
      requestIdFor('other@example.com', 'deploy-42'),
    );
  });

  it('differs per key', () => {
    expect(requestIdFor('ci@example.com', 'deploy-42')).not.toBe(requestIdFor('ci@example.com', 'deploy-43'));
  });

  it('does not confuse the principal/key boundary', () => {
    expect(requestIdFor('ab', 'c')).not.toBe(requestIdFor('a', 'bc'));
  });

  it.each([
    ['ci@example.com', 'k'],
    ['ci@example.com', 'x'.repeat(255)],
    ['svc:deploy', 'ключ-🔑'],
    ['a', 'b'],
  ])('derived ids look like version-8 UUIDs (%s, %s)', (principal, key) => {
    const id = requestIdFor(principal, key);
    expect(id).toMatch(UUID);
    expect(id).toMatch(UUID_V8);
    // The API accepts it back as a path id.
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('is derived from the SHA-256 of principal NUL key', () => {
    const h = createHash('sha256').update('ci@example.com\u0000deploy-42').digest('hex');
    const id = requestIdFor('ci@example.com', 'deploy-42');
    expect(id.replaceAll('-', '').slice(0, 12)).toBe(h.slice(0, 12));
    expect(id.slice(-12)).toBe(h.slice(20, 32));
  });

  it('many keys give distinct, well-formed ids', () => {
    const ids = new Set(Array.from({ length: 500 }, (_, i) => requestIdFor('ci@example.com', `key-${i}`)));
    expect(ids.size).toBe(500);
    for (const id of ids) expect(id).toMatch(UUID_V8);
  });

  it.each([undefined, ''])('without a key (%j): a random v4 UUID each time', (key) => {
    const a = requestIdFor('ci@example.com', key);
    const b = requestIdFor('ci@example.com', key);
    expect(a).toMatch(UUID_V4);
    expect(b).toMatch(UUID_V4);
    expect(a).not.toBe(b);
  });
});

describe('hashOf', () => {
  it('does not depend on key order, at any depth', () => {
    const a = { method: 'POST', path: '/x', body: { b: 2, a: [1, { y: 1, z: 2 }] } };
    const b = { body: { a: [1, { z: 2, y: 1 }], b: 2 }, path: '/x', method: 'POST' };
    expect(hashOf(a)).toBe(hashOf(b));
  });

  it('changes when a value changes', () => {
    expect(hashOf({ a: 1, b: 2 })).not.toBe(hashOf({ a: 1, b: 3 }));
    expect(hashOf({ a: '1' })).not.toBe(hashOf({ a: 1 }));
  });

  it('keeps array order significant', () => {
    expect(hashOf([1, 2])).not.toBe(hashOf([2, 1]));
  });

  it('is the SHA-256 hex of the canonical JSON', () => {
    expect(hashOf({ b: 1, a: 'x' })).toBe(sha256Hex('{"a":"x","b":1}'));
    expect(hashOf({ b: 1, a: 'x' })).toMatch(/^[0-9a-f]{64}$/);
  });
});
