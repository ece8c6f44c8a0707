// "Waiting for me": pending requests whose current stage this principal may still decide, the
// most urgent deadline first. Read from request_index, where every write of a pending request
// lists who may still decide it (workflows/state.ts), so the page costs one indexed query
// whatever the number of pending requests, and never a state decryption per row.
import type { SqlExecutor } from '../db/sql.js';

export interface InboxItem {
  id: string;
  action?: string;
  requester?: string;
  environment?: string;
  resource?: string;
  risk?: string;
  submittedAt?: string;
  deadline?: string;
}

interface InboxRow {
  request_id: string;
  action: string | null;
  requester: string | null;
  environment: string | null;
  resource: string | null;
  risk: string | null;
  submitted_at: Date | string | null;
  stage_deadline: Date | string | null;
  total: number | string;
}

const iso = (v: Date | string | null) => (v === null ? undefined : new Date(v).toISOString());

export async function inboxFor(
  db: SqlExecutor,
  principal: string,
  limit = 100,
): Promise<{ items: InboxItem[]; total: number }> {
  const { rows } = await db.query<InboxRow>(
    `SELECT request_id, action, requester, environment, resource, risk, submitted_at, stage_deadline,
            count(*) OVER () AS total
       FROM request_index
      WHERE status = 'pending_approval' AND strpos(deciders, $1) > 0
      ORDER BY stage_deadline ASC NULLS LAST, request_id
      LIMIT $2`,
    [`\n${principal}\n`, limit],
  );
  return {
    total: Number(rows[0]?.total ?? 0),
    items: rows.map((r) => ({
      id: r.request_id,
      action: r.action ?? undefined,
      requester: r.requester ?? undefined,
      environment: r.environment ?? undefined,
      resource: r.resource ?? undefined,
      risk: r.risk ?? undefined,
      submittedAt: iso(r.submitted_at),
      deadline: iso(r.stage_deadline),
    })),
  };
}

/** A cheap fingerprint of what the inbox shows, for its live updates. */
export async function inboxVersion(db: SqlExecutor, principal: string): Promise<string> {
  const { rows } = await db.query<{ n: number | string; seq: number | string | null }>(
    `SELECT count(*) AS n, sum(state_seq) AS seq FROM request_index
      WHERE status = 'pending_approval' AND strpos(deciders, $1) > 0`,
    [`\n${principal}\n`],
  );
  return `${rows[0]?.n ?? 0}:${rows[0]?.seq ?? 0}`;
}

/** Where a request's state stands (its snapshot's seq and status), for its page's live updates. */
export async function requestVersion(db: SqlExecutor, requestId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ state_seq: number | null; status: string | null }>(
    'SELECT state_seq, status FROM request_index WHERE request_id = $1',
    [requestId],
  );
  const row = rows[0];
  return row ? `${row.state_seq ?? 0}:${row.status ?? ''}` : undefined;
}
