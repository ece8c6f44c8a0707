// Request ids and hashes: a random UUID, or one derived from (principal, idempotency key) so
// the same key from the same caller always names the same workflow.
import { randomUUID } from 'node:crypto';
import { canonicalJson } from '../lib/canonical-json.js';
import { sha256Hex } from '../lib/sha256.js';

export function requestIdFor(principal: string, idempotencyKey: string | undefined): string {
  if (!idempotencyKey) return randomUUID();
  const h = sha256Hex(`${principal}\u0000${idempotencyKey}`);
  // Shape it as a version-8 (custom) UUID so it looks like every other request id.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((Number.parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

export const hashOf = (value: unknown): string => sha256Hex(canonicalJson(value));
