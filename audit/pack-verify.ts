// Offline verification of an evidence pack (`airlock audit verify-pack`): no server, no database.
// It recomputes the chain segment, checks every archived history against the hash its chain event
// carries, every checkpoint signature against the chain, rebuilds the evidence records from the
// events, and checks the seal over the whole file. The first problem is named precisely.
import { canonicalJson } from '../lib/canonical-json.js';
import { sha256Hex } from '../lib/sha256.js';
import { eventHash } from './chain.js';
import { checkCheckpoint } from './checkpoints.js';
import { buildEvidenceRecords } from './evidence.js';
import {
  type CheckpointItem,
  CSV_COLUMNS,
  CSV_EOL,
  csvHeaderRow,
  csvRow,
  type EventItem,
  type HeaderItem,
  type HistoryItem,
  jsonlLine,
  PACK_FORMAT,
  PACK_VERSION,
  type PackFormat,
  type PackItem,
  type RecordItem,
  type SealItem,
} from './pack.js';
import { publicKeyOfJwk, verifyStatement } from './signing.js';

export interface PackProblem {
  /** What failed: malformed, structure, event, history, checkpoint, record, key or seal. */
  part: string;
  reason: string;
  /** 1-based line (JSONL) or row (CSV, the column header is row 1) of the offending item. */
  line?: number;
  eventId?: number;
  requestId?: string;
  eventKey?: string;
  expectedHash?: string;
  foundHash?: string;
  detail: string;
}

export interface PackVerification {
  ok: boolean;
  format?: PackFormat;
  counts: { events: number; histories: number; checkpoints: number; records: number };
  /** Key id of the seal. */
  signedBy?: string;
  /** True when the seal's key was checked against keys the caller trusts (not only the pack's own). */
  keyPinned: boolean;
  firstProblem?: PackProblem;
}

class PackError extends Error {
  constructor(readonly problem: PackProblem) {
    super(problem.detail);
  }
}

const fail = (problem: PackProblem): never => {
  throw new PackError(problem);
};

const KINDS = ['header', 'key', 'event', 'history', 'checkpoint', 'record', 'seal'];

/** Splits the pack into lines, each with the byte offset where it starts; checks the format shape. */
function parse(text: string): { format: PackFormat; items: PackItem[]; lines: string[]; offsets: number[] } {
  const format: PackFormat = text.startsWith(`${CSV_COLUMNS[0]},`) ? 'csv' : 'jsonl';
  const eol = format === 'csv' ? CSV_EOL : '\n';
  if (!text.endsWith(eol))
    fail({ part: 'malformed', reason: 'truncated', detail: 'the pack does not end with a line break' });
  const lines = text.slice(0, -eol.length).split(eol);
  const offsets: number[] = [];
  let at = 0;
  for (const l of lines) {
    offsets.push(at);
    at += Buffer.byteLength(l, 'utf8') + eol.length;
  }
  if (format === 'csv') {
    if (`${lines[0]}${CSV_EOL}` !== csvHeaderRow())
      fail({
        part: 'malformed',
        reason: 'bad_header_row',
        line: 1,
        detail: 'the CSV column header is not the expected one',
      });
  }
  const first = format === 'csv' ? 1 : 0;
  const items: PackItem[] = [];
  for (let i = first; i < lines.length; i++) {
    const raw = lines[i]!;
    const lineNo = i + 1;
    let item: PackItem;
    try {
      const json = format === 'csv' ? lastCsvField(raw) : raw;
      item = JSON.parse(json) as PackItem;
    } catch {
      return fail({
        part: 'malformed',
        reason: 'not_json',
        line: lineNo,
        detail: `line ${lineNo} is not valid JSON`,
      });
    }
    if (typeof item !== 'object' || item === null || !KINDS.includes((item as { kind?: string }).kind ?? ''))
      fail({
        part: 'malformed',
        reason: 'unknown_item',
        line: lineNo,
        detail: `line ${lineNo} is not a pack item`,
      });
    const expected = format === 'csv' ? csvRow(item) : jsonlLine(item);
    if (`${raw}${eol}` !== expected)
      fail({
        part: 'malformed',
        reason: 'not_canonical',
        line: lineNo,
        detail: `line ${lineNo} is not exactly the canonical form of its item (it was edited)`,
      });
    items.push(item);
  }
  return { format, items, lines, offsets };
}

