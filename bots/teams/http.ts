// POST /api/messages: the Bot Framework endpoint. A request without a Bearer token from the
// configured channel issuer is refused before its body is read; the full check (signature, expiry,
// audience, serviceurl) is botframework's, and every way it fails is a 401, never botbuilder's
// default 500 that echoes the error. Nothing reaches the bot logic (or a workflow) before that.
import { AuthenticationError } from 'botframework-connector';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { AirlockTeamsAdapter, TurnLogic } from './adapter.js';

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
}

export function messagesRouter(deps: MessagesRouteDeps): Router {
  const router = express.Router();
  router.post(
    '/api/messages',
    precheckToken(deps.expectedIssuer, deps.logger),
    express.json({ limit: MAX_ACTIVITY_BYTES, type: ['application/json', 'application/*+json'] }),
    async (req: Request, res: Response) => {
      const activity = req.body as Record<string, unknown> | undefined;
      if (!activity || typeof activity !== 'object' || typeof activity.type !== 'string') {
        res.status(400).json({ error: 'the body must be a Bot Framework activity' });
        return;
      }
      // botframework skips the serviceurl claim check when the activity has no serviceUrl: we do not.
      if (typeof activity.serviceUrl !== 'string' || !activity.serviceUrl) {
        deps.logger.warn({ reason: 'activity without serviceUrl' }, REFUSED);
        res.status(401).json({ error: 'unauthorized' });
        return;
      }
      try {
        const answer = await deps.adapter.handle(req.get('authorization') ?? '', activity, deps.logic);
        res.status(answer?.status ?? 200);
        if (answer?.body !== undefined) res.json(answer.body);
        else res.end();
      } catch (err) {
        const status = statusOf(err);
        if (status === 401) {
          deps.logger.warn({ reason: errorName(err) }, REFUSED);
          res.status(401).json({ error: 'unauthorized' });
        } else {
          deps.logger.error({ err: errorName(err), type: activity.type }, 'teams: activity failed');
          res
            .status(status)
            .json({ error: status === 503 ? 'authentication keys unavailable' : 'internal error' });
        }
      }
    },
  );
  // A broken JSON body: a 400 without the parser's message.
  router.use('/api/messages', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: number }).status;
    res.status(status === 413 ? 413 : 400).json({ error: status === 413 ? 'too large' : 'bad request' });
  });
  return router;
}

/** A cheap look at the token before the body is parsed: scheme, shape and issuer. */
function precheckToken(expectedIssuer: string, logger: Logger) {
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
      const reason = !header
        ? 'no Authorization header'
        : !match
          ? 'not a Bearer JWT'
          : `issuer ${typeof issuer === 'string' ? JSON.stringify(issuer.slice(0, 200)) : 'missing'} is not the channel's`;
      logger.warn({ reason }, REFUSED);
      res.status(401).json({ error: 'unauthorized' });
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
