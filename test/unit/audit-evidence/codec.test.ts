// The payload codec: AES-256-GCM round trip, the key id in the metadata, rotation (old keys still
// decrypt, new payloads use the current key), named errors, and pass-through of plain payloads.
import { describe, expect, it } from 'vitest';
import { payloadKeyFrom } from '../../../lib/keys.js';
import {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  KEY_ID_METADATA,
  PayloadDecryptionError,
  UnknownEncryptionKeyError,
} from '../../../temporal/codec.js';

const enc = new TextEncoder();
const plain = (text: string) => ({
  metadata: { encoding: enc.encode('json/plain') },
  data: enc.encode(JSON.stringify(text)),
});
const str = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');
const oldKey = payloadKeyFrom(Buffer.alloc(32, 1));
const newKey = payloadKeyFrom(Buffer.alloc(32, 2));

describe('EncryptionCodec', () => {
  it('round-trips payloads and leaves no plaintext in the ciphertext', async () => {
    const codec = new EncryptionCodec(newKey);
    const [sealed] = await codec.encode([plain('the-secret-value')]);
    expect(str(sealed!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(str(sealed!.metadata![KEY_ID_METADATA])).toBe(newKey.kid);
    expect(Buffer.from(sealed!.data!).includes('the-secret-value')).toBe(false);
    const [back] = await codec.decode([sealed!]);
    expect(str(back!.metadata!.encoding)).toBe('json/plain');
    expect(str(back!.data)).toBe('"the-secret-value"');
  });

  it('uses a fresh IV: the same payload never encrypts the same way twice', async () => {
    const codec = new EncryptionCodec(newKey);
    const [a, b] = await codec.encode([plain('x'), plain('x')]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('still decrypts with an old key after rotation, and encrypts with the new one', async () => {
    const [sealedOld] = await new EncryptionCodec(oldKey).encode([plain('before rotation')]);
    const rotated = new EncryptionCodec(newKey, [newKey, oldKey]);
    expect(str((await rotated.decode([sealedOld!]))[0]!.data)).toBe('"before rotation"');
    const [sealedNew] = await rotated.encode([plain('after')]);
    expect(str(sealedNew!.metadata![KEY_ID_METADATA])).toBe(newKey.kid);
  });

  it('names the key it does not hold', async () => {
    const [sealed] = await new EncryptionCodec(oldKey).encode([plain('x')]);
    const err = await new EncryptionCodec(newKey).decode([sealed!]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownEncryptionKeyError);
    expect((err as UnknownEncryptionKeyError).kid).toBe(oldKey.kid);
  });

  it('refuses a ciphertext changed by one bit', async () => {
    const codec = new EncryptionCodec(newKey);
    const [sealed] = await codec.encode([plain('x')]);
    const data = Buffer.from(sealed!.data!);
    data[20] = data[20]! ^ 1;
    await expect(codec.decode([{ ...sealed!, data }])).rejects.toBeInstanceOf(PayloadDecryptionError);
  });

  it('passes through payloads that are not encrypted (old histories, search attributes)', async () => {
    const p = plain('recorded before the codec');
    expect(await new EncryptionCodec(newKey).decode([p])).toEqual([p]);
  });
});
