// Signed checkpoints: the chain head (event id + hash) signed with the service's Ed25519 key,
// periodically (after each archiver run) and on every export. A copy of the evidence can then be
// checked against a signature made at the time, not only against itself: rewriting the chain
// after a checkpoint changes a hash that a signature already pins.
import type { SqlDb, SqlExecutor } from '../db/sql.js';
import type { SigningKey } from '../lib/keys.js';
import { signingKeyId } from '../lib/keys.js';
import { type CheckpointStatement, signStatement, verifyStatement } from './signing.js';
import { AUDIT_APPEND_LOCK_KEY } from './store.js';

export type CheckpointReason = 'periodic' | 'export';

export interface StoredCheckpoint {
  id: number;
  headId: number;
  headHash: string;
  signedAt: string;
  kid: string;
  /** Raw Ed25519 public key, base64url (also published at the well-known URL). */
  publicKey: string;
  /** Base64url signature over the canonical JSON of `checkpointStatement(this)`. */
  signature: string;
  reason: CheckpointReason;
}

interface CheckpointRow {
  id: string | number;
  head_id: string | number;
  head_hash: string;
  signed_at: string;
  kid: string;
  public_key: string;
  signature: string;
  reason: string;
}

const COLUMNS = 'id, head_id, head_hash, signed_at, kid, public_key, signature, reason';

const toCheckpoint = (r: CheckpointRow): StoredCheckpoint => ({
  id: Number(r.id),
  headId: Number(r.head_id),
  headHash: r.head_hash,
  signedAt: r.signed_at,
  kid: r.kid,
  publicKey: r.public_key,
  signature: r.signature,
  reason: r.reason as CheckpointReason,
});

export function checkpointStatement(
  c: Pick<StoredCheckpoint, 'headId' | 'headHash' | 'signedAt' | 'kid'>,
): CheckpointStatement {
  return {
    type: 'airlock.audit.checkpoint',
    v: 1,
    headId: c.headId,
    headHash: c.headHash,
    signedAt: c.signedAt,
    kid: c.kid,
  };
}

/**
 * Signs the chain head (or the event `headId`). A periodic checkpoint is skipped when the newest
 * checkpoint already covers the same head with the same key; undefined when the chain is empty.
 */
export async function signCheckpoint(
  db: SqlDb,
  key: SigningKey,
  options: { reason: CheckpointReason; headId?: number; now?: Date },
): Promise<StoredCheckpoint | undefined> {
  return db.transaction(async (tx) => {
    // Under the append lock, so the head cannot move while it is read and signed.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_APPEND_LOCK_KEY]);
    const head =
      options.headId === undefined
        ? await tx.query<{ id: string | number; hash: string }>(
            'SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1',
          )
        : await tx.query<{ id: string | number; hash: string }>(
            'SELECT id, hash FROM audit_events WHERE id = $1',
            [options.headId],
          );
    const event = head.rows[0];
    if (!event) return undefined;
    if (options.reason === 'periodic') {
      const latest = await latestCheckpoint(tx);
      if (latest && latest.headId === Number(event.id) && latest.kid === key.kid) return latest;
    }
    const statement = checkpointStatement({
      headId: Number(event.id),
      headHash: event.hash,
      signedAt: (options.now ?? new Date()).toISOString(),
      kid: key.kid,
    });
    const { rows } = await tx.query<CheckpointRow>(
      `INSERT INTO audit_checkpoints (head_id, head_hash, signed_at, kid, public_key, signature, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
      [
        statement.headId,
        statement.headHash,
        statement.signedAt,
        statement.kid,
        key.publicKey.toString('base64url'),
        signStatement(key, statement),
        options.reason,
      ],
    );
    return toCheckpoint(rows[0]!);
  });
}

export async function latestCheckpoint(db: SqlExecutor): Promise<StoredCheckpoint | undefined> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT ${COLUMNS} FROM audit_checkpoints ORDER BY id DESC LIMIT 1`,
  );
  return rows[0] ? toCheckpoint(rows[0]) : undefined;
}

/** Checkpoints whose head lies in [fromId, toId], oldest first. */
export async function checkpointsBetween(
  db: SqlExecutor,
  fromId: number,
  toId: number,
): Promise<StoredCheckpoint[]> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT ${COLUMNS} FROM audit_checkpoints WHERE head_id >= $1 AND head_id <= $2 ORDER BY id`,
    [fromId, toId],
  );
  return rows.map(toCheckpoint);
}

/** One page of checkpointsBetween: those after checkpoint id `afterId`, at most `limit`. */
export async function checkpointPage(
  db: SqlExecutor,
  range: { fromId: number; toId: number; afterId: number; limit: number },
): Promise<StoredCheckpoint[]> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT ${COLUMNS} FROM audit_checkpoints
      WHERE head_id >= $1 AND head_id <= $2 AND id > $3 ORDER BY id LIMIT $4`,
    [range.fromId, range.toId, range.afterId, range.limit],
  );
  return rows.map(toCheckpoint);
}

export interface BadCheckpoint {
  checkpointId: number;
  headId: number;
  reason: 'bad_signature' | 'untrusted_key' | 'event_missing' | 'head_mismatch';
  /** For head_mismatch: the signed hash, and the hash the event has now. */
  expectedHash?: string;
  foundHash?: string;
  detail: string;
}

/**
 * Checks one checkpoint: its key (and, when `trusted` is given, that the key is one of them),
 * its signature, and that the chain still has the signed hash at the signed position.
 */
export function checkCheckpoint(
  c: StoredCheckpoint,
  eventHashAt: (id: number) => string | undefined,
  trusted?: ReadonlyMap<string, Buffer>,
): BadCheckpoint | undefined {
  const base = { checkpointId: c.id, headId: c.headId };
  const publicKey = Buffer.from(c.publicKey, 'base64url');
  if (signingKeyId(publicKey) !== c.kid)
    return { ...base, reason: 'untrusted_key', detail: `key id ${c.kid} is not the hash of its public key` };
  if (trusted && !trusted.get(c.kid)?.equals(publicKey))
    return { ...base, reason: 'untrusted_key', detail: `key ${c.kid} is not one of the trusted keys` };
  if (!verifyStatement(publicKey, checkpointStatement(c), c.signature))
    return { ...base, reason: 'bad_signature', detail: `the signature does not verify with key ${c.kid}` };
  const found = eventHashAt(c.headId);
  if (found === undefined)
    return { ...base, reason: 'event_missing', detail: `the signed head event ${c.headId} is missing` };
  if (found !== c.headHash)
    return {
      ...base,
      reason: 'head_mismatch',
      expectedHash: c.headHash,
      foundHash: found,
      detail: `event ${c.headId} no longer has the hash signed at ${c.signedAt}`,
    };
  return undefined;
}

/** Every checkpoint, oldest first (verification reads them all). */
export async function allCheckpoints(db: SqlExecutor): Promise<StoredCheckpoint[]> {
  const { rows } = await db.query<CheckpointRow>(`SELECT ${COLUMNS} FROM audit_checkpoints ORDER BY id`);
  return rows.map(toCheckpoint);
}
