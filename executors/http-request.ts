// `http.request`: one approved HTTP call to a configured target (base URL + secret headers).
// The path cannot escape the base URL, the target's secrets never reach the result (not even
// echoed in an encoded form; a target may also withhold its bodies: `returnBody: false`), and
// `Idempotency-Key` lets the target deduplicate a retried activity.
import { z } from 'zod';
import type { HttpTarget, Target } from '../config/types.js';
import type { ExecutionResult } from '../workflows/types.js';
import { canPreviewHttp, httpDrift, previewHttp } from './http-request-preview.js';
import { maxEncodedLength, redact, secretVariants } from './redact.js';
import { type ExecutionContext, type Executor, ExecutorError, failure } from './types.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
/** Set by Airlock or by the transport; a caller may not supply them. */
const RESERVED = new Set([
  'authorization',
  'host',
  'content-length',
  'idempotency-key',
  'airlock-request-id',
]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must start with "/"';
  if (path.includes('..')) return 'may not contain ".."';
  if (path.includes('//')) return 'may not contain "//"';
  if (path.includes('@')) return 'may not contain "@"';
  if (path.includes('\\')) return 'may not contain "\\"';
  if (/[a-z][a-z0-9+.-]*:\/|:\/\//i.test(path)) return 'may not contain a URL scheme';
  if (/%(2e|2f|5c|40)/i.test(path)) return 'may not contain encoded ".", "/", "\\" or "@"';
  if (/[?#]/.test(path)) return 'may not contain "?" or "#" (use `query`)';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\s\u0000-\u001f\u007f]/.test(path)) return 'may not contain whitespace or control characters';
  return undefined;
}

const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const paramsSchema = z
  .strictObject({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
    path: z
      .string()
      .max(2048)
      .superRefine((p, ctx) => {
        const problem = pathProblem(p);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `path ${problem}` });
      }),
    query: z.record(z.string().min(1), z.union([scalar, z.array(scalar)])).optional(),
    headers: z
      .record(
        z.string().regex(TOKEN, 'header name is not a valid token'),
        // biome-ignore lint/suspicious/noControlCharactersInRegex: header values may not carry CR/LF/NUL
        z.string().regex(/^[^\r\n\u0000]*$/, 'header value may not contain CR, LF or NUL'),
      )
      .optional(),
    body: z.unknown().optional(),
  })
  .superRefine((p, ctx) => {
    if (p.method === 'GET' && p.body !== undefined)
      ctx.addIssue({ code: 'custom', path: ['body'], message: 'a GET request cannot have a body' });
    for (const name of Object.keys(p.headers ?? {})) {
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower))
        ctx.addIssue({
          code: 'custom',
          path: ['headers', name],
          message: `hop-by-hop header ${name} refused`,
        });
      else if (RESERVED.has(lower))
        ctx.addIssue({ code: 'custom', path: ['headers', name], message: `header ${name} may not be set` });
    }
  });

export type HttpRequestParameters = z.infer<typeof paramsSchema>;

function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message));
}

function targetHeaderClashes(p: HttpRequestParameters, target: HttpTarget): string[] {
  const own = new Set(Object.keys(target.headers).map((h) => h.toLowerCase()));
  return Object.keys(p.headers ?? {})
    .filter((h) => own.has(h.toLowerCase()))
    .map((h) => `headers.${h}: set by the target configuration, may not be overridden`);
}

/** `baseUrl + path` (+ query), refusing any result outside the base URL. */
export function buildUrl(baseUrl: string, p: Pick<HttpRequestParameters, 'path' | 'query'>): URL {
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const url = new URL(`${base.origin}${basePath}${p.path}`);
  url.search = base.search;
  for (const [k, v] of Object.entries(p.query ?? {}))
    for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(item));
  if (url.origin !== base.origin || !url.pathname.startsWith(basePath))
    throw new ExecutorError('invalid_parameters', 'path escapes the target base URL', false);
  return url;
}

function encodeBody(p: HttpRequestParameters, headers: Headers): string | undefined {
  if (p.body === undefined) return undefined;
  if (typeof p.body === 'string') {
    if (!headers.has('content-type')) headers.set('content-type', 'text/plain; charset=utf-8');
    return p.body;
  }
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  return JSON.stringify(p.body);
}

/** Counted, not kept, past this size when the target withholds its bodies. */
const MAX_COUNTED_BYTES = 64 * 1024 * 1024;

/**
 * Reads at most `limit` bytes of the body, then cancels the rest of the stream. With `keep`
 * false nothing is kept, only counted.
 */
