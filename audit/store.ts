// The append-only, hash-chained audit trail (SPEC section 7) plus the request_index projection.
// Writers are serialized by one advisory lock so the chain is a single line in id order.
import { canonicalJson } from './canonical.js';
import { eventHash, GENESIS_HASH } from './chain.js';
import type { SqlDb, SqlExecutor } from './db.js';
import { AuditConflictError } from './errors.js';
import { historyFor, upsertRequestIndex } from './request-index.js';
import { EVENT_COLUMNS, type EventRow, toEvent } from './rows.js';
import type {
  AuditEventInput,
  HistoryQuery,
  HistorySummary,
  RequestIndexRow,
  StoredAuditEvent,
  VerifyRange,
  VerifyResult,
} from './types.js';
import { verifyChain, verifyRequest } from './verify.js';

/** Transaction-level advisory lock taken by every append (arbitrary constant, "AIRAUD"). */
export const AUDIT_APPEND_LOCK_KEY = 0x41_49_52_41_55_44;

interface Prepared {
  event: AuditEventInput;
  dataJson: string;
}

function prepare(event: AuditEventInput): Prepared {
  for (const f of ['requestId', 'eventKey', 'type', 'actor', 'at'] as const) {
    if (typeof event[f] !== 'string' || event[f] === '')
      throw new TypeError(`audit event: ${f} must be a non-empty string`);
  }
  if (Number.isNaN(Date.parse(event.at)))
    throw new TypeError(`audit event: at is not an ISO-8601 time: ${event.at}`);
  if (typeof event.data !== 'object' || event.data === null || Array.isArray(event.data)) {
    throw new TypeError('audit event: data must be an object');
  }
  return { event, dataJson: canonicalJson(event.data) };
}

function differences(row: EventRow, p: Prepared): string[] {
  const out: string[] = [];
  if (row.type !== p.event.type) out.push('type');
  if (row.actor !== p.event.actor) out.push('actor');
  if (row.at !== p.event.at) out.push('at');
  if (row.data !== p.dataJson) out.push('data');
  return out;
}

export class AuditStore {
  constructor(
    readonly db: SqlDb,
    private readonly options: { verifyPageSize?: number } = {},
  ) {}

  /** Appends one event, or returns the stored one if (requestId, eventKey) exists with the same content. */
  async append(event: AuditEventInput): Promise<StoredAuditEvent> {
    const [stored] = await this.appendMany([event]);
    return stored!;
  }

  /** Appends events in order in one transaction (all or nothing). */
  async appendMany(events: AuditEventInput[]): Promise<StoredAuditEvent[]> {
    const prepared = events.map(prepare);
    if (prepared.length === 0) return [];
    return this.db.transaction((tx) => appendPrepared(tx, prepared));
  }

  /** One request's events in chain order. */
  async eventsFor(requestId: string): Promise<StoredAuditEvent[]> {
    const { rows } = await this.db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE request_id = $1 ORDER BY id`,
      [requestId],
    );
    return rows.map(toEvent);
  }

  /** Recomputes the global chain (or an id range of it) and names the first broken link. */
  verify(range: VerifyRange = {}): Promise<VerifyResult> {
    return verifyChain(this.db, range, this.options.verifyPageSize ?? 2000);
  }

  /** Recomputes one request's event hashes (content check only; links are checked by verify). */
  verifyRequest(requestId: string): Promise<VerifyResult> {
    return verifyRequest(this.db, requestId);
  }

  upsertRequestIndex(row: RequestIndexRow): Promise<void> {
    return upsertRequestIndex(this.db, row);
  }

  historyFor(query: HistoryQuery): Promise<HistorySummary> {
    return historyFor(this.db, query);
  }
}

async function lastHash(tx: SqlExecutor): Promise<string> {
  const { rows } = await tx.query<{ hash: string }>('SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1');
  return rows[0]?.hash ?? GENESIS_HASH;
}

/**
 * Appends inside the caller's transaction (so other evidence can be written atomically with its
 * chain event); takes the append lock itself. Same idempotency rules as AuditStore.append.
 */
export async function appendInTransaction(
  tx: SqlExecutor,
  events: AuditEventInput[],
): Promise<StoredAuditEvent[]> {
  const prepared = events.map(prepare);
  return prepared.length === 0 ? [] : appendPrepared(tx, prepared);
}

async function appendPrepared(tx: SqlExecutor, prepared: Prepared[]): Promise<StoredAuditEvent[]> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_APPEND_LOCK_KEY]);
  let prev: string | undefined;
  const out: StoredAuditEvent[] = [];
  for (const p of prepared) {
    const existing = await findEvent(tx, p.event.requestId, p.event.eventKey);
    if (existing) {
      const diff = differences(existing, p);
      if (diff.length > 0) throw new AuditConflictError(p.event.requestId, p.event.eventKey, diff);
      out.push(toEvent(existing));
      continue;
    }
    prev ??= await lastHash(tx);
    const { requestId, eventKey, type, actor, at } = p.event;
    const hash = eventHash(prev, { requestId, eventKey, type, actor, at, data: JSON.parse(p.dataJson) });
    const { rows } = await tx.query<EventRow>(
      `INSERT INTO audit_events (request_id, event_key, type, actor, at, data, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${EVENT_COLUMNS}`,
      [requestId, eventKey, type, actor, at, p.dataJson, prev, hash],
    );
    out.push(toEvent(rows[0]!));
    prev = hash;
  }
  return out;
}

async function findEvent(
  tx: SqlExecutor,
  requestId: string,
  eventKey: string,
): Promise<EventRow | undefined> {
  const { rows } = await tx.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE request_id = $1 AND event_key = $2`,
    [requestId, eventKey],
  );
  return rows[0];
}
