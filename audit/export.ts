// Builds the evidence pack for a period (GET /v1/audit/export, `airlock audit export`): the
// contiguous chain segment recorded in [from, to), the archived histories its events name, the
// checkpoints inside it plus a fresh one signed now over its last event, the public keys, one
// readable record per request, and the seal. Histories stay ciphertext unless the caller passes
// `decodeHistory` (an auditor who asked for decryption).
//
// The pack is streamed with bounded memory (a year of evidence does not fit in the API process):
// the header comes from a few aggregate queries, events are read in windows of ids, histories a
// few at a time, checkpoints in pages, and the records in a second pass by batches of requests
// (whole requests, about one window of events per batch). What stays in memory for the whole
// export is one entry per request (its id and event count) and the ids of the archived requests.

import type { SqlDb } from '../db/sql.js';
import type { SigningKey } from '../lib/keys.js';
import { type ArchivedHistory, archivedHistoriesFor, HISTORY_ARCHIVED } from './archive-store.js';
import { GENESIS_HASH } from './chain.js';
import { checkpointPage, type StoredCheckpoint, signCheckpoint } from './checkpoints.js';
import { buildEvidenceRecords } from './evidence.js';
import {
  type HeaderItem,
  type HistoryItem,
  PACK_FORMAT,
  PACK_VERSION,
  type PackFormat,
  PackWriter,
} from './pack.js';
import { EVENT_COLUMNS, type EventRow, toEvent } from './rows.js';
import { toJwk } from './signing.js';

/** Event ids per window (and about as many events per records batch). */
export const EXPORT_WINDOW = 5000;
/** Archived histories per query (each is tens of KB, sometimes much more). */
const HISTORIES_PER_QUERY = 4;
/** Checkpoints per page. */
const CHECKPOINTS_PER_PAGE = 1000;
/** Lines are handed out in chunks of about this many characters (fewer, larger writes). */
const CHUNK_CHARS = 64 * 1024;
/** The service's own events (`airlock:audit`: exports) belong to no request, so have no record. */
const SERVICE_PREFIX = 'airlock:';

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
  /** Event ids per window (default EXPORT_WINDOW). */
  windowSize?: number;
}

export interface PackSummary {
  events: number;
  histories: number;
  checkpoints: number;
  records: number;
}

export interface EvidencePack {
  body: string;
  contentType: string;
  filename: string;
  summary: PackSummary;
}

/** A pack being streamed: iterate `body()` once to the end, then take `seal()`. */
export interface EvidencePackStream {
  contentType: string;
  filename: string;
  /** Items written so far; final once `body()` is done. */
  readonly summary: Readonly<PackSummary>;
  /** Every byte of the pack before the seal, in chunks of whole lines. */
  body(): AsyncGenerator<string, void, undefined>;
  /** The seal line (signs the SHA-256 of everything `body()` gave); only after `body()` ended. */
  seal(): string;
}

interface Segment {
  lo: number;
  hi: number;
  count: number;
  anchorHash: string;
  headHash: string;
}

type Id = string | number | null;

/**
 * The chain segment recorded in [from, to) without reading it: its first and last ids, how many
 * events it holds, the hash before it and its head. The segment is contiguous in chain order (a
 * row recorded slightly out of time order stays in).
 */
async function segmentOf(db: SqlDb, from: string, to: string): Promise<Segment | undefined> {
  const { rows } = await db.query<{ lo: Id; hi: Id; n: Id; anchor: string | null; head: string | null }>(
    `WITH b AS (SELECT min(id) AS lo, max(id) AS hi FROM audit_events WHERE recorded_at >= $1 AND recorded_at < $2)
     SELECT b.lo, b.hi,
            (SELECT count(*) FROM audit_events e WHERE e.id >= b.lo AND e.id <= b.hi) AS n,
            (SELECT prev_hash FROM audit_events e WHERE e.id = b.lo) AS anchor,
            (SELECT hash FROM audit_events e WHERE e.id = b.hi) AS head
       FROM b`,
    [from, to],
  );
  const r = rows[0];
  if (!r || r.lo === null || r.hi === null) return undefined;
  const anchorHash = r.anchor ?? GENESIS_HASH;
  return {
    lo: Number(r.lo),
    hi: Number(r.hi),
    count: Number(r.n ?? 0),
    anchorHash,
    headHash: r.head ?? anchorHash,
  };
}

