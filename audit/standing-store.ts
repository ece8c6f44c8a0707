// Standing approvals (SPEC 14): "this and the same again until the TTL ends", kept in the service
// database so every worker and API process sees a revocation at once. A use is claimed with one
// conditional UPDATE, so a revoked or expired standing approval can never approve, however close
// the revocation and the request come together. The scope hash covers what must stay the same
// (action, resource, environment, requester, onBehalfOf, and the parameters but for those the
// rule lets vary).

import type { SqlDb } from '../db/sql.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { sha256Hex } from '../lib/sha256.js';
import type { StandingApproval, StandingScope } from '../workflows/types.js';

/** The hash of what a standing approval covers: the same for every request in its scope. */
export function scopeHashOf(scope: StandingScope, parameters: Record<string, unknown>): string {
  const fixed = Object.fromEntries(Object.entries(parameters).filter(([k]) => !scope.vary.includes(k)));
  return sha256Hex(
    canonicalJson({
      rule: scope.rule,
      action: scope.action,
      resource: scope.resource,
      environment: scope.environment,
      requester: scope.requester.toLowerCase(),
      onBehalfOf: scope.onBehalfOf?.toLowerCase() ?? null,
      vary: [...scope.vary].sort(),
      parameters: fixed,
    }),
  );
}

interface Row {
  id: string;
  request_id: string;
  rule: string;
  action: string;
  resource: string;
  environment: string;
  requester: string;
  on_behalf_of: string | null;
  vary: string[] | string;
  scope_hash: string;
  approvers: string[] | string;
  created_at: Date | string;
  expires_at: Date | string;
  revoked_at: Date | string | null;
  revoked_by: string | null;
  uses: number;
  last_used_at: Date | string | null;
}

const iso = (v: Date | string | null): string | undefined =>
  v === null ? undefined : new Date(v).toISOString();
const json = (v: string[] | string): string[] => (typeof v === 'string' ? JSON.parse(v) : v);

function fromRow(r: Row): StandingApproval {
  return {
    id: r.id,
    requestId: r.request_id,
    scope: {
      rule: r.rule,
      action: r.action,
      resource: r.resource,
      environment: r.environment,
      requester: r.requester,
      ...(r.on_behalf_of ? { onBehalfOf: r.on_behalf_of } : {}),
      vary: json(r.vary),
    },
    scopeHash: r.scope_hash,
    approvers: json(r.approvers),
    createdAt: iso(r.created_at)!,
    expiresAt: iso(r.expires_at)!,
    ...(r.revoked_at ? { revokedAt: iso(r.revoked_at), revokedBy: r.revoked_by ?? undefined } : {}),
    uses: Number(r.uses),
    ...(r.last_used_at ? { lastUsedAt: iso(r.last_used_at) } : {}),
  };
}

export class StandingStore {
  constructor(private readonly db: SqlDb) {}

  /** Stores a new standing approval; the same id again (a retried activity) changes nothing. */
  async create(s: Omit<StandingApproval, 'uses'>): Promise<void> {
    await this.db.query(
      `INSERT INTO standing_approvals (id, request_id, rule, action, resource, environment, requester,
         on_behalf_of, vary, scope_hash, approvers, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO NOTHING`,
      [
        s.id,
        s.requestId,
        s.scope.rule,
        s.scope.action,
        s.scope.resource,
        s.scope.environment,
        s.scope.requester,
        s.scope.onBehalfOf ?? null,
        JSON.stringify(s.scope.vary),
        s.scopeHash,
        JSON.stringify(s.approvers),
        s.createdAt,
        s.expiresAt,
      ],
    );
  }

  /** The newest standing approval of this scope that is neither revoked nor expired at `now`. */
  async newestFor(scopeHash: string, now: string): Promise<StandingApproval | undefined> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM standing_approvals
       WHERE scope_hash = $1 AND revoked_at IS NULL AND expires_at > $2
       ORDER BY created_at DESC LIMIT 1`,
      [scopeHash, now],
    );
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  /**
   * Claims one use of a standing approval the workflow has judged to cover a request: one
   * conditional UPDATE, so a revocation (or the expiry) that commits first is always seen, and a
   * use is counted only for a request it approves.
   */
  async claim(id: string, requestId: string, now: string): Promise<StandingApproval | undefined> {
    const { rows } = await this.db.query<Row>(
      `UPDATE standing_approvals SET uses = uses + 1, last_used_at = $3, last_used_by_request = $2
       WHERE id = $1 AND revoked_at IS NULL AND expires_at > $3
       RETURNING *`,
      [id, requestId, now],
    );
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async get(id: string): Promise<StandingApproval | undefined> {
    const { rows } = await this.db.query<Row>('SELECT * FROM standing_approvals WHERE id = $1', [id]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  /** Newest first; `requester` limits it to one requester's. */
  async list(opts: { requester?: string; limit?: number } = {}): Promise<StandingApproval[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM standing_approvals WHERE ($1::text IS NULL OR lower(requester) = lower($1))
       ORDER BY created_at DESC LIMIT $2`,
      [opts.requester ?? null, opts.limit ?? 200],
    );
    return rows.map(fromRow);
  }

  /** Revokes at once; false when it was already revoked (or never existed). */
  async revoke(id: string, by: string, at: string): Promise<boolean> {
    const { rows } = await this.db.query<{ id: string }>(
      `UPDATE standing_approvals SET revoked_at = $3, revoked_by = $2
       WHERE id = $1 AND revoked_at IS NULL RETURNING id`,
      [id, by, at],
    );
    return rows.length > 0;
  }
}
