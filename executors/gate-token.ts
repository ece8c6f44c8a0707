// Gate mode (`callback` executor): nothing runs in Airlock; the requester gets a short-lived
// approval token bound to the request and its parameters hash. The token is recomputed from
// the master key on demand, never stored; single use is enforced by the workflow (tokenId).
import { createHmac } from 'node:crypto';
import type { ExecutionResult } from '../workflows/types.js';
import { deriveSecret, timingSafeEqualStr } from './secrets.js';
import type { Executor } from './types.js';

const VERSION = 'v1';
const PURPOSE = 'gate-token';
const MAX_TOKEN_LENGTH = 4096;
const B64URL = /^[A-Za-z0-9_-]+$/;

interface Payload {
  rid: string;
  ph: string;
  jti: string;
  /** Expiry, unix seconds. */
  exp: number;
}

export interface IssueGateTokenInput {
  masterKey: Buffer;
  requestId: string;
  parametersHash: string;
  tokenId: string;
  expiresAt: Date | string;
}

export type GateTokenFailure =
  | 'malformed'
  | 'bad_signature'
  | 'other_request'
  | 'parameters_mismatch'
  | 'expired';

export type GateTokenVerdict = { ok: true; tokenId: string } | { ok: false; reason: GateTokenFailure };

export interface VerifyGateTokenInput {
  masterKey: Buffer;
  token: string;
  requestId: string;
  parametersHash: string;
  now?: Date;
}

function sign(masterKey: Buffer, requestId: string, signingInput: string): string {
  const key = deriveSecret(masterKey, PURPOSE, requestId);
  return createHmac('sha256', key).update(signingInput).digest('base64url');
}

/** `v1.<base64url(JSON{rid, ph, jti, exp})>.<base64url(HMAC-SHA256)>`; deterministic. */
export function issueGateToken(input: IssueGateTokenInput): string {
  const ms = new Date(input.expiresAt).getTime();
  if (!Number.isFinite(ms)) throw new Error('expiresAt is not a valid date');
  const payload: Payload = {
    rid: input.requestId,
    ph: input.parametersHash,
    jti: input.tokenId,
    exp: Math.floor(ms / 1000),
  };
  const signingInput = `${VERSION}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${signingInput}.${sign(input.masterKey, input.requestId, signingInput)}`;
}

function parsePayload(encoded: string): Payload | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const p = value as Record<string, unknown>;
  if (typeof p.rid !== 'string' || p.rid.length === 0) return undefined;
  if (typeof p.ph !== 'string' || typeof p.jti !== 'string' || p.jti.length === 0) return undefined;
  if (typeof p.exp !== 'number' || !Number.isSafeInteger(p.exp)) return undefined;
  return { rid: p.rid, ph: p.ph, jti: p.jti, exp: p.exp };
}

/** Checks signature (constant time), request, parameters hash and expiry, in that order. */
export function verifyGateToken(input: VerifyGateTokenInput): GateTokenVerdict {
  const { token } = input;
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  const [version, body, signature] = parts;
  if (parts.length !== 3 || version !== VERSION || body === undefined || signature === undefined)
    return { ok: false, reason: 'malformed' };
  if (!B64URL.test(body) || !B64URL.test(signature)) return { ok: false, reason: 'malformed' };
  const payload = parsePayload(body);
  if (payload === undefined) return { ok: false, reason: 'malformed' };
  // The key is derived from the request id the token claims, so a genuine token of another
  // request is told apart from a forged one.
  const expected = sign(input.masterKey, payload.rid, `${version}.${body}`);
  if (!timingSafeEqualStr(signature, expected)) return { ok: false, reason: 'bad_signature' };
  if (payload.rid !== input.requestId) return { ok: false, reason: 'other_request' };
  if (!timingSafeEqualStr(payload.ph, input.parametersHash))
    return { ok: false, reason: 'parameters_mismatch' };
  const now = (input.now ?? new Date()).getTime();
  if (now >= payload.exp * 1000) return { ok: false, reason: 'expired' };
  return { ok: true, tokenId: payload.jti };
}

/** Gate mode: the workflow issues the token and waits for redeem/complete; nothing runs here. */
export const callbackExecutor: Executor = {
  name: 'callback',
  async execute(): Promise<ExecutionResult> {
    return { ok: true, output: { mode: 'gate' } };
  },
};
