// Ed25519 signatures over small canonical-JSON statements (a chain checkpoint, an evidence pack's
// seal), and the public keys as a JWKS (RFC 8037 OKP keys). Pure node:crypto, so an auditor's
// offline `verify-pack` runs the very same code with no server and no database.
import { createPublicKey, sign, verify } from 'node:crypto';
import { canonicalJson } from '../lib/canonical-json.js';
import { type SigningKey, signingKeyId } from '../lib/keys.js';

/** A public signing key as published at /.well-known/airlock-audit-keys.json. */
export interface PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  /** Raw public key, base64url. */
  x: string;
  kid: string;
  use: 'sig';
  alg: 'EdDSA';
}

export interface CheckpointStatement {
  type: 'airlock.audit.checkpoint';
  v: 1;
  /** The chain id and hash of the newest event the checkpoint covers. */
  headId: number;
  headHash: string;
  signedAt: string;
  kid: string;
}

export interface SealStatement {
  type: 'airlock.evidence.seal';
  v: 1;
  /** SHA-256 (hex) of every byte of the pack before the seal line. */
  sha256: string;
  kid: string;
}

export type Statement = CheckpointStatement | SealStatement;

export function toJwk(key: Pick<SigningKey, 'kid' | 'publicKey'>): PublicJwk {
  return {
    kty: 'OKP',
    crv: 'Ed25519',
    x: key.publicKey.toString('base64url'),
    kid: key.kid,
    use: 'sig',
    alg: 'EdDSA',
  };
}

/** Raw public key of a JWK; throws when it is not an Ed25519 key or its kid does not match it. */
export function publicKeyOfJwk(jwk: unknown): { kid: string; publicKey: Buffer } {
  const j = jwk as Partial<PublicJwk> | null;
  if (j?.kty !== 'OKP' || j.crv !== 'Ed25519' || typeof j.x !== 'string' || typeof j.kid !== 'string')
    throw new TypeError('not an Ed25519 public JWK');
  const publicKey = Buffer.from(j.x, 'base64url');
  if (publicKey.length !== 32) throw new TypeError(`key ${j.kid}: an Ed25519 public key is 32 bytes`);
  if (signingKeyId(publicKey) !== j.kid)
    throw new TypeError(`key ${j.kid}: the kid is not the hash of the public key`);
  return { kid: j.kid, publicKey };
}

/** Base64url Ed25519 signature over the canonical JSON of the statement. */
export function signStatement(key: SigningKey, statement: Statement): string {
  if (statement.kid !== key.kid) throw new Error('statement kid differs from the signing key');
  return sign(null, Buffer.from(canonicalJson(statement), 'utf8'), key.privateKey).toString('base64url');
}

export function verifyStatement(publicKey: Buffer, statement: Statement, signature: string): boolean {
  const sig = Buffer.from(signature, 'base64url');
  // Only the canonical encoding: otherwise the unused low bits of the last character could change.
  if (sig.length !== 64 || sig.toString('base64url') !== signature) return false;
  try {
    const keyObject = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url') },
      format: 'jwk',
    });
    return verify(null, Buffer.from(canonicalJson(statement), 'utf8'), keyObject, sig);
  } catch {
    return false;
  }
}
