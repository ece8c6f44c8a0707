// Key material derived from the master key (AIRLOCK_ENCRYPTION_KEY) with HKDF-SHA256, one
// distinct `info` per purpose, so the payload-encryption key and the checkpoint-signing key are
// independent of each other and of the HMAC secrets executors/secrets.ts derives. Old master keys
// (AIRLOCK_ENCRYPTION_KEYS_OLD) still decrypt payloads and still verify what they signed.
import { createHash, createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from 'node:crypto';

const SALT = Buffer.from('airlock-kdf-v1', 'utf8');
export const PAYLOAD_KEY_INFO = 'airlock/temporal-payload-codec/aes-256-gcm/v1';
export const SIGNING_KEY_INFO = 'airlock/audit-checkpoint/ed25519/v1';
export const MESSAGE_PROOF_KEY_INFO = 'airlock/workflow-message-proof/hmac-sha256/v1';
// PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410).
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface PayloadKey {
  /** Short, public identifier written into every encrypted payload's metadata. */
  kid: string;
  key: Buffer;
}

export interface SigningKey {
  /** First 16 hex characters of SHA-256 over the raw public key: anyone can recompute it. */
  kid: string;
  privateKey: KeyObject;
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Buffer;
}

export interface Keyring {
  /** Encrypts new payloads. */
  payload: PayloadKey;
  /** Decrypts: the current key first, then the old ones. */
  payloadKeys: PayloadKey[];
  /** Signs new checkpoints and packs. */
  signing: SigningKey;
  /** Published (current first) so older signatures still verify. */
  signingKeys: SigningKey[];
}

function derive(master: Buffer, info: string): Buffer {
  if (master.length !== 32) throw new RangeError('a master key must be exactly 32 bytes');
  return Buffer.from(hkdfSync('sha256', master, SALT, Buffer.from(info, 'utf8'), 32));
}

export function payloadKeyFrom(master: Buffer): PayloadKey {
  const key = derive(master, PAYLOAD_KEY_INFO);
  // Domain-separated so the id is never "the hash of the key" someone could reuse elsewhere.
  const kid = createHash('sha256').update('airlock payload key id\0').update(key).digest('hex').slice(0, 16);
  return { kid, key };
}

/** Key id of an Ed25519 public key: the first 16 hex characters of its SHA-256. */
export function signingKeyId(publicKey: Buffer): string {
  return createHash('sha256').update(publicKey).digest('hex').slice(0, 16);
}

export function signingKeyFromSeed(seed: Buffer): SigningKey {
  if (seed.length !== 32) throw new RangeError('an Ed25519 seed must be exactly 32 bytes');
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  const publicKey = Buffer.from(String(jwk.x), 'base64url');
  return { kid: signingKeyId(publicKey), privateKey, publicKey };
}

/** The HMAC key the API and channels prove their workflow messages with (temporal/message-proof.ts). */
export function messageProofKeyFrom(master: Buffer): Buffer {
  return derive(master, MESSAGE_PROOF_KEY_INFO);
}

export function signingKeyFrom(master: Buffer): SigningKey {
  return signingKeyFromSeed(derive(master, SIGNING_KEY_INFO));
}

/** The service's keyring: `current` encrypts and signs; `old` keys only decrypt and verify. */
export function buildKeyring(current: Buffer, old: readonly Buffer[] = []): Keyring {
  const masters = [current, ...old.filter((k) => !k.equals(current))];
  const payloadKeys = masters.map(payloadKeyFrom);
  const signingKeys = masters.map(signingKeyFrom);
  return { payload: payloadKeys[0]!, payloadKeys, signing: signingKeys[0]!, signingKeys };
}
