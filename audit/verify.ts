// Recomputes the hash chain from the stored rows, page by page (keyset on id), so verifying a
// large trail never loads it all; names the first link that does not hold.
import { eventHash, GENESIS_HASH } from './chain.js';
import type { SqlExecutor } from './db.js';
import { EVENT_COLUMNS, type EventRow } from './rows.js';
import type { BrokenLink, VerifyRange, VerifyResult } from './types.js';

/** Checks the row's own hash against its content (and stored prev_hash); undefined when it holds. */
function contentBreak(row: EventRow): BrokenLink | undefined {
  const base = {
    id: Number(row.id),
    requestId: row.request_id,
    eventKey: row.event_key,
    foundHash: row.hash,
  };
  let data: unknown;
  try {
    data = JSON.parse(row.data);
  } catch {
    return { ...base, expectedHash: '', reason: 'hash_mismatch', detail: 'data is not valid JSON' };
  }
  const expected = eventHash(row.prev_hash, {
    requestId: row.request_id,
    eventKey: row.event_key,
    type: row.type,
    actor: row.actor,
    at: row.at,
    data,
  });
  return expected === row.hash ? undefined : { ...base, expectedHash: expected, reason: 'hash_mismatch' };
}

export async function verifyChain(
  db: SqlExecutor,
  range: VerifyRange,
  pageSize: number,
): Promise<VerifyResult> {
  const from = range.fromId ?? 1;
  const to = range.toId ?? Number.MAX_SAFE_INTEGER;
  // A range starting mid-chain must link to the row just before it.
  const before = await db.query<{ hash: string }>(
    'SELECT hash FROM audit_events WHERE id < $1 ORDER BY id DESC LIMIT 1',
    [from],
  );
  let prev = before.rows[0]?.hash ?? GENESIS_HASH;
  let cursor = from - 1;
  let count = 0;
  for (;;) {
    const { rows } = await db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3`,
      [cursor, to, pageSize],
    );
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
    if (rows.length < pageSize) return { ok: true, count, head: prev };
    cursor = Number(rows[rows.length - 1]!.id);
  }
}

export async function verifyRequest(db: SqlExecutor, requestId: string): Promise<VerifyResult> {
  const { rows } = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE request_id = $1 ORDER BY id`,
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
