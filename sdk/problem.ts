// Errors the SDK throws: an RFC 9457 problem the API answered (branch on `type`, never on
// `title`/`detail`), or no answer at all (Airlock unreachable).
import type { components } from './openapi.js';

export type ProblemBody = components['schemas']['Problem'];

/** The API refused: the problem+json body, typed. */
export class AirlockProblem extends Error {
  override readonly name = 'AirlockProblem';
  readonly status: number;
  /** A stable `urn:airlock:problem:<slug>` (api/problem.ts), or `about:blank` for a body that is not a problem. */
  readonly type: string;
  readonly title: string;
  readonly detail?: string;
  readonly field?: string;
  readonly errors?: { field?: string; detail?: string }[];
  readonly instance?: string;
  /** The whole body as received, extension members included. */
  readonly body: ProblemBody;

  constructor(body: ProblemBody) {
    super(body.detail ? `${body.title}: ${body.detail}` : body.title);
    this.body = body;
    this.status = body.status;
    this.type = body.type;
    this.title = body.title;
    if (body.detail !== undefined) this.detail = body.detail;
    if (body.field !== undefined) this.field = body.field;
    if (body.errors !== undefined) this.errors = body.errors;
    if (body.instance !== undefined) this.instance = body.instance;
  }

  /** Whether the problem is of this type, by its slug (`not-found`) or full URN. */
  is(type: string): boolean {
    return this.type === type || this.type === `urn:airlock:problem:${type}`;
  }
}

/** Nothing answered at the URL (connection refused, DNS, TLS, aborted before a response). */
export class AirlockUnreachable extends Error {
  override readonly name = 'AirlockUnreachable';
  readonly url: string;

  constructor(url: string, cause: unknown) {
    super(`Airlock is unreachable at ${url}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.url = url;
  }
}

function isProblemBody(value: unknown): value is ProblemBody {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.type === 'string' && typeof v.title === 'string' && typeof v.status === 'number';
}

/** The error for a non-2xx answer, whatever its body (a proxy's HTML page is not a problem). */
export function problemFrom(response: Response, body: unknown): AirlockProblem {
  if (isProblemBody(body)) return new AirlockProblem(body);
  const detail = typeof body === 'string' && body ? body.slice(0, 200) : undefined;
  return new AirlockProblem({
    type: 'about:blank',
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    ...(detail ? { detail } : {}),
  });
}
