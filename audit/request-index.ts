// request_index: a mutable one-row-per-request projection for fast enrichment ("recent history").
// It is rebuilt from the chain if ever in doubt; the chain stays the source of truth.
import type { SqlExecutor } from '../db/sql.js';
import type {
  HistoryCounts,
  HistoryQuery,
  HistorySummary,
  RequestIndexRow,
  RequestListQuery,
  RequestSummary,
} from './types.js';

const COLUMNS = {
  requester: 'requester',
  onBehalfOf: 'on_behalf_of',
  action: 'action',
  resource: 'resource',
  environment: 'environment',
  status: 'status',
  risk: 'risk',
  submittedAt: 'submitted_at',
  endedAt: 'ended_at',
  deciders: 'deciders',
  stageDeadline: 'stage_deadline',
} as const satisfies Record<
  Exclude<keyof RequestIndexRow, 'requestId' | 'statePayload' | 'stateSeq'>,
  string
>;

/** Inserts or updates one request; fields left undefined keep their stored value (null clears). */
export async function upsertRequestIndex(db: SqlExecutor, row: RequestIndexRow): Promise<void> {
  const { names, values } = columnsOf(row);
  let guard = '';
  if (row.statePayload !== undefined && row.stateSeq !== undefined) {
    names.push('state_payload', 'state_seq');
    values.push(row.statePayload, row.stateSeq);
    // A row never goes back: a late write (a retried or outlived attempt) of an older state leaves
    // the newer one, status included, in place.
    guard = ' WHERE request_index.state_seq IS NULL OR request_index.state_seq <= EXCLUDED.state_seq';
  }
  const updates = names.slice(1).map((c) => `${c} = EXCLUDED.${c}`);
  const placeholders = values.map((_, i) => `$${i + 1}`).join(', ');
  await db.query(
    `INSERT INTO request_index (${names.join(', ')}) VALUES (${placeholders})
     ON CONFLICT (request_id) DO ${updates.length > 0 ? `UPDATE SET ${updates.join(', ')}${guard}` : 'NOTHING'}`,
    values,
  );
}

/**
 * A new request's row and starting snapshot (state_seq 0), before its workflow runs. Never
 * overwrites: whatever the workflow wrote already (or an earlier submit of the same id) stands.
 */
export async function seedRequestIndex(
  db: SqlExecutor,
  row: RequestIndexRow,
  statePayload: string,
): Promise<void> {
  const { names, values } = columnsOf(row);
  names.push('state_payload', 'state_seq');
  values.push(statePayload, 0);
  const placeholders = values.map((_, i) => `$${i + 1}`).join(', ');
  await db.query(
    `INSERT INTO request_index (${names.join(', ')}) VALUES (${placeholders}) ON CONFLICT (request_id) DO NOTHING`,
    values,
  );
}

/** The row's defined fields as columns and values, request_id first. */
function columnsOf(row: RequestIndexRow): { names: string[]; values: unknown[] } {
  const names = ['request_id'];
  const values: unknown[] = [row.requestId];
  for (const [key, column] of Object.entries(COLUMNS) as [keyof typeof COLUMNS, string][]) {
    const v = row[key];
    if (v === undefined) continue;
    names.push(column);
    values.push(v instanceof Date ? v.toISOString() : v);
  }
  return { names, values };
}

/** Removes a seeded row whose workflow never started (no workflow write has touched it). */
export async function dropSeededRequest(db: SqlExecutor, requestId: string): Promise<void> {
  await db.query('DELETE FROM request_index WHERE request_id = $1 AND state_seq = 0', [requestId]);
}

/** Where a walk over seeds stopped: the next page starts after it. */
export interface SeedCursor {
  submittedAt: string;
  requestId: string;
}

/**
 * Requests whose starting state (state_seq 0) was stored before `before` and never written since,
 * oldest first, a page at a time (after `from`).
 */
export async function seedsOlderThan(
  db: SqlExecutor,
  before: Date,
  limit: number,
  from?: SeedCursor,
): Promise<Array<SeedCursor>> {
  // The time as the database's own text, so the next page starts exactly after it.
  const { rows } = await db.query<{ request_id: string; submitted_at: string }>(
    `SELECT request_id, submitted_at::text AS submitted_at FROM request_index
     WHERE state_seq = 0 AND submitted_at < $1 AND (submitted_at, request_id) > ($2::timestamptz, $3)
     ORDER BY submitted_at, request_id LIMIT $4`,
    [before.toISOString(), from?.submittedAt ?? '-infinity', from?.requestId ?? '', limit],
  );
  return rows.map((r) => ({ requestId: r.request_id, submittedAt: r.submitted_at }));
}

