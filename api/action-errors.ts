// How the API answers the typed refusals of ActionClient and the workflow (RFC 9457 problems),
// shared by every route that reads or changes a request.
import { ActionError } from '../temporal/action-client.js';
import { REFUSAL_HTTP_STATUS } from '../workflows/messages.js';
import { PROBLEM, ProblemError } from './problem.js';

/** A 400 that names the body field at fault. */
export const invalid = (field: string, detail: string) =>
  new ProblemError({
    status: 400,
    type: PROBLEM.invalidBody,
    title: 'Invalid request',
    detail: `${field}: ${detail}`,
    field,
  });

export const notFound = () =>
  new ProblemError({ status: 404, type: PROBLEM.notFound, title: 'Not found', detail: 'no such request' });

/** Runs a call to Temporal and turns typed refusals into problems. */
export async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof ActionError)) throw err;
    throw problemFor(err);
  }
}

export function problemFor(err: ActionError): ProblemError {
  if (err.code === 'not_found') return notFound();
  if (err.code === 'unavailable') {
    return new ProblemError({
      status: 503,
      type: PROBLEM.unavailable,
      title: 'Unavailable',
      detail: 'Temporal did not answer; retry later',
    });
  }
  if (err.code === 'idempotency_conflict') {
    return new ProblemError({
      status: 409,
      type: PROBLEM.idempotencyConflict,
      title: 'Idempotency key reused',
      detail: err.message,
    });
  }
  const status = REFUSAL_HTTP_STATUS[err.code] ?? 409;
  const slug = err.code === 'request_closed' ? 'request-ended' : err.code.replaceAll('_', '-');
  return new ProblemError({
    status,
    type: `urn:airlock:problem:${slug}`,
    title: status === 403 ? 'Refused' : 'Conflict',
    detail: err.message,
    extra: { code: err.code },
  });
}
