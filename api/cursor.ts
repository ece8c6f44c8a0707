// List cursors carry a position in the request index (base64url JSON), signed so a forged or
// mangled cursor is a precise 400 and never reaches the database as anything but a position.
import { createHmac, timingSafeEqual } from 'node:crypto';

const mac = (key: Buffer, token: string): string =>
  createHmac('sha256', key).update(`list-cursor:${token}`).digest('base64url').slice(0, 22);

export function signCursor(key: Buffer, token: string | undefined): string | undefined {
  return token ? `${token}.${mac(key, token)}` : undefined;
}

/** The page token inside a cursor this service issued, or undefined when it is not one. */
export function openCursor(key: Buffer, cursor: string): string | undefined {
  const dot = cursor.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const token = cursor.slice(0, dot);
  const given = Buffer.from(cursor.slice(dot + 1));
  const expected = Buffer.from(mac(key, token));
  return given.length === expected.length && timingSafeEqual(given, expected) ? token : undefined;
}
