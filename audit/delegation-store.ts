// Delegations (SPEC 14): an approver hands their approvals to one other person for a period. Kept
// in the service database (table from audit.007_escape_hatches) so every worker sees an ended
// delegation at once; the workflow asks for the delegations a decider holds at the moment they
// decide and judges them itself (workflows/rules.ts), and only direct ones: no chains.

import type { SqlDb } from '../db/sql.js';
import type { Delegation } from '../workflows/types.js';

interface Row {
  id: string;
  delegator: string;
  delegate: string;
  starts_at: Date | string;
  ends_at: Date | string;
  reason: string;
  created_by: string;
  created_at: Date | string;
  ended_at: Date | string | null;
  ended_by: string | null;
}

const iso = (v: Date | string): string => new Date(v).toISOString();

function fromRow(r: Row): Delegation {
  return {
    id: r.id,
    delegator: r.delegator,
    delegate: r.delegate,
    startsAt: iso(r.starts_at),
    endsAt: iso(r.ends_at),
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
    ...(r.ended_at ? { endedAt: iso(r.ended_at), endedBy: r.ended_by ?? undefined } : {}),
  };
}

export class DelegationStore {
  constructor(private readonly db: SqlDb) {}

  async create(d: Omit<Delegation, 'endedAt' | 'endedBy'>): Promise<void> {
    await this.db.query(
      `INSERT INTO delegations (id, delegator, delegate, starts_at, ends_at, reason, created_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [d.id, d.delegator, d.delegate, d.startsAt, d.endsAt, d.reason, d.createdBy, d.createdAt],
    );
  }

  async get(id: string): Promise<Delegation | undefined> {
    const { rows } = await this.db.query<Row>('SELECT * FROM delegations WHERE id = $1', [id]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  /** Newest first; with `person`, those where they delegate or are the delegate. */
  async list(opts: { person?: string; limit?: number } = {}): Promise<Delegation[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM delegations
       WHERE ($1::text IS NULL OR lower(delegator) = lower($1) OR lower(delegate) = lower($1))
       ORDER BY created_at DESC LIMIT $2`,
      [opts.person ?? null, opts.limit ?? 200],
    );
    return rows.map(fromRow);
  }

  /** A delegator's delegations that are not ended and not over by `at` (current or future). */
  async openFrom(delegator: string, at: string): Promise<Delegation[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM delegations WHERE lower(delegator) = lower($1) AND ended_at IS NULL AND ends_at > $2`,
      [delegator, at],
    );
    return rows.map(fromRow);
  }

  /** The delegations this person holds at `at`: started, not over, not ended. */
  async heldBy(delegate: string, at: string): Promise<Delegation[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM delegations WHERE lower(delegate) = lower($1) AND ended_at IS NULL
         AND starts_at <= $2 AND ends_at > $2 ORDER BY created_at`,
      [delegate, at],
    );
    return rows.map(fromRow);
  }

  /** The delegations in force at `at` whose delegator is one of these identities (for the cards). */
  async givenBy(delegators: readonly string[], at: string): Promise<Delegation[]> {
    if (delegators.length === 0) return [];
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM delegations WHERE lower(delegator) = ANY($1::text[]) AND ended_at IS NULL
         AND starts_at <= $2 AND ends_at > $2 ORDER BY delegator, created_at`,
      [delegators.map((d) => d.toLowerCase()), at],
    );
    return rows.map(fromRow);
  }

  /** Ends it at once; false when it had already been ended. */
  async end(id: string, by: string, at: string): Promise<boolean> {
    const { rows } = await this.db.query<{ id: string }>(
      'UPDATE delegations SET ended_at = $3, ended_by = $2 WHERE id = $1 AND ended_at IS NULL RETURNING id',
      [id, by, at],
    );
    return rows.length > 0;
  }
}
