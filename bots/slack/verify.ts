// Slack request signatures, checked before Bolt sees the request: v0 HMAC-SHA256 of
// "v0:<timestamp>:<raw body>", a timestamp within five minutes either way (replays and clock
// games), a constant-time compare, and a 401 for anything else. Bolt verifies again on the same
// raw body (req.rawBody), so turning either check off alone never opens the door.
import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { WebhookRefusal } from '../plugin.js';

export const REPLAY_WINDOW_SECONDS = 5 * 60;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export const STALE_TIMESTAMP = 'timestamp outside the five-minute window';

/** The metric label of a refusal: a stale (or future) timestamp, or any other signature failure. */
export const refusalKind = (reason: string): WebhookRefusal =>
  reason === STALE_TIMESTAMP ? 'stale_timestamp' : 'signature';

export function checkSlackSignature(input: {
  signingSecret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: Buffer;
  nowSeconds: number;
}): SignatureCheck {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) return { ok: false, reason: 'missing signature headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed timestamp' };
  if (Math.abs(input.nowSeconds - Number(timestamp)) > REPLAY_WINDOW_SECONDS) {
    return { ok: false, reason: STALE_TIMESTAMP };
  }
  if (!/^v0=[0-9a-f]{64}$/.test(signature)) return { ok: false, reason: 'malformed signature' };
  const expected = createHmac('sha256', input.signingSecret)
    .update(`v0:${timestamp}:`)
    .update(input.rawBody)
    .digest();
  const given = Buffer.from(signature.slice(3), 'hex');
  if (!timingSafeEqual(expected, given)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}

/** Middleware chain for POST /slack/events: cheap header checks, the raw body, then the HMAC. */
export function slackSignatureGuard(opts: {
  signingSecret: string;
  logger: Logger;
  bodyLimit: string;
  now?: () => number;
  /** Counts each refusal (airlock_webhook_refused_total); the warn line is written either way. */
  onRefused?: (kind: WebhookRefusal) => void;
}): RequestHandler[] {
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const refuse = (req: Request, res: Response, reason: string) => {
    opts.logger.warn({ path: req.path, reason }, 'slack request refused: signature did not verify');
    opts.onRefused?.(refusalKind(reason));
    res
      .status(401)
      .type('application/problem+json')
      .send(
        JSON.stringify({
          type: 'urn:airlock:problem:unauthenticated',
          title: 'Unauthenticated',
          status: 401,
          detail: 'the Slack request signature did not verify',
        }),
      );
  };
  const headers = (req: Request, res: Response, next: NextFunction) => {
    // Refuse stale or unsigned requests before reading any body.
    const check = checkSlackSignature({
      signingSecret: opts.signingSecret,
      timestamp: req.get('x-slack-request-timestamp'),
      signature: req.get('x-slack-signature'),
      rawBody: Buffer.alloc(0),
      nowSeconds: now(),
    });
    if (!check.ok && check.reason !== 'signature mismatch') return refuse(req, res, check.reason);
    next();
  };
  const body = (req: Request, res: Response, next: NextFunction) => {
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = checkSlackSignature({
      signingSecret: opts.signingSecret,
      timestamp: req.get('x-slack-request-timestamp'),
      signature: req.get('x-slack-signature'),
      rawBody,
      nowSeconds: now(),
    });
    if (!check.ok) return refuse(req, res, check.reason);
    // Bolt reads req.rawBody when present instead of the (already consumed) stream.
    (req as Request & { rawBody?: Buffer }).rawBody = rawBody;
    next();
  };
  return [headers, express.raw({ type: () => true, limit: opts.bodyLimit }), body];
}
