// SCRAM-SHA-256 password verifiers (RFC 5802/7677, PostgreSQL's stored format). The grant
// executor sends the verifier, never the password, so server statement logs cannot leak it.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

const ITERATIONS = 4096;

function keys(password: string, salt: Buffer, iterations: number): { storedKey: Buffer; serverKey: Buffer } {
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return {
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: createHmac('sha256', salted).update('Server Key').digest(),
  };
}

/** `SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>`; printable-ASCII passwords only (no SASLprep). */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16)): string {
  if (!/^[\x21-\x7e]+$/.test(password)) throw new Error('password must be printable ASCII');
  const { storedKey, serverKey } = keys(password, salt, ITERATIONS);
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Whether `password` matches a stored verifier (used by tests and diagnostics). */
export function scramVerifies(verifier: string, password: string): boolean {
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
  if (m === null) return false;
  const { storedKey } = keys(password, Buffer.from(m[2] ?? '', 'base64'), Number(m[1]));
  const expected = Buffer.from(m[3] ?? '', 'base64');
  return expected.length === storedKey.length && timingSafeEqual(expected, storedKey);
}
