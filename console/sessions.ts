// Console sessions, kept server-side in the audit database (console_sessions): the browser holds
// only a random id, the table only its SHA-256, so neither a stolen table nor a guessed cookie
// signs anyone in. Each session has its own CSRF token; signing out ends the row at once.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../api/auth.js';
import type { Role } from '../config/types.js';
import type { SqlExecutor } from '../db/sql.js';
import { sha256Hex } from '../lib/sha256.js';

export const DEFAULT_SESSION_TTL_MS = 8 * 3_600_000;
const KNOWN_ROLES: readonly Role[] = ['requester', 'approver', 'auditor', 'admin'];
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export interface ConsoleSession {
  principal: Principal;
  csrf: string;
  expiresAt: string;
}

export type FoundSession = { ok: true; session: ConsoleSession } | { ok: false; reason: 'invalid' | 'ended' };

interface SessionRow {
  principal: string;
  roles: string;
  via: string;
  on_behalf_of: string | null;
  csrf: string;
  expires_at: Date | string;
  ended_at: Date | string | null;
}

const token = () => randomBytes(32).toString('base64url');

export class SessionStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly ttlMs = DEFAULT_SESSION_TTL_MS,
  ) {}

  /** A new session for a principal; the returned id goes into the cookie and nowhere else. */
  async create(principal: Principal, now = new Date()): Promise<{ id: string; session: ConsoleSession }> {
    const id = token();
    const csrf = token();
    const expiresAt = new Date(now.getTime() + this.ttlMs).toISOString();
    await this.db.query(
      `INSERT INTO console_sessions (id_hash, principal, roles, via, on_behalf_of, csrf, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        sha256Hex(id),
        principal.id,
        principal.roles.join(','),
        principal.via,
        principal.onBehalfOf ?? null,
        csrf,
        now.toISOString(),
        expiresAt,
      ],
    );
    return { id, session: { principal, csrf, expiresAt } };
  }

  /** The live session a cookie names: `invalid` for an id we never issued, `ended` for one over. */
  async find(id: string, now = new Date()): Promise<FoundSession> {
    if (!SESSION_ID.test(id)) return { ok: false, reason: 'invalid' };
    const { rows } = await this.db.query<SessionRow>(
      `SELECT principal, roles, via, on_behalf_of, csrf, expires_at, ended_at
         FROM console_sessions WHERE id_hash = $1`,
      [sha256Hex(id)],
    );
    const row = rows[0];
    if (!row) return { ok: false, reason: 'invalid' };
    if (row.ended_at !== null || new Date(row.expires_at).getTime() <= now.getTime()) {
      return { ok: false, reason: 'ended' };
    }
    const roles = KNOWN_ROLES.filter((r) => row.roles.split(',').includes(r));
    const principal: Principal = {
      id: row.principal,
      roles,
      via: row.via === 'oidc' ? 'oidc' : 'api-key',
      ...(row.on_behalf_of ? { onBehalfOf: row.on_behalf_of } : {}),
    };
    return {
      ok: true,
      session: { principal, csrf: row.csrf, expiresAt: new Date(row.expires_at).toISOString() },
    };
  }

  async end(id: string, now = new Date()): Promise<void> {
    if (!SESSION_ID.test(id)) return;
    await this.db.query('UPDATE console_sessions SET ended_at = $2 WHERE id_hash = $1 AND ended_at IS NULL', [
      sha256Hex(id),
      now.toISOString(),
    ]);
  }

  /** Drops rows that ended or expired a day ago: sessions are not evidence, the trail is. */
  async sweep(now = new Date()): Promise<void> {
    const before = new Date(now.getTime() - 86_400_000).toISOString();
    await this.db.query(
      'DELETE FROM console_sessions WHERE expires_at < $1 OR (ended_at IS NOT NULL AND ended_at < $1)',
      [before],
    );
  }
}

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function sameToken(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
