// Key handling: one master key derives independent, stable keys per purpose (HKDF), key ids are
// short public hashes, old master keys stay usable, and a signature fails with any other key.
import { describe, expect, it } from 'vitest';
import { publicKeyOfJwk, signStatement, toJwk, verifyStatement } from '../../../audit/signing.js';
import { buildKeyring, payloadKeyFrom, signingKeyFrom, signingKeyId } from '../../../lib/keys.js';

const master = (n: number) => Buffer.alloc(32, n);
const statement = (kid: string) => ({
  type: 'airlock.audit.checkpoint' as const,
  v: 1 as const,
  headId: 42,
  headHash: 'ab'.repeat(32),
  signedAt: '2025-01-01T00:00:00.000Z',
  kid,
});

describe('derived keys', () => {
  it('are stable, differ per purpose and per master, and never equal the master', () => {
    const a = payloadKeyFrom(master(1));
    expect(payloadKeyFrom(master(1))).toEqual(a);
    expect(a.key.equals(master(1))).toBe(false);
    expect(payloadKeyFrom(master(2)).key.equals(a.key)).toBe(false);
    const s = signingKeyFrom(master(1));
    expect(s.publicKey.equals(a.key)).toBe(false);
    expect(a.kid).toMatch(/^[0-9a-f]{16}$/);
    expect(s.kid).toBe(signingKeyId(s.publicKey));
    expect(signingKeyFrom(master(1)).kid).toBe(s.kid);
  });

  it('refuses a master key that is not 32 bytes', () => {
    expect(() => payloadKeyFrom(Buffer.alloc(16))).toThrow(/32 bytes/);
  });

  it('keeps old keys for decryption and verification, the current one first', () => {
    const ring = buildKeyring(master(3), [master(1), master(3)]);
    expect(ring.payloadKeys.map((k) => k.kid)).toEqual([
      payloadKeyFrom(master(3)).kid,
      payloadKeyFrom(master(1)).kid,
    ]);
    expect(ring.payload.kid).toBe(payloadKeyFrom(master(3)).kid);
    expect(ring.signingKeys).toHaveLength(2);
    expect(ring.signing.kid).toBe(signingKeyFrom(master(3)).kid);
  });
});

describe('signatures', () => {
  const key = signingKeyFrom(master(1));
  const other = signingKeyFrom(master(2));

  it('verify with the signing key only', () => {
    const sig = signStatement(key, statement(key.kid));
    expect(verifyStatement(key.publicKey, statement(key.kid), sig)).toBe(true);
    expect(verifyStatement(other.publicKey, statement(key.kid), sig)).toBe(false);
  });

  it('fail when any field of the statement changes', () => {
    const sig = signStatement(key, statement(key.kid));
    expect(verifyStatement(key.publicKey, { ...statement(key.kid), headId: 43 }, sig)).toBe(false);
    expect(verifyStatement(key.publicKey, { ...statement(key.kid), headHash: 'cd'.repeat(32) }, sig)).toBe(
      false,
    );
    const flipped = Buffer.from(sig, 'base64url');
    flipped[10] = flipped[10]! ^ 1;
    expect(verifyStatement(key.publicKey, statement(key.kid), flipped.toString('base64url'))).toBe(false);
  });

  it('publishes JWKs whose kid is the hash of the key, and refuses a mislabelled one', () => {
    const jwk = toJwk(key);
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', kid: key.kid });
    expect(publicKeyOfJwk(jwk).publicKey.equals(key.publicKey)).toBe(true);
    expect(() => publicKeyOfJwk({ ...jwk, x: toJwk(other).x })).toThrow(/not the hash/);
  });
});