/**
 * Starts an export: reads the segment's bounds and signs the export checkpoint over its last
 * event (so an error here happens before anything is sent). The rest is read while streaming.
 */
export async function openEvidencePack(db: SqlDb, o: ExportOptions): Promise<EvidencePackStream> {
  const now = o.now ?? new Date();
  const window = Math.max(1, o.windowSize ?? EXPORT_WINDOW);
  const segment = await segmentOf(db, o.from, o.to);
  if (segment) await signCheckpoint(db, o.signing, { reason: 'export', headId: segment.hi, now });
  const header: HeaderItem = {
    kind: 'header',
    format: PACK_FORMAT,
    version: PACK_VERSION,
    generatedAt: now.toISOString(),
    generatedBy: o.generatedBy,
    service: o.service,
    range: { from: o.from, to: o.to },
    chain: {
      firstId: segment?.lo,
      lastId: segment?.hi,
      anchorHash: segment?.anchorHash ?? GENESIS_HASH,
      headHash: segment?.headHash ?? GENESIS_HASH,
      events: segment?.count ?? 0,
    },
    decrypted: o.decodeHistory !== undefined,
  };
  const writer = new PackWriter(o.format, o.signing);
  const summary: PackSummary = { events: 0, histories: 0, checkpoints: 0, records: 0 };
  let started = false;
  let finished = false;

  /** The pack's lines before the seal, a batch (a window, a history, a page) at a time. */
  async function* lines(): AsyncGenerator<string[], void, undefined> {
    yield [
      writer.start(),
      writer.item(header),
      ...o.publishedKeys.map((k, i) => writer.item({ kind: 'key', current: i === 0, ...toJwk(k) })),
    ];
    if (!segment) return;

    // Events, window by window; what the later sections need is noted on the way.
    const requests = new Map<string, number>(); // request id -> events, in order of first event
    const archivedIds: string[] = [];
    for await (const rows of eventWindows(db, segment, window)) {
      yield rows.map((row) => {
        const e = toEvent(row);
        if (e.type === HISTORY_ARCHIVED) archivedIds.push(e.requestId);
        if (!e.requestId.startsWith(SERVICE_PREFIX))
          requests.set(e.requestId, (requests.get(e.requestId) ?? 0) + 1);
        summary.events++;
        return writer.item({ kind: 'event', ...e });
      });
    }

    // Histories, in request id order (the database's), a few at a time.
    for await (const h of histories(db, archivedIds)) {
      const item: HistoryItem = { kind: 'history', ...h };
      if (o.decodeHistory) item.decoded = await o.decodeHistory(JSON.parse(h.history));
      summary.histories++;
      yield [writer.item(item)];
    }
    archivedIds.length = 0;

    // Checkpoints whose head lies in the segment (the export's own among them), oldest first.
    for await (const page of checkpointPages(db, segment)) {
      summary.checkpoints += page.length;
      yield page.map((c) => writer.item({ kind: 'checkpoint', ...c }));
    }

    // Records: a second pass over the segment, a batch of whole requests at a time. Batches follow
    // the order of first events, so the records come out in the same order as over all events.
    for await (const events of requestBatches(db, segment, requests, window)) {
      const records = buildEvidenceRecords(events);
      summary.records += records.length;
      yield records.map((r) => writer.item({ kind: 'record', ...r }));
    }
  }

  async function* body(): AsyncGenerator<string, void, undefined> {
    if (started) throw new Error('evidence pack: body() can be read only once');
    started = true;
    let parts: string[] = [];
    let size = 0;
    for await (const batch of lines()) {
      for (const line of batch) {
        parts.push(line);
        size += line.length;
      }
      if (size >= CHUNK_CHARS) {
        yield parts.join('');
        parts = [];
        size = 0;
      }
    }
    if (size > 0) yield parts.join('');
    finished = true;
  }

  const stamp = now
    .toISOString()
    .replaceAll(':', '')
    .replace(/\.\d+Z$/, 'Z');
  return {
    contentType: o.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    filename: `airlock-evidence-${stamp}.${o.format}`,
    summary,
    body,
    seal() {
      if (!finished) throw new Error('evidence pack: seal() before the whole body was read');
      return writer.seal();
    },
  };
}

