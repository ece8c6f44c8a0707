import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../lib/sha256.js';

describe('sha256Hex', () => {
  it('is SHA-256 as lowercase hex', () => {
    expect(sha256Hex('test')).toBe('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08');
  });

  it('hashes the UTF-8 text, lone surrogates included, as createHash does', () => {
    for (const t of ['', 'abc', 'é😀', 'x\ud800y', '\udc00'])
      expect(sha256Hex(t)).toBe(createHash('sha256').update(t, 'utf8').digest('hex'));
  });

  it('hashes bytes as they are', () => {
    const bytes = new Uint8Array([0, 255, 128]);
    expect(sha256Hex(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});
