// Builds the evidence pack for a period (GET /v1/audit/export, `airlock audit export`): the
// contiguous chain segment recorded in [from, to), the archived histories its events name, the
// checkpoints inside it plus a fresh one signed now over its last event, the public keys, one
// readable record per request, and the seal. Histories stay ciphertext unless the caller passes
// `decodeHistory` (an auditor who asked for decryption).

import { archivedHistoriesFor, HISTORY_ARCHIVED } from './archive-store.js';
import { GENESIS_HASH } from './chain.js';
import { checkpointsBetween, signCheckpoint } from './checkpoints.js';
import type { SqlDb } from './db.js';
import { buildEvidenceRecords } from './evidence.js';
import type { SigningKey } from './keys.js';
import {
  type HistoryItem,
  PACK_FORMAT,
  PACK_VERSION,
  type PackFormat,
  type PackItem,
  writePack,
} from './pack.js';
import { EVENT_COLUMNS, type EventRow, toEvent } from './rows.js';
import { toJwk } from './signing.js';

export interface ExportOptions {
  /** Inclusive start and exclusive end, ISO-8601, on the time each event was recorded. */
  from: string;
  to: string;
  format: PackFormat;
  /** Who asked (the authenticated principal). */
  generatedBy: string;
  /** The service's public URL, for the reader. */
  service: string;
  signing: SigningKey;
  /** Published keys (current first): old ones still verify older checkpoints. */
  publishedKeys: readonly SigningKey[];
  /** Decrypts one archived history (protobuf JSON object); only for an auditor who asked. */
  decodeHistory?: (history: unknown) => Promise<unknown>;
  now?: Date;
}

export interface EvidencePack {
  body: string;
  contentType: string;
  filename: string;
  summary: { events: number; histories: number; checkpoints: number; records: number };
}

export async function buildEvidencePack(db: SqlDb, o: ExportOptions): Promise<EvidencePack> {
  const now = o.now ?? new Date();
  const bounds = await db.query<{ lo: string | number | null; hi: string | number | null }>(
    'SELECT min(id) AS lo, max(id) AS hi FROM audit_events WHERE recorded_at >= $1 AND recorded_at < $2',
    [o.from, o.to],
  );
  const lo = bounds.rows[0]?.lo == null ? undefined : Number(bounds.rows[0].lo);
  const hi = bounds.rows[0]?.hi == null ? undefined : Number(bounds.rows[0].hi);
  // The segment is contiguous in chain order (a row recorded slightly out of time order stays in).
  const rows =
    lo === undefined || hi === undefined
      ? []
      : (
          await db.query<EventRow>(
            `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE id >= $1 AND id <= $2 ORDER BY id`,
            [lo, hi],
          )
        ).rows;
  const events = rows.map(toEvent);
  if (hi !== undefined) await signCheckpoint(db, o.signing, { reason: 'export', headId: hi, now });

  const archivedIds = events.filter((e) => e.type === HISTORY_ARCHIVED).map((e) => e.requestId);
  const histories: HistoryItem[] = [];
  for (const h of await archivedHistoriesFor(db, archivedIds)) {
    const item: HistoryItem = { kind: 'history', ...h };
    if (o.decodeHistory) item.decoded = await o.decodeHistory(JSON.parse(h.history));
    histories.push(item);
  }
  const checkpoints = lo === undefined || hi === undefined ? [] : await checkpointsBetween(db, lo, hi);
  const records = buildEvidenceRecords(events);
  const items: PackItem[] = [
    {
      kind: 'header',
      format: PACK_FORMAT,
      version: PACK_VERSION,
      generatedAt: now.toISOString(),
      generatedBy: o.generatedBy,
      service: o.service,
      range: { from: o.from, to: o.to },
      chain: {
        firstId: events[0]?.id,
        lastId: events.at(-1)?.id,
        anchorHash: events[0]?.prevHash ?? GENESIS_HASH,
        headHash: events.at(-1)?.hash ?? events[0]?.prevHash ?? GENESIS_HASH,
        events: events.length,
      },
      decrypted: o.decodeHistory !== undefined,
    },
    ...o.publishedKeys.map((k, i) => ({ kind: 'key' as const, current: i === 0, ...toJwk(k) })),
    ...events.map((e) => ({ kind: 'event' as const, ...e })),
    ...histories,
    ...checkpoints.map((c) => ({ kind: 'checkpoint' as const, ...c })),
    ...records.map((r) => ({ kind: 'record' as const, ...r })),
  ];
  const stamp = now
    .toISOString()
    .replaceAll(':', '')
    .replace(/\.\d+Z$/, 'Z');
  return {
    body: writePack(items, o.format, o.signing),
    contentType: o.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    filename: `airlock-evidence-${stamp}.${o.format}`,
    summary: {
      events: events.length,
      histories: histories.length,
      checkpoints: checkpoints.length,
      records: records.length,
    },
  };
}