/** The sealed state snapshot of a request, if its workflow wrote one. */
export async function stateSnapshot(db: SqlExecutor, requestId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ state_payload: string | null }>(
    'SELECT state_payload FROM request_index WHERE request_id = $1',
    [requestId],
  );
  return rows[0]?.state_payload ?? undefined;
}

interface CountRow {
  scope: 'requester' | 'resource';
  outcome: string;
  n: number | string;
}

/** Requests by `requester` and on `resource` submitted in the last `sinceDays` days, by status. */
export async function historyFor(db: SqlExecutor, q: HistoryQuery): Promise<HistorySummary> {
  const now = q.now === undefined ? new Date() : new Date(q.now);
  const since = new Date(now.getTime() - q.sinceDays * 86_400_000).toISOString();
  const { rows } = await db.query<CountRow>(
    `SELECT scope, COALESCE(status, 'unknown') AS outcome, count(*)::int AS n FROM (
       SELECT 'requester' AS scope, status, request_id, submitted_at FROM request_index WHERE requester = $1
       UNION ALL
       SELECT 'resource' AS scope, status, request_id, submitted_at FROM request_index WHERE resource = $2
     ) r
     WHERE submitted_at >= $3 AND submitted_at <= $4 AND request_id IS DISTINCT FROM $5
     GROUP BY scope, COALESCE(status, 'unknown')`,
    [q.requester, q.resource, since, now.toISOString(), q.excludeRequestId ?? null],
  );
  const empty = (): HistoryCounts => ({ total: 0, byOutcome: {} });
  const out: HistorySummary = { byRequester: empty(), onResource: empty(), windowDays: q.sinceDays };
  for (const r of rows) {
    const counts = r.scope === 'requester' ? out.byRequester : out.onResource;
    const n = Number(r.n);
    counts.byOutcome[r.outcome] = n;
    counts.total += n;
  }
  return out;
}

interface ListRow {
  request_id: string;
  status: string | null;
  action: string | null;
  requester: string | null;
  environment: string | null;
  risk: string | null;
  submitted_at: Date | string | null;
  ended_at: Date | string | null;
}

const iso = (v: Date | string | null): string | undefined =>
  v === null ? undefined : new Date(v).toISOString();

/** Newest first; `next` is where the following page starts when there is one. */
export async function listRequests(
  db: SqlExecutor,
  q: RequestListQuery,
): Promise<{ items: RequestSummary[]; next?: { submittedAt: string; requestId: string } }> {
  const where: string[] = ['submitted_at IS NOT NULL'];
  const values: unknown[] = [];
  const param = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  for (const column of ['status', 'requester', 'action', 'environment'] as const) {
    const v = q[column];
    if (v !== undefined) where.push(`${column} = ${param(v)}`);
  }
  if (q.after) {
    where.push(
      `(submitted_at, request_id) < (${param(q.after.submittedAt)}::timestamptz, ${param(q.after.requestId)})`,
    );
  }
  const { rows } = await db.query<ListRow>(
    `SELECT request_id, status, action, requester, environment, risk, submitted_at, ended_at
       FROM request_index WHERE ${where.join(' AND ')}
      ORDER BY submitted_at DESC, request_id DESC LIMIT ${param(q.limit + 1)}`,
    values,
  );
  const page = rows.slice(0, q.limit);
  const items = page.map(
    (r): RequestSummary => ({
      id: r.request_id,
      status: r.status ?? undefined,
      action: r.action ?? undefined,
      requester: r.requester ?? undefined,
      environment: r.environment ?? undefined,
      risk: r.risk ?? undefined,
      startedAt: iso(r.submitted_at),
      closedAt: iso(r.ended_at),
    }),
  );
  const last = page.at(-1);
  return rows.length > q.limit && last
    ? { items, next: { submittedAt: iso(last.submitted_at)!, requestId: last.request_id } }
    : { items };
}
