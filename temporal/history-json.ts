// Workflow histories as the protobuf JSON that `temporal workflow show --output json` prints and
// `Worker.runReplayHistory` reads back, plus payload conversion for the codec server and for
// decrypting an archived history for an auditor.
//
// With this lock file each @temporalio package nests its own protobufjs copy, so the SDK's
// historyToJSON / historyFromJSON can throw "type must be a Type" (an `instanceof` across
// copies); the fallback does the same conversion with the copy @temporalio/proto was built with.
import { createRequire } from 'node:module';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { type History, historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { temporal } from '@temporalio/proto';

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): unknown;
}

let fallback:
  | { protojson: ProtoJson; historyType: unknown; root: typeof import('@temporalio/proto') }
  | undefined;

function protoFallback() {
  if (fallback) return fallback;
  const require = createRequire(import.meta.url);
  const protoMain = require.resolve('@temporalio/proto');
  const protojson = createRequire(protoMain)('protobufjs/ext/protojson') as ProtoJson;
  const { patchProtobufRoot } = require('@temporalio/proto/lib/patch-protobuf-root') as {
    patchProtobufRoot(root: unknown): { lookupType(name: string): unknown };
  };
  const root = require(protoMain) as typeof import('@temporalio/proto');
  fallback = {
    protojson,
    historyType: patchProtobufRoot(root).lookupType('temporal.api.history.v1.History'),
    root,
  };
  return fallback;
}

const isTypeMismatch = (err: unknown) => err instanceof TypeError && /must be a Type/.test(err.message);

/** The history as pretty-printed protobuf JSON (the archived text whose SHA-256 joins the chain). */
export function historyToJson(history: temporal.api.history.v1.IHistory): string {
  try {
    return historyToJSON(history);
  } catch (err) {
    if (!isTypeMismatch(err)) throw err;
    const { protojson, historyType, root } = protoFallback();
    const message = root.temporal.api.history.v1.History.fromObject(history);
    return JSON.stringify(protojson.toJson(historyType, message), null, 2);
  }
}

/** Parses protobuf JSON (ours or the CLI's) into a History for `Worker.runReplayHistory`. */
export function historyFromJson(json: unknown): History {
  try {
    return historyFromJSON(json);
  } catch (err) {
    if (!isTypeMismatch(err)) throw err;
    const { protojson, historyType } = protoFallback();
    return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
  }
}

/** A Payload in protobuf JSON: metadata values and data are base64. */
export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

export function payloadFromJson(p: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = Buffer.from(v, 'base64');
  return { metadata, data: Buffer.from(p.data ?? '', 'base64') };
}

export function payloadToJson(p: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = Buffer.from(v).toString('base64');
  return {
    metadata,
    ...(p.data && p.data.length > 0 ? { data: Buffer.from(p.data).toString('base64') } : {}),
  };
}

function looksLikePayload(v: Record<string, unknown>): v is JsonPayload & Record<string, unknown> {
  const m = v.metadata;
  return typeof m === 'object' && m !== null && typeof (m as Record<string, unknown>).encoding === 'string';
}

/**
 * A copy of a history (protobuf JSON object) with every payload run through `codec.decode`;
 * payloads that are not encrypted come back unchanged, so the result is still a valid history.
 */
export async function decodeHistoryJson(history: unknown, codec: PayloadCodec): Promise<unknown> {
  const walk = async (v: unknown): Promise<unknown> => {
    if (Array.isArray(v)) return Promise.all(v.map(walk));
    if (typeof v !== 'object' || v === null) return v;
    const obj = v as Record<string, unknown>;
    if (looksLikePayload(obj)) {
      const [decoded] = await codec.decode([payloadFromJson(obj)]);
      const { metadata: _sealedMetadata, data: _sealedData, ...rest } = obj;
      return { ...rest, ...payloadToJson(decoded!) };
    }
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(obj)) out[k] = await walk(child);
    return out;
  };
  return walk(history);
}
