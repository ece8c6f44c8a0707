// The evidence pack format: one item per line, JSONL or CSV, in a fixed order (header,
// keys, events, histories, checkpoints, records, seal). Every line is the canonical JSON of its
// item (a CSV row carries it in its `json` column), and the seal signs the SHA-256 of every byte
// before it, so changing any single byte of a pack is detected offline.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../lib/canonical-json.js';
import type { SigningKey } from '../lib/keys.js';
import type { StoredCheckpoint } from './checkpoints.js';
import type { EvidenceRecord } from './evidence.js';
import { type PublicJwk, signStatement } from './signing.js';
import type { StoredAuditEvent } from './types.js';

export const PACK_FORMAT = 'airlock-evidence-pack';
export const PACK_VERSION = 1;
export type PackFormat = 'jsonl' | 'csv';

export interface HeaderItem {
  kind: 'header';
  format: typeof PACK_FORMAT;
  version: typeof PACK_VERSION;
  generatedAt: string;
  generatedBy: string;
  service: string;
  range: { from: string; to: string };
  chain: { firstId?: number; lastId?: number; anchorHash: string; headHash: string; events: number };
  /** True when histories carry a `decoded` copy (payloads decrypted for an auditor). */
  decrypted: boolean;
}
export type KeyItem = { kind: 'key'; current: boolean } & PublicJwk;
export type EventItem = { kind: 'event' } & StoredAuditEvent;
export interface HistoryItem {
  kind: 'history';
  requestId: string;
  workflowId: string;
  runId: string;
  sha256: string;
  archivedAt: string;
  /** Exactly the archived text (its SHA-256 is `sha256`); payloads are ciphertext. */
  history: string;
  /** Only in a decrypted pack: the same history with its payloads decrypted (not hashed by the chain). */
  decoded?: unknown;
}
export type CheckpointItem = { kind: 'checkpoint' } & StoredCheckpoint;
export type RecordItem = { kind: 'record' } & EvidenceRecord;
export interface SealItem {
  kind: 'seal';
  alg: 'EdDSA';
  kid: string;
  /** SHA-256 (hex) of all bytes of the pack before the seal's line. */
  sha256: string;
  signature: string;
}
export type PackItem =
  | HeaderItem
  | KeyItem
  | EventItem
  | HistoryItem
  | CheckpointItem
  | RecordItem
  | SealItem;

export const CSV_COLUMNS = ['kind', 'id', 'request_id', 'type', 'actor', 'at', 'hash', 'json'] as const;
export const CSV_EOL = '\r\n';

/** The readable CSV columns of an item (the `json` column is the truth; these are for people). */
function csvColumns(item: PackItem): string[] {
  switch (item.kind) {
    case 'event':
      return [String(item.id), item.requestId, item.type, item.actor, item.at, item.hash];
    case 'history':
      return ['', item.requestId, 'history', '', item.archivedAt, item.sha256];
    case 'checkpoint':
      return [String(item.id), '', item.reason, item.kid, item.signedAt, item.headHash];
    case 'record':
      return [
        '',
        item.requestId,
        item.outcome?.status ?? '',
        item.requester ?? '',
        item.outcome?.at ?? '',
        '',
      ];
    case 'key':
      return ['', '', 'Ed25519', item.kid, '', ''];
    case 'header':
      return ['', '', item.format, item.generatedBy, item.generatedAt, item.chain.headHash];
    case 'seal':
      return ['', '', item.alg, item.kid, '', item.sha256];
  }
}

/** Quotes a cell per RFC 4180; a readable cell that a spreadsheet would run as a formula gets a `'`. */
function csvCell(value: string, readable: boolean): string {
  const safe = readable && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function csvRow(item: PackItem): string {
  const cells = [item.kind, ...csvColumns(item)].map((c) => csvCell(c, true));
  return `${[...cells, csvCell(canonicalJson(item), false)].join(',')}${CSV_EOL}`;
}

export function jsonlLine(item: PackItem): string {
  return `${canonicalJson(item)}\n`;
}

export const csvHeaderRow = (): string => `${CSV_COLUMNS.join(',')}${CSV_EOL}`;

/**
 * Writes a pack line by line with bounded memory: every line is hashed as it is produced, and the
 * seal signs the SHA-256 of all of them. Call start(), then item() per item in pack order, then
 * seal() once; concatenated, the returned texts are exactly the pack.
 */
export class PackWriter {
  private readonly hash = createHash('sha256');
  private readonly line: (item: PackItem) => string;

  constructor(
    readonly format: PackFormat,
    private readonly key: SigningKey,
  ) {
    this.line = format === 'csv' ? csvRow : jsonlLine;
  }

  /** What comes before the first item: the CSV column row (nothing in JSONL). */
  start(): string {
    return this.add(this.format === 'csv' ? csvHeaderRow() : '');
  }

  /** One item's line (any kind but the seal). */
  item(item: PackItem): string {
    return this.add(this.line(item));
  }

  /** The signed seal over every byte returned so far; the last line of the pack. */
  seal(): string {
    const sha256 = this.hash.digest('hex');
    const signature = signStatement(this.key, {
      type: 'airlock.evidence.seal',
      v: 1,
      sha256,
      kid: this.key.kid,
    });
    const seal: SealItem = { kind: 'seal', alg: 'EdDSA', kid: this.key.kid, sha256, signature };
    return this.line(seal);
  }

  private add(text: string): string {
    this.hash.update(text, 'utf8');
    return text;
  }
}

/** Serializes the items (everything but the seal) and appends the signed seal. */
export function writePack(items: PackItem[], format: PackFormat, key: SigningKey): string {
  const w = new PackWriter(format, key);
  return w.start() + items.map((item) => w.item(item)).join('') + w.seal();
}
