// The append-only, hash-chained audit trail (SPEC section 7) plus the request_index projection.
// Writers are serialized by one advisory lock so the chain is a single line in id order.

import { AuditConflictError } from '../db/errors.js';
import type { SqlDb, SqlExecutor } from '../db/sql.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { eventHashOfCanonicalData, GENESIS_HASH } from './chain.js';
import {
  dropSeededRequest,
  historyFor,
  listRequests,
  type SeedCursor,
  seedRequestIndex,
  seedsOlderThan,
  stateSnapshot,
  upsertRequestIndex,
} from './request-index.js';
import { EVENT_COLUMNS, type EventRow, toEvent } from './rows.js';
import type {
  AuditEventInput,
  HistoryQuery,
  HistorySummary,
  RequestIndexRow,
  RequestListQuery,
  StoredAuditEvent,
  VerifyRange,
  VerifyResult,
} from './types.js';
import { DEFAULT_VERIFY_PAGE_SIZE, verifyChain, verifyRequest } from './verify.js';

/** Transaction-level advisory lock taken by every append (arbitrary constant, "AIRAUD"). */
export const AUDIT_APPEND_LOCK_KEY = 0x41_49_52_41_55_44;

/** At most this many events per group-commit transaction (a larger appendMany goes alone). */
const GROUP_COMMIT_MAX_EVENTS = 2000;

interface Prepared {
  event: AuditEventInput;
  dataJson: string;
  /** Unambiguous (requestId, eventKey) map key. */
  key: string;
  /** A stored event under this key is the answer, whatever its content (see appendMany). */
  keepStored?: boolean;
}

const keyOf = (requestId: string, eventKey: string) => `${requestId.length}:${requestId}${eventKey}`;

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
  return { event, dataJson: canonicalJson(event.data), key: keyOf(event.requestId, event.eventKey) };
}

/** The content fields of an event already stored (or about to be) under the same key. */
interface StoredContent {
  type: string;
  actor: string;
  at: string;
  dataJson: string;
}

function differences(stored: StoredContent, p: Prepared): string[] {
  const out: string[] = [];
  if (stored.type !== p.event.type) out.push('type');
  if (stored.actor !== p.event.actor) out.push('actor');
  if (stored.at !== p.event.at) out.push('at');
  if (stored.dataJson !== p.dataJson) out.push('data');
  return out;
}

const rowContent = (row: EventRow): StoredContent => ({
  type: row.type,
  actor: row.actor,
  at: row.at,
  dataJson: row.data,
});
const preparedContent = (p: Prepared): StoredContent => ({
  type: p.event.type,
  actor: p.event.actor,
  at: p.event.at,
  dataJson: p.dataJson,
});

/** One appendMany call (or one append) waiting for the next group-commit transaction. */
interface Waiting {
  unit: Prepared[];
  /** The request's index row, written in the same transaction once the events are in. */
  index?: RequestIndexRow;
  resolve(events: StoredAuditEvent[]): void;
  reject(err: unknown): void;
}

/**
 * Concurrent appends are group-committed: calls arriving while a transaction is in flight are
 * queued and written together by the next one (one lock, one lookup, one INSERT), which is what
 * makes many small writers fast. Each call still gets its own outcome: it is all or nothing for
 * its own events, and a conflict in one call fails only that call. The next transaction opens and
 * waits for the append lock while the current one finishes, and takes the queue only once it holds
 * the lock, so everything that arrived meanwhile goes into it.
 */
export class AuditStore {
  private readonly queue: Waiting[] = [];
  /** A transaction is open (or opening) that has not taken the queue yet. */
  private gathering = false;

  constructor(
    readonly db: SqlDb,
    private readonly options: { verifyPageSize?: number } = {},
  ) {}

  /** Appends one event, or returns the stored one if (requestId, eventKey) exists with the same content. */
  async append(event: AuditEventInput): Promise<StoredAuditEvent> {
    const [stored] = await this.appendMany([event]);
    return stored!;
  }

  /**
   * Appends events in order, all or nothing, in one transaction (which concurrent calls may share:
   * their outcomes stay independent). With `keepStored`, an event whose key is already stored is
   * not a conflict even if its content differs: the stored one stands (first write wins). The
   * workflow's local activities need that: re-run after a worker crash, they rebuild the same
   * events with a later workflow time.
   */
  async appendMany(
    events: AuditEventInput[],
    options: { keepStored?: boolean; index?: RequestIndexRow } = {},
  ): Promise<StoredAuditEvent[]> {
    const prepared = events.map((e) => ({ ...prepare(e), keepStored: options.keepStored }));
    if (prepared.length === 0) {
      if (options.index) await this.upsertRequestIndex(options.index);
      return [];
    }
    return new Promise<StoredAuditEvent[]>((resolve, reject) => {
      this.queue.push({ unit: prepared, index: options.index, resolve, reject });
      if (!this.gathering) void this.commitGroup();
    });
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
    return verifyChain(this.db, range, this.options.verifyPageSize ?? DEFAULT_VERIFY_PAGE_SIZE);
  }

