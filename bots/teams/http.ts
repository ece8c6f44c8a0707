// POST /api/messages: the Bot Framework endpoint. A request without a Bearer token from the
// configured channel issuer is refused before its body is read; the full check (signature, expiry,
// audience, serviceurl) is botframework's, and every way it fails is a 401, never botbuilder's
// default 500 that echoes the error. Nothing reaches the bot logic (or a workflow) before that.
// Once authenticated, the envelope botbuilder reads is checked (envelope.ts): malformed is a 400.
// Every refusal is a warn line and a count in airlock_webhook_refused_total{channel="teams"}.
import { AuthenticationError } from 'botframework-connector';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { WebhookRefusal } from '../plugin.js';
import type { AirlockTeamsAdapter, Authenticated, TurnLogic } from './adapter.js';
import { envelopeProblems } from './envelope.js';

/** Teams activities are small; cards sent back in invokes are bounded by Teams anyway. */
const MAX_ACTIVITY_BYTES = 256 * 1024;
/** jsonwebtoken's error names: a token that does not verify is the caller's fault, not ours. */
const JWT_ERRORS = new Set(['JsonWebTokenError', 'TokenExpiredError', 'NotBeforeError']);
/** The one log line (warn) every refused activity leaves: the record of a forged or stale token. */
export const REFUSED = 'teams: refused an unauthenticated activity';

export interface MessagesRouteDeps {
  adapter: AirlockTeamsAdapter;
  expectedIssuer: string;
  logic: TurnLogic;
  logger: Logger;
  /** Counts each refused activity (airlock_webhook_refused_total); the warn line is written either way. */
  onRefused?: (reason: WebhookRefusal) => void;
}

export function messagesRouter(deps: MessagesRouteDeps): Router {
  const router = express.Router();
  const refuse = (res: Response, kind: WebhookRefusal, reason: string) => {
    deps.logger.warn({ reason }, REFUSED);
    deps.onRefused?.(kind);
    res.status(401).json({ error: 'unauthorized' });
  };
  router.post(
    '/api/messages',
    precheckToken(deps.expectedIssuer, refuse),
    express.json({ limit: MAX_ACTIVITY_BYTES, type: ['application/json', 'application/*+json'] }),
    async (req: Request, res: Response) => {
      const activity = req.body as Record<string, unknown> | undefined;
      // What authentication itself reads is checked before it: the type, and the channelId it
      // matches the signing key's endorsements against (botframework throws a TypeError without one).
      if (
        !activity ||
        typeof activity !== 'object' ||
        typeof activity.type !== 'string' ||
        typeof activity.channelId !== 'string'
      ) {
        res.status(400).json({ error: 'the body must be a Bot Framework activity' });
        return;
      }
      // botframework skips the serviceurl claim check when the activity has no serviceUrl: we do not.
      if (typeof activity.serviceUrl !== 'string' || !activity.serviceUrl) {
        refuse(res, 'no_service_url', 'activity without serviceUrl');
        return;
      }
      let auth: Authenticated;
      try {
        auth = await deps.adapter.authenticate(req.get('authorization') ?? '', activity);
      } catch (err) {
        return void failed(res, err, activity);
      }
      // Authenticated: only the channel sent this. Check what botbuilder reads before it runs.
      const problems = envelopeProblems(activity);
      if (problems) {
        deps.logger.warn(
          { fields: problems, type: activity.type.slice(0, 100) },
          'teams: refused an activity with a malformed envelope',
        );
        res.status(400).json({ error: 'malformed activity', fields: problems });
        return;
      }
      try {
        const answer = await deps.adapter.run(auth, activity, deps.logic);
        res.status(answer?.status ?? 200);
        if (answer?.body !== undefined) res.json(answer.body);
        else res.end();
      } catch (err) {
        failed(res, err, activity);
      }
    },
  );
  function failed(res: Response, err: unknown, activity: Record<string, unknown>): void {
    const status = statusOf(err);
    if (status === 401) {
      refuse(res, 'token', errorName(err));
      return;
    }
    deps.logger.error({ err: errorName(err), type: activity.type }, 'teams: activity failed');
    res.status(status).json({ error: status === 503 ? 'authentication keys unavailable' : 'internal error' });
  }
  // A broken JSON body: a 400 without the parser's message.
  router.use('/api/messages', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: number }).status;
    res.status(status === 413 ? 413 : 400).json({ error: status === 413 ? 'too large' : 'bad request' });
  });
  return router;
}

/** A cheap look at the token before the body is parsed: scheme, shape and issuer. */
function precheckToken(
  expectedIssuer: string,
  refuse: (res: Response, kind: WebhookRefusal, reason: string) => void,
) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/.exec(header);
    let issuer: unknown;
    try {
      issuer = match
        ? (JSON.parse(Buffer.from(match[2]!, 'base64url').toString('utf8')) as { iss?: unknown }).iss
        : undefined;
    } catch {
      issuer = undefined;
    }
    // Emulator and skill tokens (other issuers) have no business here: Teams is the only channel.
    if (issuer !== expectedIssuer) {
      // Recorded like every other refused activity (the issuer is only named when it is a string).
      if (!header) refuse(res, 'token', 'no Authorization header');
      else if (!match) refuse(res, 'token', 'not a Bearer JWT');
      else {
        const named = typeof issuer === 'string' ? JSON.stringify(issuer.slice(0, 200)) : 'missing';
        refuse(res, 'issuer', `issuer ${named} is not the channel's`);
      }
      return;
    }
    next();
  };
}

function statusOf(err: unknown): number {
  if (err instanceof AuthenticationError) {
    // 401 when the token is bad; botframework says 500 when the signing keys could not be fetched.
    return err.statusCode === 401 ? 401 : 503;
  }
  return JWT_ERRORS.has((err as { name?: string })?.name ?? '') ? 401 : 500;
}

function errorName(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 300) : 'unknown error';
}
