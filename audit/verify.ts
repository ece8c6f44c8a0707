// Recomputes the hash chain from the stored rows, window by window (ranges of ids), so verifying
// a large trail never loads it all; names the first link that does not hold.

import type { SqlExecutor } from '../db/sql.js';
import { isCanonicalJsonText } from '../lib/canonical-json.js';
import { eventHash, eventHashOfCanonicalData, GENESIS_HASH } from './chain.js';
import type { EventRow } from './rows.js';
import type { BrokenLink, VerifyRange, VerifyResult } from './types.js';

/**
 * Ids per verify window. Small enough that hashing one window overlaps fetching the next even on
 * short trails, large enough that round trips do not matter.
 */
export const DEFAULT_VERIFY_PAGE_SIZE = 2000;

/** What the hash covers, plus the id (recorded_at is not hashed, and parsing it costs). */
const VERIFY_COLUMNS = 'id, request_id, event_key, type, actor, at, data, prev_hash, hash';
type VerifyRow = Omit<EventRow, 'recorded_at'>;

/** The hash the row's content gives (after its stored prev_hash), or undefined if data is not JSON. */
function expectedHash(row: VerifyRow): string | undefined {
  const fields = {
    requestId: row.request_id,
    eventKey: row.event_key,
    type: row.type,
    actor: row.actor,
    at: row.at,
  };
  // What the store writes is canonical already: hash it as is (the same bytes eventHash would hash).
  if (isCanonicalJsonText(row.data)) return eventHashOfCanonicalData(row.prev_hash, fields, row.data);
  let data: unknown;
  try {
    data = JSON.parse(row.data);
  } catch {
    return undefined;
  }
  return eventHash(row.prev_hash, { ...fields, data });
}

/** Checks the row's own hash against its content (and stored prev_hash); undefined when it holds. */
function contentBreak(row: VerifyRow): BrokenLink | undefined {
  const expected = expectedHash(row);
  if (expected === row.hash) return undefined;
  const base = {
    id: Number(row.id),
    requestId: row.request_id,
    eventKey: row.event_key,
    foundHash: row.hash,
  };
  return expected === undefined
    ? { ...base, expectedHash: '', reason: 'hash_mismatch', detail: 'data is not valid JSON' }
    : { ...base, expectedHash: expected, reason: 'hash_mismatch' };
}

/**
 * Walks the chain in windows of `pageSize` ids (id > a AND id <= a + pageSize): each window reads
 * only its own rows through the primary key whatever the planner's statistics say (a fresh or
 * never-analysed table otherwise gets "scan everything after the cursor, then sort" per page), and
 * the next window is fetched while this one is hashed. The walk ends at the last id that existed
 * when it started (or range.toId); an empty window (a gap in the ids) jumps to the next id.
 */
export async function verifyChain(
  db: SqlExecutor,
  range: VerifyRange,
  pageSize: number,
): Promise<VerifyResult> {
  const from = range.fromId ?? 1;
  const to = range.toId ?? Number.MAX_SAFE_INTEGER;
  // A range starting mid-chain must link to the row just before it.
  const bounds = await db.query<{ before: string | null; last: string | number | null }>(
    `SELECT (SELECT hash FROM audit_events WHERE id = (SELECT max(id) FROM audit_events WHERE id < $1)) AS before,
            (SELECT max(id) FROM audit_events WHERE id <= $2) AS last`,
    [from, to],
  );
  let prev = bounds.rows[0]?.before ?? GENESIS_HASH;
  const last = Number(bounds.rows[0]?.last ?? 0);
  let count = 0;
  const window = (after: number) => {
    const q = db.query<VerifyRow>(
      `SELECT ${VERIFY_COLUMNS} FROM audit_events WHERE id > $1 AND id <= $2 ORDER BY id`,
      [after, Math.min(after + pageSize, last)],
    );
    q.catch(() => {}); // awaited below, unless a broken link ends the walk first
    return q;
  };
  let cursor = from - 1;
  let pending = cursor < last ? window(cursor) : undefined;
  while (pending) {
    const { rows } = await pending;
    const end = Math.min(cursor + pageSize, last);
    if (rows.length === 0 && end < last) {
      // A gap of a whole window: continue from the next id that exists.
      const next = await db.query<{ id: string | number | null }>(
        'SELECT min(id) AS id FROM audit_events WHERE id > $1 AND id <= $2',
        [end, last],
      );
      const id = next.rows[0]?.id;
      if (id === null || id === undefined) break;
      cursor = Number(id) - 1;
      pending = window(cursor);
      continue;
    }
    cursor = end;
    pending = cursor < last ? window(cursor) : undefined;
    for (const row of rows) {
      if (row.prev_hash !== prev) {
        const firstBroken: BrokenLink = {
          id: Number(row.id),
          requestId: row.request_id,
          eventKey: row.event_key,
          expectedHash: prev,
          foundHash: row.prev_hash,
          reason: 'prev_mismatch',
        };
        return { ok: false, count, firstBroken };
      }
      const broken = contentBreak(row);
      if (broken) return { ok: false, count, firstBroken: broken };
      prev = row.hash;
      count++;
    }
  }
  return { ok: true, count, head: prev };
}

export async function verifyRequest(db: SqlExecutor, requestId: string): Promise<VerifyResult> {
  const { rows } = await db.query<VerifyRow>(
    `SELECT ${VERIFY_COLUMNS} FROM audit_events WHERE request_id = $1 ORDER BY id`,
    [requestId],
  );
  let count = 0;
  for (const row of rows) {
    const broken = contentBreak(row);
    if (broken) return { ok: false, count, firstBroken: broken };
    count++;
  }
  return { ok: true, count, head: rows[rows.length - 1]?.hash ?? GENESIS_HASH };
}
