// Why: API keys are shown once and stored only as SHA-256 (SPEC 6); the key has 256 random bits,
// so a plain fast hash is safe, and the readable prefix lets leaked keys be spotted by secret scanners.
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../lib/sha256.js';

/** Lower-case hex SHA-256 of the key, the form kept in `apiKeys[].sha256`. */
export function hashApiKey(key: string): string {
  return sha256Hex(key);
}

/** `airlock_<prefix>_<43 base64url chars>`; prefix is a short tag such as `ci` or `demo`. */
export function generateApiKey(prefix: string): string {
  if (!/^[a-z0-9]{1,16}$/.test(prefix))
    throw new Error('API key prefix must be 1-16 lower-case letters or digits');
  return `airlock_${prefix}_${randomBytes(32).toString('base64url')}`;
}
