// Row <-> object mapping for audit_events; pg returns bigint as string and PGlite as number.
import type { StoredAuditEvent } from './types.js';

export const EVENT_COLUMNS = 'id, request_id, event_key, type, actor, at, data, prev_hash, hash, recorded_at';

export interface EventRow {
  id: string | number | bigint;
  request_id: string;
  event_key: string;
  type: string;
  actor: string;
  at: string;
  data: string;
  prev_hash: string;
  hash: string;
  recorded_at: Date | string;
}

export function toIso(v: Date | string): string {
  return v instanceof Date ? v.toISOString() : new Date(v).toISOString();
}

export function toEvent(row: EventRow): StoredAuditEvent {
  return {
    id: Number(row.id),
    requestId: row.request_id,
    eventKey: row.event_key,
    type: row.type,
    actor: row.actor,
    at: row.at,
    data: JSON.parse(row.data) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
    recordedAt: toIso(row.recorded_at),
  };
}
