// Gate mode (`callback` executor): nothing runs in Airlock; the requester gets a short-lived
// approval token bound to what was decided: the request, its action, environment, resource and
// parameters hash. The token is recomputed from the master key on demand, never stored; single
// use is enforced by the workflow (tokenId). What the redeeming side checks: docs/security.md.
import { createHmac } from 'node:crypto';
import type { ExecutionResult } from '../workflows/types.js';
import { deriveSecret, timingSafeEqualStr } from './secrets.js';
import type { Executor } from './types.js';

// v2 carries the action, environment and resource; a v1 token (parameters hash only) is refused, and
// its holder reads the request again to get the v2 token of the same decision.
const VERSION = 'v2';
const PURPOSE = 'gate-token';
const MAX_TOKEN_LENGTH = 4096;
const B64URL = /^[A-Za-z0-9_-]+$/;

interface Payload {
  rid: string;
  act: string;
  env: string;
  res: string;
  ph: string;
  jti: string;
  /** Expiry, unix seconds. */
  exp: number;
}

/** What an approval token binds: the decision was about exactly this, and nothing else. */
export interface GateClaims {
  requestId: string;
  action: string;
  environment: string;
  resource: string;
  parametersHash: string;
}

/** What the redeeming side is about to run; each one given must equal the token's claim. */
export type StatedClaims = Partial<Pick<GateClaims, 'environment' | 'resource' | 'parametersHash'>>;

export interface IssueGateTokenInput extends GateClaims {
  masterKey: Buffer;
  tokenId: string;
  expiresAt: Date | string;
}

export type GateTokenFailure =
  | 'malformed'
  | 'bad_signature'
  | 'other_request'
  | 'action_mismatch'
  | 'environment_mismatch'
  | 'resource_mismatch'
  | 'parameters_mismatch'
  | 'expired';

export type GateTokenVerdict =
  | { ok: true; tokenId: string; claims: GateClaims }
  | { ok: false; reason: GateTokenFailure };

export interface VerifyGateTokenInput {
  masterKey: Buffer;
  token: string;
  /** The request the token is presented for, as Airlock recorded it. */
  expect: GateClaims;
  /** What the redeeming side says it will run (optional, but each part given is checked). */
  stated?: StatedClaims;
  now?: Date;
}

function sign(masterKey: Buffer, requestId: string, signingInput: string): string {
  const key = deriveSecret(masterKey, PURPOSE, requestId);
  return createHmac('sha256', key).update(signingInput).digest('base64url');
}

/** `v2.<base64url(JSON{rid, act, env, res, ph, jti, exp})>.<base64url(HMAC-SHA256)>`; deterministic. */
export function issueGateToken(input: IssueGateTokenInput): string {
  const ms = new Date(input.expiresAt).getTime();
  if (!Number.isFinite(ms)) throw new Error('expiresAt is not a valid date');
  const payload: Payload = {
    rid: input.requestId,
    act: input.action,
    env: input.environment,
    res: input.resource,
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
  for (const claim of [p.act, p.env, p.res])
    if (typeof claim !== 'string' || claim.length === 0) return undefined;
  if (typeof p.ph !== 'string' || typeof p.jti !== 'string' || p.jti.length === 0) return undefined;
  if (typeof p.exp !== 'number' || !Number.isSafeInteger(p.exp)) return undefined;
  return {
    rid: p.rid,
    act: p.act as string,
    env: p.env as string,
    res: p.res as string,
    ph: p.ph,
    jti: p.jti,
    exp: p.exp,
  };
}

/**
 * Checks the signature (constant time), then each claim against the request, then against what
 * the redeeming side states it will run, then the expiry, in that order.
 */
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
  const claims: GateClaims = {
    requestId: payload.rid,
    action: payload.act,
    environment: payload.env,
    resource: payload.res,
    parametersHash: payload.ph,
  };
  if (claims.requestId !== input.expect.requestId) return { ok: false, reason: 'other_request' };
  const mismatch = claimMismatch(claims, input.expect) ?? claimMismatch(claims, input.stated ?? {});
  if (mismatch !== undefined) return { ok: false, reason: mismatch };
  const now = (input.now ?? new Date()).getTime();
  if (now >= payload.exp * 1000) return { ok: false, reason: 'expired' };
  return { ok: true, tokenId: payload.jti, claims };
}

const CHECKED: [keyof StatedClaims | 'action', GateTokenFailure][] = [
  ['action', 'action_mismatch'],
  ['environment', 'environment_mismatch'],
  ['resource', 'resource_mismatch'],
  ['parametersHash', 'parameters_mismatch'],
];

/** The first claim that the other side gives and that differs from the token's. */
function claimMismatch(claims: GateClaims, other: Partial<GateClaims>): GateTokenFailure | undefined {
  for (const [name, reason] of CHECKED) {
    const given = other[name];
    if (given !== undefined && !timingSafeEqualStr(claims[name], given)) return reason;
  }
  return undefined;
}

/** Gate mode: the workflow issues the token and waits for redeem/complete; nothing runs here. */
export const callbackExecutor: Executor = {
  name: 'callback',
  mode: 'gate',
  async execute(): Promise<ExecutionResult> {
    return { ok: true, output: { mode: 'gate' } };
  },
};
