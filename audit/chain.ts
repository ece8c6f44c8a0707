// The hash rule that links audit events into one tamper-evident chain. Changing anything here
// breaks every stored chain, so it is deliberately tiny and frozen.
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical.js';

/** prev_hash of the very first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** The hashed content of an event (everything the writer chose; not id, hash or recorded_at). */
export interface HashedEvent {
  requestId: string;
  eventKey: string;
  type: string;
  actor: string;
  at: string;
  data: unknown;
}

export function sha256hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** hash = sha256hex(prev + "\n" + canonicalJson({requestId, eventKey, type, actor, at, data})). */
export function eventHash(prev: string, event: HashedEvent): string {
  const { requestId, eventKey, type, actor, at, data } = event;
  return sha256hex(`${prev}\n${canonicalJson({ requestId, eventKey, type, actor, at, data })}`);
}
