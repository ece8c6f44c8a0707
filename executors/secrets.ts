// Secrets derived on demand from the master key (grant passwords, gate-token keys), so that
// none of them is ever stored, in Temporal history or anywhere else.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const FULL_LENGTH = 43; // base64url characters of a 32-byte HMAC-SHA256

/**
 * HMAC-SHA256(masterKey, `${purpose}:${requestId}`) as base64url, cut to `length`
 * characters (16..43, default all 43). `purpose` may not contain ':' (no ambiguity).
 */
export function deriveSecret(
  masterKey: Buffer,
  purpose: string,
  requestId: string,
  length = FULL_LENGTH,
): string {
  if (masterKey.length < 16) throw new Error('master key must be at least 16 bytes');
  if (purpose.length === 0 || purpose.includes(':')) throw new Error('purpose must be non-empty without ":"');
  if (requestId.length === 0) throw new Error('requestId must be non-empty');
  if (!Number.isInteger(length) || length < 16 || length > FULL_LENGTH)
    throw new Error(`length must be an integer in 16..${FULL_LENGTH}`);
  return createHmac('sha256', masterKey)
    .update(`${purpose}:${requestId}`)
    .digest('base64url')
    .slice(0, length);
}

/** Constant-time string equality (lengths are hidden too: both sides are hashed first). */
export function timingSafeEqualStr(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb) && a === b;
}
