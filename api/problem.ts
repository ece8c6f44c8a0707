// RFC 9457 problem+json for every error the API returns: stable `type` URNs clients can branch on,
// field-level errors for bad bodies, and 500s that never echo an error's message or stack.
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { formatPath, zodIssueLines } from '../config/errors.js';

const urn = <S extends string>(slug: S) => `urn:airlock:problem:${slug}` as const;

/** Stable problem types; clients branch on these, never on `title` or `detail`. */
export const PROBLEM = {
  invalidBody: urn('invalid-body'),
  unknownField: urn('unknown-field'),
  bodyTooLarge: urn('body-too-large'),
  unsupportedMediaType: urn('unsupported-media-type'),
  malformedJson: urn('malformed-json'),
  unauthenticated: urn('unauthenticated'),
  invalidToken: urn('invalid-token'),
  forbidden: urn('forbidden'),
  notFound: urn('not-found'),
  conflict: urn('conflict'),
  idempotencyConflict: urn('idempotency-conflict'),
  selfApproval: urn('self-approval'),
  notAnApprover: urn('not-an-approver'),
  alreadyDecided: urn('already-decided'),
  requestEnded: urn('request-ended'),
  unknownAction: urn('unknown-action'),
  /** The request's environment or resource is not that of the target it would run on. */
  targetMismatch: urn('target-mismatch'),
  rateLimited: urn('rate-limited'),
  unavailable: urn('unavailable'),
  internal: urn('internal'),
} as const;
export type ProblemType = (typeof PROBLEM)[keyof typeof PROBLEM];

export interface FieldError {
  field: string;
  detail: string;
}

export interface ProblemInit {
  status: number;
  /** One of PROBLEM, or another `urn:airlock:problem:<slug>`. */
  type: string;
  /** Defaults to the HTTP status text. */
  title?: string;
  detail: string;
  field?: string;
  errors?: FieldError[];
  /** Extension members added to the body (they cannot replace the standard ones). */
  extra?: Record<string, unknown>;
  /** Response headers such as `WWW-Authenticate` or `Retry-After`. */
  headers?: Record<string, string>;
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Body too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Unavailable',
};

export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly field?: string;
  readonly errors?: FieldError[];
  readonly extra?: Record<string, unknown>;
  readonly headers?: Record<string, string>;

  constructor(init: ProblemInit) {
    super(init.detail);
    this.status = init.status;
    this.type = init.type;
    this.title = init.title ?? STATUS_TITLES[init.status] ?? 'Error';
    this.detail = init.detail;
    if (init.field !== undefined) this.field = init.field;
    if (init.errors !== undefined) this.errors = init.errors;
    if (init.extra !== undefined) this.extra = init.extra;
    if (init.headers !== undefined) this.headers = init.headers;
  }
}

/** The body written for a problem; `instance` is the request path without its query. */
export function problemBody(problem: ProblemError, instance: string): Record<string, unknown> {
  return {
    ...problem.extra,
    type: problem.type,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    instance,
    ...(problem.field !== undefined ? { field: problem.field } : {}),
    ...(problem.errors !== undefined ? { errors: problem.errors } : {}),
  };
}

export function sendProblem(req: Request, res: Response, problem: ProblemError): void {
  for (const [name, value] of Object.entries(problem.headers ?? {})) res.setHeader(name, value);
  res
    .status(problem.status)
    .type('application/problem+json')
    .send(JSON.stringify(problemBody(problem, req.originalUrl.split('?')[0] ?? '/')));
}