/** The last field of a CSV row (the `json` column), per RFC 4180 quoting. */
function lastCsvField(row: string): string {
  const fields: string[] = [];
  let i = 0;
  while (i <= row.length) {
    if (row[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = row.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quote');
        value += row.slice(i, q);
        if (row[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      if (i < row.length && row[i] !== ',') throw new Error('garbage after a quoted field');
      i++;
    } else {
      const c = row.indexOf(',', i);
      const end = c < 0 ? row.length : c;
      fields.push(row.slice(i, end));
      i = end + 1;
    }
  }
  if (fields.length !== CSV_COLUMNS.length) throw new Error('wrong number of columns');
  return fields[fields.length - 1]!;
}

export interface VerifyPackOptions {
  /** Keys the caller trusts (from the service's well-known URL, fetched at another time). */
  trustedKeys?: ReadonlyMap<string, Buffer>;
}

export function verifyPack(input: string | Buffer, options: VerifyPackOptions = {}): PackVerification {
  const counts = { events: 0, histories: 0, checkpoints: 0, records: 0 };
  const result: PackVerification = { ok: false, counts, keyPinned: options.trustedKeys !== undefined };
  try {
    const text = typeof input === 'string' ? input : input.toString('utf8');
    if (typeof input !== 'string' && !Buffer.from(text, 'utf8').equals(input))
      fail({ part: 'malformed', reason: 'not_utf8', detail: 'the pack is not valid UTF-8' });
    const parsed = parse(text);
    result.format = parsed.format;
    check(parsed, options, result);
    result.ok = true;
  } catch (err) {
    // Anything else is a hostile or broken item whose shape the checks did not expect.
    result.firstProblem =
      err instanceof PackError
        ? err.problem
        : {
            part: 'malformed',
            reason: 'invalid_item',
            detail: `the pack is malformed (${String(err).slice(0, 200)})`,
          };
  }
  return result;
}

function check(parsed: ReturnType<typeof parse>, options: VerifyPackOptions, result: PackVerification): void {
  const { items, offsets, format } = parsed;
  const { counts } = result;
  const lineOf = (index: number) => index + 1 + (format === 'csv' ? 1 : 0);
  const header = items[0] as HeaderItem | undefined;
  if (header?.kind !== 'header' || header.format !== PACK_FORMAT || header.version !== PACK_VERSION)
    fail({
      part: 'structure',
      reason: 'no_header',
      detail: `the first item is not an ${PACK_FORMAT} v${PACK_VERSION} header`,
    });
  const seal = items.at(-1) as SealItem | undefined;
  if (items.length < 2 || seal?.kind !== 'seal')
    fail({ part: 'structure', reason: 'no_seal', detail: 'the last item is not the seal' });
  const order = KINDS;
  let rank = 0;
  items.forEach((item, i) => {
    const r = order.indexOf(item.kind);
    if (
      r < rank ||
      r < 0 ||
      ((item.kind === 'header' || item.kind === 'seal') &&
        i !== (item.kind === 'header' ? 0 : items.length - 1))
    )
      fail({
        part: 'structure',
        reason: 'out_of_order',
        line: lineOf(i),
        detail: `item ${lineOf(i)} (${item.kind}) is out of place`,
      });
    rank = r;
  });

  // Keys shipped in the pack; a caller's trusted keys, when given, decide instead.
  const packKeys = new Map<string, Buffer>();
  items.forEach((item, i) => {
    if (item.kind !== 'key') return;
    try {
      const { kid, publicKey } = publicKeyOfJwk(item);
      packKeys.set(kid, publicKey);
    } catch (err) {
      fail({ part: 'key', reason: 'bad_key', line: lineOf(i), detail: (err as Error).message });
    }
  });
  const trusted = options.trustedKeys ?? packKeys;

  // 1. The chain segment.
  const events = items.filter((i): i is EventItem => i.kind === 'event');
  let prev = header!.chain.anchorHash;
  let lastId = 0;
  for (const e of events) {
    const named = { eventId: e.id, requestId: e.requestId, eventKey: e.eventKey };
    if (e.id <= lastId)
      fail({
        part: 'event',
        reason: 'out_of_order',
        ...named,
        detail: `event ${e.id} comes after event ${lastId}`,
      });
    if (e.prevHash !== prev)
      fail({
        part: 'event',
        reason: 'prev_mismatch',
        ...named,
        expectedHash: prev,
        foundHash: e.prevHash,
        detail: `event ${e.id} does not link to the event before it (deleted, inserted or reordered)`,
      });
    const expected = eventHash(e.prevHash, e);
    if (expected !== e.hash)
      fail({
        part: 'event',
        reason: 'hash_mismatch',
        ...named,
        expectedHash: expected,
        foundHash: e.hash,
        detail: `event ${e.id} does not hash to its stored hash (its content changed)`,
      });
    prev = e.hash;
    lastId = e.id;
    counts.events++;
  }
  const c = header!.chain;
  if (
    c.events !== events.length ||
    c.headHash !== prev ||
    c.firstId !== events[0]?.id ||
    c.lastId !== events.at(-1)?.id
  )
    fail({
      part: 'structure',
      reason: 'header_mismatch',
      detail: 'the header does not describe the events in the pack',
    });
  const hashById = new Map(events.map((e) => [e.id, e.hash]));

  // 2. Archived histories, each pinned by the SHA-256 in its history.archived event.
  const archivedSha = new Map(
    events.filter((e) => e.type === 'history.archived').map((e) => [e.requestId, String(e.data.sha256)]),
  );
  for (const h of items.filter((i): i is HistoryItem => i.kind === 'history')) {
    const found = sha256Hex(h.history);
    const chained = archivedSha.get(h.requestId);
    if (chained === undefined)
      fail({
        part: 'history',
        reason: 'not_in_chain',
        requestId: h.requestId,
        foundHash: found,
        detail: `the history of ${h.requestId} has no history.archived event in the pack`,
      });
    if (found !== chained || h.sha256 !== chained)
      fail({
        part: 'history',
        reason: 'content_changed',
        requestId: h.requestId,
        expectedHash: chained,
        foundHash: found,
        detail: `the archived history of ${h.requestId} does not match the SHA-256 in the chain`,
      });
    counts.histories++;
  }

  // 3. Checkpoints: signed by a trusted key, and the chain still has the signed hash there.
  const checkpoints = items.filter((i): i is CheckpointItem => i.kind === 'checkpoint');
  for (const cp of checkpoints) {
    const bad = checkCheckpoint(cp, (id) => hashById.get(id), trusted);
    if (bad)
      fail({
        part: 'checkpoint',
        reason: bad.reason,
        eventId: bad.headId,
        expectedHash: bad.expectedHash,
        foundHash: bad.foundHash,
        detail: `checkpoint ${bad.checkpointId}: ${bad.detail}`,
      });
    counts.checkpoints++;
  }
  if (events.length > 0 && !checkpoints.some((cp) => cp.headId === lastId))
    fail({
      part: 'checkpoint',
      reason: 'unsigned_head',
      eventId: lastId,
      detail: `no checkpoint signs the last event ${lastId}`,
    });

  // 4. Records must be exactly what the events say.
  const rebuilt = buildEvidenceRecords(events).map((r) => canonicalJson({ kind: 'record', ...r }));
  const records = items.filter((i): i is RecordItem => i.kind === 'record');
  records.forEach((r, i) => {
    if (canonicalJson(r) !== rebuilt[i])
      fail({
        part: 'record',
        reason: 'record_mismatch',
        requestId: r.requestId,
        detail: `the evidence record of ${r.requestId} does not match its events`,
      });
    counts.records++;
  });
  if (records.length !== rebuilt.length)
    fail({
      part: 'record',
      reason: 'record_missing',
      detail: `${rebuilt.length} records expected, ${records.length} found`,
    });

  // 5. The seal over every byte before it. Its own line is covered by nothing else: exact shape.
  if (Object.keys(seal!).sort().join() !== 'alg,kid,kind,sha256,signature' || seal!.alg !== 'EdDSA')
    fail({ part: 'seal', reason: 'bad_seal', detail: 'the seal is not an EdDSA seal of the expected shape' });
  const sealOffset = offsets.at(-1)!;
  const body = Buffer.from(parsed.lines.join(format === 'csv' ? CSV_EOL : '\n'), 'utf8').subarray(
    0,
    sealOffset,
  );
  const sha256 = sha256Hex(body);
  result.signedBy = seal!.kid;
  if (sha256 !== seal!.sha256)
    fail({
      part: 'seal',
      reason: 'content_changed',
      expectedHash: seal!.sha256,
      foundHash: sha256,
      detail: 'the pack was changed after it was sealed',
    });
  const key = trusted.get(seal!.kid);
  if (!key)
    fail({
      part: 'seal',
      reason: 'untrusted_key',
      detail: `the seal's key ${seal!.kid} is not ${options.trustedKeys ? 'one of the trusted keys' : 'in the pack'}`,
    });
  if (
    !verifyStatement(key!, { type: 'airlock.evidence.seal', v: 1, sha256, kid: seal!.kid }, seal!.signature)
  )
    fail({
      part: 'seal',
      reason: 'bad_signature',
      detail: `the seal's signature does not verify with key ${seal!.kid}`,
    });
}
