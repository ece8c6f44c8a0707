// Verifies everything the database holds as evidence (GET /v1/audit/verify and `airlock audit
// verify`): the hash chain (first broken link named), every signed checkpoint against the chain
// as it is now, and every archived history against the SHA-256 its chain event carries.

import type { SqlExecutor } from '../db/sql.js';
import { sha256Hex } from '../lib/sha256.js';
import { HISTORY_ARCHIVED } from './archive-store.js';
import { allCheckpoints, type BadCheckpoint, checkCheckpoint, type StoredCheckpoint } from './checkpoints.js';
import type { VerifyResult } from './types.js';
import { DEFAULT_VERIFY_PAGE_SIZE, verifyChain } from './verify.js';

export interface BadHistory {
  requestId: string;
  reason: 'content_changed' | 'not_in_chain' | 'history_missing';
  /** The SHA-256 the chain event carries, and the SHA-256 of what is stored now. */
  expectedHash?: string;
  foundHash?: string;
}

export interface EvidenceVerification {
  ok: boolean;
  chain: VerifyResult;
  checkpoints: {
    ok: boolean;
    count: number;
    latest?: Pick<StoredCheckpoint, 'id' | 'headId' | 'headHash' | 'signedAt' | 'kid'>;
    firstBad?: BadCheckpoint;
  };
  histories: { ok: boolean; count: number; firstBad?: BadHistory };
}

export async function verifyEvidence(
  db: SqlExecutor,
  options: { trusted?: ReadonlyMap<string, Buffer>; pageSize?: number } = {},
): Promise<EvidenceVerification> {
  const chain = await verifyChain(db, {}, options.pageSize ?? DEFAULT_VERIFY_PAGE_SIZE);
  const checkpoints = await verifyCheckpoints(db, options.trusted);
  const histories = await verifyHistories(db);
  return { ok: chain.ok && checkpoints.ok && histories.ok, chain, checkpoints, histories };
}

async function verifyCheckpoints(
  db: SqlExecutor,
  trusted?: ReadonlyMap<string, Buffer>,
): Promise<EvidenceVerification['checkpoints']> {
  const list = await allCheckpoints(db);
  const heads = new Map<number, string>();
  if (list.length > 0) {
    const ids = [...new Set(list.map((c) => c.headId))];
    const found = await db.query<{ id: string | number; hash: string }>(
      'SELECT id, hash FROM audit_events WHERE id = ANY($1::bigint[])',
      [ids],
    );
    for (const r of found.rows) heads.set(Number(r.id), r.hash);
  }
  let count = 0;
  for (const c of list) {
    const bad = checkCheckpoint(c, (id) => heads.get(id), trusted);
    if (bad) return { ok: false, count, firstBad: bad };
    count++;
  }
  const last = list.at(-1);
  return {
    ok: true,
    count,
    ...(last
      ? {
          latest: {
            id: last.id,
            headId: last.headId,
            headHash: last.headHash,
            signedAt: last.signedAt,
            kid: last.kid,
          },
        }
      : {}),
  };
}

async function verifyHistories(db: SqlExecutor): Promise<EvidenceVerification['histories']> {
  let count = 0;
  let cursor = '';
  for (;;) {
    // Small pages: one history can be megabytes.
    const { rows } = await db.query<{ request_id: string; history: string; chain_sha256: string | null }>(
      `SELECT h.request_id, h.history, e.data::json->>'sha256' AS chain_sha256
       FROM archived_histories h
       LEFT JOIN audit_events e ON e.request_id = h.request_id AND e.event_key = $2
       WHERE h.request_id > $1 ORDER BY h.request_id LIMIT 50`,
      [cursor, HISTORY_ARCHIVED],
    );
    for (const r of rows) {
      const found = sha256Hex(r.history);
      if (r.chain_sha256 == null)
        return {
          ok: false,
          count,
          firstBad: { requestId: r.request_id, reason: 'not_in_chain', foundHash: found },
        };
      if (r.chain_sha256 !== found)
        return {
          ok: false,
          count,
          firstBad: {
            requestId: r.request_id,
            reason: 'content_changed',
            expectedHash: r.chain_sha256,
            foundHash: found,
          },
        };
      count++;
    }
    if (rows.length < 50) break;
    cursor = rows.at(-1)!.request_id;
  }
  // A chain event whose history row is gone (deleted behind the triggers' back).
  const orphan = await db.query<{ request_id: string; sha: string }>(
    `SELECT e.request_id, e.data::json->>'sha256' AS sha FROM audit_events e
     LEFT JOIN archived_histories h ON h.request_id = e.request_id
     WHERE e.event_key = $1 AND h.request_id IS NULL ORDER BY e.id LIMIT 1`,
    [HISTORY_ARCHIVED],
  );
  const missing = orphan.rows[0];
  if (missing)
    return {
      ok: false,
      count,
      firstBad: { requestId: missing.request_id, reason: 'history_missing', expectedHash: missing.sha },
    };
  return { ok: true, count };
}
