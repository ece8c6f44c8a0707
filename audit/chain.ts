// The hash rule that links audit events into one tamper-evident chain. Changing anything here
// breaks every stored chain, so it is deliberately tiny and frozen.

import { canonicalJson, canonicalJsonMember } from '../lib/canonical-json.js';
import { sha256Hex } from '../lib/sha256.js';

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

/**
 * The same hash as eventHash, for an event whose data is already in canonical JSON text (what
 * the store writes to audit_events.data): canonicalJson of the event object is, member by member
 * in sorted order (actor, at, data, eventKey, requestId, type), exactly this text, so the bytes
 * hashed are identical. `dataJson` MUST be canonicalJson(data); callers holding other text must
 * use eventHash.
 */
export function eventHashOfCanonicalData(
  prev: string,
  event: Omit<HashedEvent, 'data'>,
  dataJson: string,
): string {
  const { requestId, eventKey, type, actor, at } = event;
  return sha256Hex(
    `${prev}\n{"actor":${JSON.stringify(actor)},"at":${JSON.stringify(at)},"data":${dataJson},` +
      `"eventKey":${JSON.stringify(eventKey)},"requestId":${JSON.stringify(requestId)},` +
      `"type":${JSON.stringify(type)}}`,
  );
}

/** hash = sha256Hex(prev + "\n" + canonicalJson({requestId, eventKey, type, actor, at, data})). */
export function eventHash(prev: string, event: HashedEvent): string {
  const { requestId, eventKey, type, actor, at, data } = event;
  if (
    typeof requestId === 'string' &&
    typeof eventKey === 'string' &&
    typeof type === 'string' &&
    typeof actor === 'string' &&
    typeof at === 'string'
  ) {
    let dataJson: string | undefined;
    try {
      dataJson = canonicalJsonMember(data);
    } catch {
      // No JSON form: the general rule below throws the same error, with the path from the event.
    }
    if (dataJson !== undefined) return eventHashOfCanonicalData(prev, event, dataJson);
  }
  // Non-string fields (e.g. a tampered evidence pack), no data, or data without a JSON form.
  return sha256Hex(`${prev}\n${canonicalJson({ requestId, eventKey, type, actor, at, data })}`);
}
