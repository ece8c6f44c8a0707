// The Express app: JSON limits, authentication, the /v1 routes, docs, health, and RFC 9457
// problems for every error. Chat endpoints and the demo target plug in as extra routers.
import { randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { consoleRouter } from '../console/router.js';
import { McpSessions, mcpRouter } from '../mcp/http.js';
import { workflowIdFor } from '../temporal/action-client.js';
import { actionsRouter } from './actions.js';
import { auditRouter } from './audit-routes.js';
import { callbackSecretRouter } from './callback-secret-routes.js';
import { codecRouter } from './codec-routes.js';
import { delegationRouter } from './delegation-routes.js';
import type { ApiDeps } from './deps.js';
import { docsRouter } from './docs.js';
import { healthRouter } from './health.js';
import { policyRouter } from './policy-routes.js';
import { notFoundHandler, PROBLEM, ProblemError, problemMiddleware } from './problem.js';
import { RateLimiter, rateLimitMiddleware } from './rate-limit.js';
import { standingRouter } from './standing-routes.js';

export const MAX_BODY_BYTES = 256 * 1024;

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(requestLog(deps));
  app.use(healthRouter(deps));
  app.use(docsRouter(deps.publicUrl));
  // The codec server authenticates on its own (bearer, CORS for the Temporal UI); outside /v1.
  if (deps.evidence) app.use(codecRouter(deps, deps.evidence));
  for (const router of deps.extraRouters ?? []) app.use(router);
  // The console signs people in with its own session cookie, outside /v1's bearer authentication.
  if (deps.console) app.use(consoleRouter(deps, deps.console));
  // One limiter for /v1 and /mcp: an agent cannot double its budget by switching protocol.
  const limiter = new RateLimiter(deps.rateLimits ?? {});
  // The MCP gateway authenticates like /v1 but reads its own JSON-RPC bodies (mcp/http.ts).
  app.use(mcpRouter(deps, deps.mcp ?? { sessions: new McpSessions() }, limiter));

  // Authenticate before reading a body: anonymous callers get a 401, not a JSON parser.
  // Rate-limited per principal before a body is read: a flood costs a bucket look-up, not a parse.
  app.use(
    '/v1',
    deps.authenticate,
    rateLimitMiddleware(limiter),
    requireJsonBody,
    express.json({ limit: MAX_BODY_BYTES, strict: true }),
  );
  app.use(actionsRouter(deps));
  app.use(standingRouter(deps));
  app.use(delegationRouter(deps));
  if (deps.evidence) app.use(auditRouter(deps, deps.evidence));
  app.use(policyRouter(deps));
  app.use(callbackSecretRouter(deps));
  app.use(notFoundHandler());
  app.use(
    problemMiddleware({ log: (err, req) => deps.logger.error({ err, path: req.path }, 'unhandled error') }),
  );
  return app;
}

/** A body that is not JSON is refused up front (415), rather than silently read as empty. */
function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (hasBody && !req.is(['application/json', 'application/*+json'])) {
    next(
      new ProblemError({
        status: 415,
        type: PROBLEM.unsupportedMediaType,
        title: 'Unsupported media type',
        detail: 'send the body as application/json',
      }),
    );
    return;
  }
  next();
}

function requestLog(deps: ApiDeps) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const httpId = req.get('x-request-id')?.slice(0, 128) ?? randomUUID();
    res.setHeader('x-request-id', httpId);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const fromPath = /^\/v1\/actions\/([0-9a-f-]{36})/.exec(req.path)?.[1];
      const actionId = fromPath ?? (res.locals.requestId as string | undefined);
      // Debug, not info: one line per call would scroll the start-up banner (and its keys) away.
      deps.logger.debug(
        {
          httpId,
          requestId: actionId,
          workflowId: actionId ? workflowIdFor(actionId) : undefined,
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Math.round(ms),
          principal: req.principal?.id,
        },
        'http',
      );
    });
    next();
  };
}
