// Archived Temporal histories (SPEC 7): the full event history of each closed request workflow,
// stored as-is (its payloads stay ciphertext) in the append-only archived_histories table, and a
// `history.archived` chain event carrying its SHA-256, both in one transaction. Idempotent: a
// second archive of the same request changes nothing. Also the archiver's resume cursor.

import type { SqlDb, SqlExecutor } from '../db/sql.js';
import { sha256Hex } from '../lib/sha256.js';
import { toIso } from './rows.js';
import { AUDIT_APPEND_LOCK_KEY, appendInTransaction } from './store.js';
import type { StoredAuditEvent } from './types.js';

export const HISTORY_ARCHIVED = 'history.archived';
export const HISTORY_UNAVAILABLE = 'history.unavailable';
const CURSOR_NAME = 'history-archiver';

export interface ArchivedHistory {
  requestId: string;
  workflowId: string;
  runId: string;
  /** SHA-256 (hex) of `history`, the exact UTF-8 text stored. */
  sha256: string;
  /** Protobuf JSON, as `temporal workflow show --output json` prints it. */
  history: string;
  archivedAt: string;
}

export interface ArchiveInput {
  requestId: string;
  workflowId: string;
  runId: string;
  history: string;
}

interface HistoryRow {
  request_id: string;
  workflow_id: string;
  run_id: string;
  history: string;
  sha256: string;
  archived_at: Date | string;
}

const toArchived = (r: HistoryRow): ArchivedHistory => ({
  requestId: r.request_id,
  workflowId: r.workflow_id,
  runId: r.run_id,
  sha256: r.sha256,
  history: r.history,
  archivedAt: toIso(r.archived_at),
});

/** What the chain says about a history: derived from the stored row only, so retries match. */
export function archivedEventData(h: ArchivedHistory): Record<string, unknown> {
  let events = 0;
  let closedBy: string | undefined;
  try {
    const list = (JSON.parse(h.history) as { events?: { eventType?: string }[] }).events ?? [];
    events = list.length;
    closedBy = list.at(-1)?.eventType;
  } catch {
    // Not JSON: the hash still pins whatever was stored.
  }
  return {
    workflowId: h.workflowId,
    runId: h.runId,
    sha256: h.sha256,
    bytes: Buffer.byteLength(h.history, 'utf8'),
    events,
    closedBy,
  };
}

/** Stores the history and appends its chain event in one transaction; `created` is false on a repeat. */
export async function archiveHistory(
  db: SqlDb,
  input: ArchiveInput,
): Promise<{ created: boolean; history: ArchivedHistory; event: StoredAuditEvent }> {
  return db.transaction(async (tx) => {
    // The append lock first, so the row and its event enter in the same order as every other append.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_APPEND_LOCK_KEY]);
    const inserted = await tx.query<{ request_id: string }>(
      `INSERT INTO archived_histories (request_id, workflow_id, run_id, history, sha256)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (request_id) DO NOTHING RETURNING request_id`,
      [input.requestId, input.workflowId, input.runId, input.history, sha256Hex(input.history)],
    );
    const stored = (await readHistory(tx, input.requestId))!;
    const [event] = await appendInTransaction(tx, [
      {
        requestId: stored.requestId,
        eventKey: HISTORY_ARCHIVED,
        type: HISTORY_ARCHIVED,
        actor: 'system',
        at: stored.archivedAt,
        data: archivedEventData(stored),
      },
    ]);
    return { created: inserted.rows.length > 0, history: stored, event: event! };
  });
}

/** Records that a closed request's history could not be fetched any more (past retention). */
export async function recordHistoryUnavailable(
  db: SqlDb,
  input: { requestId: string; workflowId: string; closeTime: string; reason: string },
): Promise<void> {
  await db.transaction((tx) =>
    appendInTransaction(tx, [
      {
        requestId: input.requestId,
        eventKey: HISTORY_UNAVAILABLE,
        type: HISTORY_UNAVAILABLE,
        actor: 'system',
        at: input.closeTime,
        data: { workflowId: input.workflowId, reason: input.reason },
      },
    ]),
  );
}

async function readHistory(db: SqlExecutor, requestId: string): Promise<ArchivedHistory | undefined> {
  const { rows } = await db.query<HistoryRow>(
    'SELECT request_id, workflow_id, run_id, history, sha256, archived_at FROM archived_histories WHERE request_id = $1',
    [requestId],
  );
  return rows[0] ? toArchived(rows[0]) : undefined;
}

export const getArchivedHistory = readHistory;

export async function archivedHistoriesFor(
  db: SqlExecutor,
  requestIds: string[],
): Promise<ArchivedHistory[]> {
  if (requestIds.length === 0) return [];
  const { rows } = await db.query<HistoryRow>(
    `SELECT request_id, workflow_id, run_id, history, sha256, archived_at FROM archived_histories
     WHERE request_id = ANY($1::text[]) ORDER BY request_id`,
    [requestIds],
  );
  return rows.map(toArchived);
}

/** The request ids among `requestIds` that need no archiving: archived, or known to be gone. */
export async function alreadyHandled(db: SqlExecutor, requestIds: string[]): Promise<Set<string>> {
  if (requestIds.length === 0) return new Set();
  const { rows } = await db.query<{ request_id: string }>(
    `SELECT request_id FROM archived_histories WHERE request_id = ANY($1::text[])
     UNION SELECT request_id FROM audit_events WHERE request_id = ANY($1::text[]) AND event_key = $2`,
    [requestIds, HISTORY_UNAVAILABLE],
  );
  return new Set(rows.map((r) => r.request_id));
}

/** Close time up to which every closed workflow has been handled (undefined: from the start). */
export async function readArchiveCursor(db: SqlExecutor): Promise<string | undefined> {
  const { rows } = await db.query<{ c: Date | string | null }>(
    'SELECT close_time_cursor AS c FROM archive_state WHERE name = $1',
    [CURSOR_NAME],
  );
  const c = rows[0]?.c;
  return c == null ? undefined : toIso(c);
}

/** Moves the cursor forward only (two archivers racing can never move it back). */
export async function advanceArchiveCursor(db: SqlExecutor, closeTime: string): Promise<void> {
  await db.query(
    `INSERT INTO archive_state (name, close_time_cursor, updated_at) VALUES ($1, $2, now())
     ON CONFLICT (name) DO UPDATE SET
       close_time_cursor = GREATEST(archive_state.close_time_cursor, EXCLUDED.close_time_cursor),
       updated_at = now()`,
    [CURSOR_NAME, closeTime],
  );
}