/** Zod issues as a 400: unknown keys become `unknown-field` naming the key, the rest `invalid-body`. */
export function zodProblem(error: z.core.$ZodError): ProblemError {
  const errors = zodIssueLines(error).map(({ path, detail }) => ({
    field: formatPath(path) || '(body)',
    detail,
  }));
  const unknown = error.issues.find((i) => i.code === 'unrecognized_keys');
  const first = unknown ? errors.find((e) => e.detail === 'unknown field') : errors[0];
  return new ProblemError({
    status: 400,
    type: unknown ? PROBLEM.unknownField : PROBLEM.invalidBody,
    title: unknown ? 'Unknown field' : 'Invalid request',
    detail: first ? `${first.field}: ${first.detail}` : 'the request is not valid',
    ...(first ? { field: first.field } : {}),
    errors,
  });
}

/** body-parser / http-errors failures carry a `type` and a 4xx `status`. */
function httpError(err: unknown): { type?: string; status: number } | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const status =
    (err as { status?: unknown; statusCode?: unknown }).status ??
    (err as { statusCode?: unknown }).statusCode;
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  const type = (err as { type?: unknown }).type;
  return typeof type === 'string' ? { type, status } : { status };
}

const BY_STATUS: Record<number, string> = {
  400: PROBLEM.invalidBody,
  401: PROBLEM.unauthenticated,
  403: PROBLEM.forbidden,
  404: PROBLEM.notFound,
  409: PROBLEM.conflict,
  413: PROBLEM.bodyTooLarge,
  415: PROBLEM.unsupportedMediaType,
  429: PROBLEM.rateLimited,
};

/** Maps any thrown value to a problem; undefined means "unexpected" (a 500). */
export function toProblem(err: unknown): ProblemError | undefined {
  if (err instanceof ProblemError) return err;
  if (err instanceof z.core.$ZodError) return zodProblem(err);
  const http = httpError(err);
  if (!http) return undefined;
  switch (http.type) {
    case 'entity.too.large':
      return new ProblemError({
        status: 413,
        type: PROBLEM.bodyTooLarge,
        detail: 'the request body is too large',
      });
    case 'entity.parse.failed':
      return new ProblemError({
        status: 400,
        type: PROBLEM.malformedJson,
        title: 'Malformed JSON',
        detail: 'the request body is not valid JSON',
      });
    case 'charset.unsupported':
      return new ProblemError({
        status: 415,
        type: PROBLEM.unsupportedMediaType,
        detail: 'send the body as UTF-8 JSON',
      });
    case 'encoding.unsupported':
      return new ProblemError({
        status: 415,
        type: PROBLEM.unsupportedMediaType,
        detail: 'unsupported Content-Encoding',
      });
    case 'request.aborted':
    case 'request.size.invalid':
      return new ProblemError({
        status: 400,
        type: PROBLEM.invalidBody,
        detail: 'the request body was incomplete',
      });
    default:
      // Other 4xx from middleware: keep the status, but not a message we did not write.
      return new ProblemError({
        status: http.status,
        type: BY_STATUS[http.status] ?? PROBLEM.invalidBody,
        detail: (STATUS_TITLES[http.status] ?? 'Bad request').toLowerCase(),
      });
  }
}

export interface ProblemMiddlewareOptions {
  /** Receives unexpected errors (the 500s); defaults to console.error. */
  log?: (err: unknown, req: Request) => void;
}

/** The last error handler: every error leaves as application/problem+json. */
export function problemMiddleware(options: ProblemMiddlewareOptions = {}): ErrorRequestHandler {
  const log = options.log ?? ((err: unknown) => console.error('unhandled error', err));
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    let problem = toProblem(err);
    if (!problem) {
      log(err, req);
      problem = new ProblemError({
        status: 500,
        type: PROBLEM.internal,
        title: 'Internal error',
        detail: 'an unexpected error occurred; it has been logged',
      });
    }
    sendProblem(req, res, problem);
  };
}

/** 404 for routes nobody serves; mount after all routers, before problemMiddleware. */
export function notFoundHandler(): RequestHandler {
  return (req, _res, next) => {
    next(
      new ProblemError({
        status: 404,
        type: PROBLEM.notFound,
        title: 'Not found',
        detail: `no route for ${req.method} ${req.path}`,
      }),
    );
  };
}
