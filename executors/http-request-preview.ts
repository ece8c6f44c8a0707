// The http.request preview (SPEC 13): where the target declares `preview: { method: GET, path }`,
// Airlock reads the current state with the target's server-held headers (the path's `{name}`
// filled from the parameters, as in `resources`) and shows it beside the proposed body as a
// unified diff. Its hash binds the approval: at execution the state is read again and, unless the
// rule allows drift, a changed state sends nothing (drift_detected).
import { createTwoFilesPatch } from 'diff';
import type { HttpTarget, Target } from '../config/types.js';
import { sha256Hex } from '../lib/sha256.js';
import type { ExecutionResult } from '../workflows/types.js';
import { buildUrl, describeFetchError, paramsSchema, pathProblem, readBounded } from './http-request.js';
import { fillParameters } from './placement.js';
import { maxEncodedLength, redact, secretVariants } from './redact.js';
import {
  type ExecutionContext,
  ExecutorError,
  failure,
  type PreviewContext,
  type PreviewOutcome,
} from './types.js';

/** Characters of diff a preview keeps. */
export const DIFF_LIMIT = 8000;

interface CurrentState {
  path: string;
  status: number;
  /** The body as read (bounded), secrets redacted; what the diff and the hash are made of. */
  text: string;
  truncated: boolean;
  hash: string;
}

/** GETs the preview path of `target` for these parameters. */
async function readCurrentState(
  target: HttpTarget,
  parameters: Record<string, unknown>,
  signal: AbortSignal | undefined,
): Promise<CurrentState | { missing: string }> {
  const declared = target.preview!;
  const path = fillParameters(declared.path, parameters);
  if (path === undefined)
    return { missing: `the target's preview path ${declared.path} names a parameter this request lacks` };
  const problem = pathProblem(path);
  if (problem !== undefined) return { missing: `the preview path ${problem}` };
  const url = buildUrl(target.baseUrl, { path });
  const headers = new Headers(target.headers);
  headers.set('user-agent', 'airlock-preview');
  const secrets = secretVariants(Object.values(target.headers));
  const timeout = AbortSignal.timeout(target.timeoutMs);
  try {
    const res = await fetch(url, {
      method: 'GET',
      headers,
      redirect: 'manual',
      signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
    });
    const read = await readBounded(res, target.maxResponseBytes + maxEncodedLength(secrets));
    const text = redact(new TextDecoder('utf-8').decode(read.bytes), secrets);
    return { path, status: res.status, text, truncated: read.truncated, hash: sha256Hex(text) };
  } catch (err) {
    throw describeFetchError(err, timeout.aborted);
  }
}

/** JSON pretty-printed (keys as they are), other text as it is: what a diff compares. */
function comparable(value: unknown): string {
  if (typeof value === 'string') {
    try {
      return `${JSON.stringify(JSON.parse(value), null, 2)}\n`;
    } catch {
      return value.endsWith('\n') ? value : `${value}\n`;
    }
  }
  return value === undefined ? '' : `${JSON.stringify(value, null, 2)}\n`;
}

export async function previewHttp(ctx: PreviewContext): Promise<PreviewOutcome> {
  const target = ctx.target;
  if (target?.type !== 'http' || target.preview === undefined)
    return { status: 'unavailable', reason: 'the target declares no preview', summary: [] };
  const parsed = paramsSchema.safeParse(ctx.parameters);
  if (!parsed.success)
    return { status: 'unavailable', reason: 'the parameters are not an http.request', summary: [] };
  const p = parsed.data;
  const current = await readCurrentState(target, ctx.parameters, ctx.signal);
  if ('missing' in current) return { status: 'unavailable', reason: current.missing, summary: [] };
  if (current.status >= 500)
    throw new ExecutorError('http_5xx', `the preview GET answered ${current.status}`, true);
  const found = current.status >= 200 && current.status < 300;
  if (!found && current.status !== 404)
    return { status: 'failed', reason: `GET ${current.path} answered ${current.status}`, summary: [] };
  const withheld = target.returnBody === false;
  const before = found ? comparable(current.text) : '';
  const after = p.method === 'DELETE' ? '' : comparable(p.body);
  const patch = createTwoFilesPatch(
    `current ${current.path}`,
    `proposed ${p.method} ${p.path}`,
    before,
    after,
    '',
    '',
    {
      context: 3,
    },
  );
  const hunks = patch.split('\n').slice(2);
  const added = hunks.filter((l) => l.startsWith('+') && !l.startsWith('+++')).length;
  const removed = hunks.filter((l) => l.startsWith('-') && !l.startsWith('---')).length;
  const diff = withheld ? '' : Array.from(patch).slice(0, DIFF_LIMIT).join('');
  const state = found
    ? `current state ${current.text.length.toLocaleString('en-US')} characters`
    : 'not found (the call would create it)';
  const change =
    added + removed === 0
      ? 'the proposed body equals the current state'
      : `the proposed ${p.method} changes ${removed} line(s) and adds ${added}`;
  return {
    status: 'ok',
    summary: [
      `GET ${current.path}: ${current.status}, ${state}`,
      withheld ? 'the target withholds its bodies: no diff is shown, the state is held to its hash' : change,
    ],
    http: {
      method: 'GET',
      path: current.path,
      status: current.status,
      currentHash: current.hash,
      diff,
      truncated: current.truncated || patch.length > diff.length,
    },
  };
}

/**
 * The state changed since the approved preview and the rule does not allow it: a failed result
 * (nothing is sent). Undefined when the call may go ahead.
 */
export async function httpDrift(
  ctx: ExecutionContext,
  target: HttpTarget,
): Promise<ExecutionResult | undefined> {
  const previewed = ctx.approved?.preview.http;
  if (!previewed || ctx.approved?.drift.http === 'allow' || target.preview === undefined) return undefined;
  const current = await readCurrentState(target, ctx.parameters, ctx.signal);
  if ('missing' in current) return undefined;
  if (current.status >= 500)
    throw new ExecutorError('http_5xx', `the drift check's GET answered ${current.status}`, true);
  if (current.hash === previewed.currentHash && current.status === previewed.status) return undefined;
  return failure(
    'drift_detected',
    `drift detected: GET ${current.path} changed since the approved preview (${previewed.status}, sha256 ${previewed.currentHash.slice(0, 12)}… then; ${current.status}, sha256 ${current.hash.slice(0, 12)}… now); nothing was sent`,
    {
      drift: {
        path: current.path,
        previewedHash: previewed.currentHash,
        currentHash: current.hash,
        previewedStatus: previewed.status,
        currentStatus: current.status,
      },
      previewHash: ctx.approved?.preview.hash,
    },
  );
}

/** A function declaration, not a const: http-request.ts reads it while this module may still be loading. */
export function canPreviewHttp(target?: Target): boolean {
  return target?.type === 'http' && target.preview !== undefined;
}