  /** Recomputes one request's event hashes (content check only; links are checked by verify). */
  verifyRequest(requestId: string): Promise<VerifyResult> {
    return verifyRequest(this.db, requestId);
  }

  upsertRequestIndex(row: RequestIndexRow): Promise<void> {
    return upsertRequestIndex(this.db, row);
  }

  /** The requests for GET /v1/actions, newest first (request_index). */
  seedRequestIndex(row: RequestIndexRow, statePayload: string): Promise<void> {
    return seedRequestIndex(this.db, row, statePayload);
  }

  seedsOlderThan(before: Date, limit: number, from?: SeedCursor): Promise<SeedCursor[]> {
    return seedsOlderThan(this.db, before, limit, from);
  }

  dropSeededRequest(requestId: string): Promise<void> {
    return dropSeededRequest(this.db, requestId);
  }

  stateSnapshot(requestId: string): Promise<string | undefined> {
    return stateSnapshot(this.db, requestId);
  }

  listRequests(query: RequestListQuery) {
    return listRequests(this.db, query);
  }

  historyFor(query: HistoryQuery): Promise<HistorySummary> {
    return historyFor(this.db, query);
  }

  /** Takes the queued calls, up to GROUP_COMMIT_MAX_EVENTS events (always at least one call). */
  private takeGroup(): Waiting[] {
    this.gathering = false;
    let events = 0;
    let n = 0;
    while (
      n < this.queue.length &&
      (n === 0 || events + this.queue[n]!.unit.length <= GROUP_COMMIT_MAX_EVENTS)
    ) {
      events += this.queue[n]!.unit.length;
      n++;
    }
    const group = this.queue.splice(0, n);
    // Whatever is left, or arrives from now on, goes into the next transaction.
    if (this.queue.length > 0) void this.commitGroup();
    return group;
  }

  /** One group-commit transaction. Never rejects: every call it takes is settled. */
  private async commitGroup(): Promise<void> {
    this.gathering = true;
    let group: Waiting[] | undefined;
    let outcomes: Outcome[];
    try {
      outcomes = await this.db.transaction(
        async (tx) => {
          group = this.takeGroup();
          return appendGroup(tx, group);
        },
        { first: LOCK_APPENDS },
      );
    } catch (err) {
      // Failed before taking the queue (e.g. no connection): take it now, so no call waits forever.
      group ??= this.takeGroup();
      if (group.length === 1) group[0]!.reject(err);
      // A database error fails the whole transaction; so that one call's bad event cannot fail the
      // others, retry each call in its own transaction (appends are idempotent).
      else await Promise.all(group.map((w) => this.commitAlone(w)));
      return;
    }
    for (const [i, w] of group!.entries()) settle(w, outcomes[i]!);
  }

  private async commitAlone(w: Waiting): Promise<void> {
    try {
      const [outcome] = await this.db.transaction((tx) => appendGroup(tx, [w]), {
        first: LOCK_APPENDS,
      });
      settle(w, outcome!);
    } catch (err) {
      w.reject(err);
    }
  }
}

/**
 * The group's events, then the index rows of the calls whose events went in: one commit for both,
 * so a request's row and state snapshot never show what its trail does not have yet.
 */
async function appendGroup(tx: SqlExecutor, group: Waiting[]): Promise<Outcome[]> {
  if (group.length === 0) return [];
  const outcomes = await appendLocked(
    tx,
    group.map((w) => w.unit),
  );
  for (const [i, w] of group.entries()) {
    if (w.index && !(outcomes[i] instanceof AuditConflictError)) await upsertRequestIndex(tx, w.index);
  }
  return outcomes;
}

function settle(w: Waiting, outcome: Outcome): void {
  if (outcome instanceof AuditConflictError) w.reject(outcome);
  else w.resolve(outcome);
}

/** Serializes appends across processes, so the chain stays one line in id order. */
const LOCK_APPENDS = `SELECT pg_advisory_xact_lock(${AUDIT_APPEND_LOCK_KEY})`;
async function lockAppends(tx: SqlExecutor): Promise<void> {
  await tx.query(LOCK_APPENDS);
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
  if (prepared.length === 0) return [];
  await lockAppends(tx);
  const [outcome] = await appendLocked(tx, [prepared]);
  if (outcome instanceof AuditConflictError) throw outcome;
  return outcome!;
}

/** A unit's stored events, or the conflict that refused the whole unit. */
type Outcome = StoredAuditEvent[] | AuditConflictError;

/** Where one event of a unit lands: a row that already exists, or the n-th row inserted now. */
type Placement = { row: EventRow } | { insert: number };

/**
 * Decides, without writing, what each unit does: every event either matches a stored row (same
 * content: reuse it; different: the unit is refused), matches an event of an earlier accepted
 * unit or of its own (same rule), or is new. A refused unit contributes nothing, so it changes
 * nothing for the units after it. New events keep the units' order, which becomes the chain order.
 */
