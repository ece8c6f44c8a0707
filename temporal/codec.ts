// The payload codec (SPEC 7): every payload the client and the worker hand to Temporal (workflow
// input, activity arguments and results, updates, signals, memo) is sealed with AES-256-GCM, so
// parameters and results sit in Temporal history as ciphertext. The key id travels in the
// metadata; old keys still decrypt after a rotation. The worker's codec refuses payloads that are
// not encrypted (a workflow started or signalled by hand with the Temporal CLI): they decode to a
// marker the workflow refuses (never a failed workflow task that would jam the request). For
// reading histories (the codec server, the replay test) plaintext passes through unchanged.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { PayloadKey } from '../lib/keys.js';

// CommonJS package: named imports do not resolve under plain Node ESM.
const PayloadMessage = proto.temporal.api.common.v1.Payload;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const CIPHER_METADATA = 'encryption-cipher';
export const CIPHER = 'AES-256-GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Binds the ciphertext to this use: the same key never decrypts something sealed for another purpose.
const AAD = Buffer.from('airlock/temporal-payload/v1', 'utf8');

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

/** The payload names a key this service does not hold (rotated out, or another deployment's). */
export class UnknownEncryptionKeyError extends Error {
  override readonly name = 'UnknownEncryptionKeyError';
  constructor(readonly kid: string) {
    super(`payload encrypted with unknown key ${kid}`);
  }
}

/** The ciphertext or its tag does not verify (corrupted or tampered with). */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
}

export function isEncrypted(payload: Payload): boolean {
  return text(payload.metadata?.encoding) === ENCRYPTED_ENCODING;
}

/** What the worker's codec makes of a payload Airlock did not encrypt. */
export const UNENCRYPTED_MARKER = { airlockRefused: 'unencrypted payload' } as const;
const MARKER_PAYLOAD: Payload = {
  metadata: { encoding: utf8('json/plain') },
  data: utf8(JSON.stringify(UNENCRYPTED_MARKER)),
};

export class EncryptionCodec implements PayloadCodec {
  private readonly byKid: Map<string, Buffer>;

  constructor(
    private readonly current: PayloadKey,
    private readonly keys: readonly PayloadKey[] = [current],
    private readonly unencrypted: 'pass' | 'refuse' = 'pass',
  ) {
    this.byKid = new Map([current, ...keys].map((k) => [k.kid, k.key]));
  }

  /** The same keys, refusing plaintext: the worker's codec. */
  refusingUnencrypted(): EncryptionCodec {
    return new EncryptionCodec(this.current, this.keys, 'refuse');
  }

  get keyIds(): string[] {
    return [...this.byKid.keys()];
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encrypt(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) =>
      isEncrypted(p) ? this.decrypt(p) : this.unencrypted === 'refuse' ? MARKER_PAYLOAD : p,
    );
  }

  private encrypt(payload: Payload): Payload {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(AAD);
    const plain = PayloadMessage.encode(payload).finish();
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        encoding: utf8(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: utf8(this.current.kid),
        [CIPHER_METADATA]: utf8(CIPHER),
      },
      data: sealed,
    };
  }

  private decrypt(payload: Payload): Payload {
    const kid = text(payload.metadata?.[KEY_ID_METADATA]) ?? '';
    const key = this.byKid.get(kid);
    if (!key) throw new UnknownEncryptionKeyError(kid || '(none)');
    const cipherName = text(payload.metadata?.[CIPHER_METADATA]) ?? CIPHER;
    if (cipherName !== CIPHER) throw new PayloadDecryptionError(`unsupported cipher ${cipherName}`);
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError('encrypted payload too short');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(AAD);
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      const decoded = PayloadMessage.decode(plain);
      return { metadata: decoded.metadata, data: decoded.data };
    } catch {
      throw new PayloadDecryptionError(`payload encrypted with key ${kid} does not verify`);
    }
  }
}
