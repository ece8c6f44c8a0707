// A refused decode, answered so that the `temporal` CLI shows it at once. The CLI (the Go SDK's
// remote codec) treats any status but 200 as a failure it retries until its 10 s deadline, and
// then prints only "context deadline exceeded". So a decode refused (401/403) to a caller
// without an Origin header or a cookie (a tool: browsers send an Origin on these cross-origin
// posts, and a codec session is a cookie, refused without its Origin as cross-site) is
// answered 200 with one placeholder per payload that says why, and `Airlock-Codec-Refused`
// names the status. Nothing is decoded. Browsers, the Temporal UI among them, get the problem.
import type { RequestHandler } from 'express';
import { ProblemError } from './problem.js';

export const CODEC_REFUSED_HEADER = 'Airlock-Codec-Refused';

/** Runs `guard`; a 401/403 it throws for a tool is kept in res.locals.codecRefused instead. */
export function keepToolRefusal(guard: RequestHandler): RequestHandler {
  return async (req, res, next) => {
    let passed = false;
    try {
      await guard(req, res, () => {
        passed = true;
      });
    } catch (err) {
      const refusal = err instanceof ProblemError && (err.status === 401 || err.status === 403);
      const tool = req.get('origin') === undefined && req.get('cookie') === undefined;
      if (!refusal || !tool) throw err;
      res.locals.codecRefused = err;
      passed = true;
    }
    if (passed) next();
  };
}

/** One json/plain payload per refused payload: the status and the reason, for the person at the CLI. */
export function refusalPlaceholders(
  refusal: ProblemError,
  count: number,
): { metadata: Record<string, string>; data: string }[] {
  const text = JSON.stringify(
    `[not decoded by Airlock: ${refusal.status} ${refusal.title}: ${refusal.detail}]`,
  );
  const payload = {
    metadata: { encoding: Buffer.from('json/plain').toString('base64') },
    data: Buffer.from(text).toString('base64'),
  };
  return Array.from({ length: count }, () => payload);
}
