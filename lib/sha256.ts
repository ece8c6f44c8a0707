// SHA-256 as lowercase hex: the one helper for request and parameter hashes, API key digests,
// policy versions and the audit chain (which hashes every event, so the fast path matters).
import { createHash, hash } from 'node:crypto';

/** SHA-256 of the UTF-8 text (or the bytes), as 64 lowercase hex characters. */
export function sha256Hex(data: string | Uint8Array): string {
  // One-shot crypto.hash (Node >= 20.12) skips the Hash object; same digest as createHash.
  if (typeof hash === 'function') return hash('sha256', data, 'hex');
  return createHash('sha256').update(data).digest('hex');
}