function plan(
  units: Prepared[][],
  existing: Map<string, EventRow>,
): { inserts: Prepared[]; placements: (Placement[] | AuditConflictError)[] } {
  const inserts: Prepared[] = [];
  const accepted = new Map<string, number>();
  const placements = units.map((unit): Placement[] | AuditConflictError => {
    const start = inserts.length;
    const own = new Map<string, number>();
    const out: Placement[] = [];
    for (const p of unit) {
      const row = existing.get(p.key);
      const index = row ? undefined : (accepted.get(p.key) ?? own.get(p.key));
      const stored = row
        ? rowContent(row)
        : index !== undefined
          ? preparedContent(inserts[index]!)
          : undefined;
      if (stored) {
        const diff = row && p.keepStored ? [] : differences(stored, p);
        if (diff.length > 0) {
          inserts.length = start;
          return new AuditConflictError(p.event.requestId, p.event.eventKey, diff);
        }
        out.push(row ? { row } : { insert: index! });
        continue;
      }
      own.set(p.key, inserts.length);
      out.push({ insert: inserts.length });
      inserts.push(p);
    }
    for (const [key, index] of own) accepted.set(key, index);
    return out;
  });
  return { inserts, placements };
}

/**
 * Appends several independent units (each all or nothing, in order); the caller holds the append
 * lock. Two round trips whatever the count: one lookup of the keys and the chain head, one INSERT.
 */
async function appendLocked(tx: SqlExecutor, units: Prepared[][]): Promise<Outcome[]> {
  const { existing, head } = await findEvents(tx, units.flat());
  const { inserts, placements } = plan(units, existing);
  const inserted = inserts.length > 0 ? await insertChained(tx, inserts, head) : [];
  return placements.map((unit) =>
    unit instanceof AuditConflictError
      ? unit
      : unit.map((p) => toEvent('row' in p ? p.row : inserted[p.insert]!)),
  );
}

/** The stored rows for these events' keys (by key), and the chain head's hash. */
async function findEvents(
  tx: SqlExecutor,
  events: Prepared[],
): Promise<{ existing: Map<string, EventRow>; head: string }> {
  const requestIds: string[] = [];
  const eventKeys: string[] = [];
  const seen = new Set<string>();
  for (const p of events) {
    if (seen.has(p.key)) continue;
    seen.add(p.key);
    requestIds.push(p.event.requestId);
    eventKeys.push(p.event.eventKey);
  }
  // A statement of its own after the lock was granted, so its snapshot sees the last append.
  const { rows } = await tx.query<EventRow & { is_head: boolean }>(
    `SELECT ${EVENT_COLUMNS}, false AS is_head FROM audit_events
      WHERE (request_id, event_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))
     UNION ALL
     (SELECT ${EVENT_COLUMNS}, true AS is_head FROM audit_events ORDER BY id DESC LIMIT 1)`,
    [requestIds, eventKeys],
  );
  const existing = new Map<string, EventRow>();
  let head = GENESIS_HASH;
  for (const r of rows) {
    if (r.is_head) head = r.hash;
    else existing.set(keyOf(r.request_id, r.event_key), r);
  }
  return { existing, head };
}

/** Inserts the events as the next links after `prev`, in one statement; rows in the same order. */
async function insertChained(tx: SqlExecutor, events: Prepared[], prev: string): Promise<EventRow[]> {
  const cols: string[][] = [[], [], [], [], [], [], [], []];
  for (const p of events) {
    const { requestId, eventKey, type, actor, at } = p.event;
    const hash = eventHashOfCanonicalData(prev, p.event, p.dataJson);
    const values = [requestId, eventKey, type, actor, at, p.dataJson, prev, hash];
    for (let c = 0; c < values.length; c++) cols[c]!.push(values[c]!);
    prev = hash;
  }
  // ORDER BY ord: ids (nextval) are drawn in this order, so chain order = id order.
  const { rows } = await tx.query<EventRow>(
    `INSERT INTO audit_events (request_id, event_key, type, actor, at, data, prev_hash, hash)
     SELECT r, k, t, a, w, d, p, h
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
            WITH ORDINALITY AS u(r, k, t, a, w, d, p, h, ord)
      ORDER BY ord
     RETURNING ${EVENT_COLUMNS}`,
    cols,
  );
  // RETURNING order is not promised: place rows by their (unique) hash, and refuse (roll back) a
  // batch whose ids would not follow the chain.
  const byHash = new Map(rows.map((r) => [r.hash, r]));
  const out = cols[7]!.map((h) => byHash.get(h));
  for (let i = 0; i < out.length; i++) {
    const row = out[i];
    if (!row || (i > 0 && BigInt(row.id) <= BigInt(out[i - 1]!.id)))
      throw new Error('audit append: inserted rows do not follow the chain order');
  }
  return out as EventRow[];
}