export async function readBounded(
  res: Response,
  limit: number,
  keep = true,
): Promise<{ bytes: Uint8Array; size: number; truncated: boolean }> {
  if (res.body === null) return { bytes: new Uint8Array(0), size: 0, truncated: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (keep) chunks.push(value);
    size += value.byteLength;
    if (size > limit) {
      truncated = true;
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return { bytes: Buffer.concat(chunks), size, truncated };
}

/** UTF-8 text of at most `max` bytes, without a broken trailing character. */
export function utf8Prefix(bytes: Uint8Array, max: number): string {
  return new TextDecoder('utf-8').decode(bytes.subarray(0, max), { stream: true });
}

export function describeFetchError(err: unknown, timedOut: boolean): ExecutorError {
  if (timedOut) return new ExecutorError('timeout', 'the target did not answer in time', true);
  if (err instanceof Error && err.name === 'AbortError')
    return new ExecutorError('aborted', 'the call was cancelled', true);
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
  const code =
    cause !== undefined && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
  return new ExecutorError(
    'transport_error',
    `the target could not be reached${code ? ` (${code})` : ''}`,
    true,
  );
}

async function execute(ctx: ExecutionContext): Promise<ExecutionResult> {
  const target = ctx.target;
  if (target?.type !== 'http') return failure('target_mismatch', 'http.request needs a target of type http');
  const parsed = paramsSchema.safeParse(ctx.parameters);
  if (!parsed.success) return failure('invalid_parameters', problemsOf(parsed.error).join('; '));
  const p = parsed.data;
  const clashes = targetHeaderClashes(p, target);
  if (clashes.length > 0) return failure('invalid_parameters', clashes.join('; '));

  const secrets = secretVariants(Object.values(target.headers));
  let url: URL;
  try {
    url = buildUrl(target.baseUrl, p);
  } catch (err) {
    if (err instanceof ExecutorError) return failure(err.type, err.message);
    return failure('target_misconfigured', 'the target base URL is not a valid URL');
  }
  const headers = new Headers(p.headers ?? {});
  for (const [k, v] of Object.entries(target.headers)) headers.set(k, v);
  headers.set('idempotency-key', ctx.idempotencyKey);
  headers.set('airlock-request-id', ctx.requestId);
  if (!headers.has('user-agent')) headers.set('user-agent', 'airlock');
  const body = encodeBody(p, headers);
  const drift = await httpDrift(ctx, target);
  if (drift) return drift;

  const timeout = AbortSignal.timeout(target.timeoutMs);
  const signal = ctx.signal ? AbortSignal.any([timeout, ctx.signal]) : timeout;
  let status: number;
  let contentType: string | null;
  let read: { bytes: Uint8Array; size: number; truncated: boolean };
  const returnBody = target.returnBody !== false;
  // Read a little past the limit so that a secret echoed across the cut is still redacted whole.
  const slack = maxEncodedLength(secrets);
  try {
    const res = await fetch(url, { method: p.method, headers, body, redirect: 'manual', signal });
    status = res.status;
    contentType = res.headers.get('content-type');
    read = returnBody
      ? await readBounded(res, target.maxResponseBytes + slack)
      : await readBounded(res, MAX_COUNTED_BYTES, false);
  } catch (err) {
    throw describeFetchError(err, timeout.aborted);
  }
  if (!returnBody)
    return resultOf(status, { status, bodyBytes: read.size, truncated: read.truncated, bodyWithheld: true });
  const full = redact(new TextDecoder('utf-8').decode(read.bytes, { stream: true }), secrets);
  const fullBytes = Buffer.from(full, 'utf8');
  const truncated = read.truncated || fullBytes.byteLength > target.maxResponseBytes;
  const text = utf8Prefix(fullBytes, target.maxResponseBytes);
  const output = { status, body: text, truncated, contentType: contentType && redact(contentType, secrets) };
  return resultOf(status, output);
}

function resultOf(status: number, output: Record<string, unknown>): ExecutionResult {
  if (status >= 500) throw new ExecutorError('http_5xx', `the target answered ${status}`, true);
  if (status >= 200 && status < 300) return { ok: true, output };
  return failure('http_status', `the target answered ${status}`, output);
}

export const httpRequestExecutor: Executor = {
  name: 'http.request',
  targetType: 'http',
  validate(parameters: Record<string, unknown>, target?: Target): string[] {
    const parsed = paramsSchema.safeParse(parameters);
    if (!parsed.success) return problemsOf(parsed.error);
    return target?.type === 'http' ? targetHeaderClashes(parsed.data, target) : [];
  },
  execute,
  preview: previewHttp,
  canPreview: canPreviewHttp,
};