/** The whole pack as one string (tests, small periods); the API streams `openEvidencePack`. */
export async function buildEvidencePack(db: SqlDb, o: ExportOptions): Promise<EvidencePack> {
  const pack = await openEvidencePack(db, o);
  const parts: string[] = [];
  for await (const chunk of pack.body()) parts.push(chunk);
  parts.push(pack.seal());
  return {
    body: parts.join(''),
    contentType: pack.contentType,
    filename: pack.filename,
    summary: { ...pack.summary },
  };
}

/**
 * The segment's rows in windows of `size` ids (id > a AND id <= a + size, through the primary key
 * whatever the planner's statistics say), the next window fetched while this one is written; a
 * window with no rows (a gap in the ids) jumps to the next id that exists.
 */
async function* eventWindows(db: SqlDb, s: Segment, size: number): AsyncGenerator<EventRow[]> {
  const fetch = (after: number) => {
    const q = db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE id > $1 AND id <= $2 ORDER BY id`,
      [after, Math.min(after + size, s.hi)],
    );
    q.catch(() => {}); // awaited below, unless the consumer stops first
    return q;
  };
  let cursor = s.lo - 1;
  let pending: ReturnType<typeof fetch> | undefined = fetch(cursor);
  while (pending) {
    const { rows } = await pending;
    const end = Math.min(cursor + size, s.hi);
    if (rows.length === 0 && end < s.hi) {
      const next = await db.query<{ id: Id }>(
        'SELECT min(id) AS id FROM audit_events WHERE id > $1 AND id <= $2',
        [end, s.hi],
      );
      const id = next.rows[0]?.id;
      if (id === null || id === undefined) return;
      cursor = Number(id) - 1;
      pending = fetch(cursor);
      continue;
    }
    cursor = end;
    pending = cursor < s.hi ? fetch(cursor) : undefined;
    yield rows;
  }
}

/** The archived histories of these requests, ordered by request id as the database sorts it. */
async function* histories(db: SqlDb, requestIds: string[]): AsyncGenerator<ArchivedHistory> {
  if (requestIds.length === 0) return;
  const { rows } = await db.query<{ request_id: string }>(
    'SELECT request_id FROM archived_histories WHERE request_id = ANY($1::text[]) ORDER BY request_id',
    [requestIds],
  );
  const ordered = rows.map((r) => r.request_id);
  // Consecutive slices of one sorted list, each fetched sorted the same way: the same order overall.
  for (let i = 0; i < ordered.length; i += HISTORIES_PER_QUERY)
    yield* await archivedHistoriesFor(db, ordered.slice(i, i + HISTORIES_PER_QUERY));
}

/** Checkpoints whose head lies in the segment, oldest first (as checkpointsBetween), in pages. */
async function* checkpointPages(db: SqlDb, s: Segment): AsyncGenerator<StoredCheckpoint[]> {
  let afterId = 0;
  for (;;) {
    const page = await checkpointPage(db, { fromId: s.lo, toId: s.hi, afterId, limit: CHECKPOINTS_PER_PAGE });
    yield page;
    if (page.length < CHECKPOINTS_PER_PAGE) return;
    afterId = page.at(-1)!.id;
  }
}

/**
 * The segment's events again, a batch of whole requests at a time (in order of their first
 * event, about `size` events per batch; a request with more events than that goes alone).
 */
async function* requestBatches(
  db: SqlDb,
  s: Segment,
  requests: ReadonlyMap<string, number>,
  size: number,
): AsyncGenerator<ReturnType<typeof toEvent>[]> {
  const fetch = (ids: string[]) => {
    const q = db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM audit_events
        WHERE request_id = ANY($1::text[]) AND id >= $2 AND id <= $3 ORDER BY id`,
      [ids, s.lo, s.hi],
    );
    q.catch(() => {}); // awaited below, unless the consumer stops first
    return q;
  };
  const batches = (function* () {
    let ids: string[] = [];
    let events = 0;
    for (const [id, n] of requests) {
      if (ids.length > 0 && events + n > size) {
        yield ids;
        ids = [];
        events = 0;
      }
      ids.push(id);
      events += n;
    }
    if (ids.length > 0) yield ids;
  })();
  let next = batches.next();
  let pending = next.done ? undefined : fetch(next.value);
  while (pending) {
    const { rows } = await pending;
    next = batches.next();
    pending = next.done ? undefined : fetch(next.value);
    yield rows.map(toEvent);
  }
}
