// The MCP gateway on the API's HTTP server (SPEC 10): POST/GET/DELETE /mcp over the SDK's
// Streamable HTTP transport, authenticated exactly like REST (API keys and OIDC JWTs), and the
// OAuth protected-resource metadata (RFC 9728) when OIDC is configured. A session belongs to the
// principal that opened it; sessions are in memory and need not survive a restart, because the
// durable part of a call, its task, is the request itself.
import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { type NextFunction, type Request, type Response, Router } from 'express';
import type { Principal } from '../api/auth.js';
import type { ApiDeps } from '../api/deps.js';
import { PROBLEM, ProblemError } from '../api/problem.js';
import { type RateLimiter, rateLimitMiddleware } from '../api/rate-limit.js';
import { createSessionServer, type UpstreamCatalog } from './server.js';

export const MCP_PATH = '/mcp';
const MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_SESSIONS_PER_PRINCIPAL = 16;
const IDLE_SESSION_MS = 60 * 60_000;

interface Session {
  transport: StreamableHTTPServerTransport;
  principal: Principal;
  lastSeen: number;
}

/** The open sessions of this API process; closed on shutdown so open streams do not hold it. */
export class McpSessions {
  readonly #sessions = new Map<string, Session>();
  readonly #sweep: NodeJS.Timeout;

  constructor() {
    this.#sweep = setInterval(() => this.closeIdle(Date.now() - IDLE_SESSION_MS), 60_000);
    this.#sweep.unref();
  }

  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  add(id: string, session: Session): void {
    const mine = [...this.#sessions.entries()].filter(([, s]) => s.principal.id === session.principal.id);
    // One principal cannot hold the process's memory: its oldest sessions give way.
    mine.sort(([, a], [, b]) => a.lastSeen - b.lastSeen);
    for (const [oldId] of mine.slice(0, Math.max(0, mine.length - MAX_SESSIONS_PER_PRINCIPAL + 1))) {
      void this.close(oldId);
    }
    this.#sessions.set(id, session);
  }

  async close(id: string): Promise<void> {
    const session = this.#sessions.get(id);
    this.#sessions.delete(id);
    await session?.transport.close().catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    clearInterval(this.#sweep);
    await Promise.all([...this.#sessions.keys()].map((id) => this.close(id)));
  }

  private closeIdle(before: number): void {
    for (const [id, s] of this.#sessions) if (s.lastSeen < before) void this.close(id);
  }
}

export interface McpGatewayDeps {
  sessions: McpSessions;
  upstreams?: UpstreamCatalog;
}

export function mcpRouter(deps: ApiDeps, gateway: McpGatewayDeps, limiter?: RateLimiter): Router {
  const router = Router();
  const resource = `${deps.publicUrl}${MCP_PATH}`;
  const metadataUrl = `${deps.publicUrl}/.well-known/oauth-protected-resource${MCP_PATH}`;

  if (deps.oidc) {
    const metadata = {
      resource,
      authorization_servers: [deps.oidc.issuer],
      bearer_methods_supported: ['header'],
      resource_name: 'Airlock MCP gateway',
      resource_documentation: `${deps.publicUrl}/docs`,
    };
    router.get(
      ['/.well-known/oauth-protected-resource', `/.well-known/oauth-protected-resource${MCP_PATH}`],
      (_req, res) => {
        res.setHeader('Access-Control-Allow-Origin', '*');
        res.json(metadata);
      },
    );
  }

  const authenticate = async (req: Request, _res: Response, next: NextFunction) => {
    try {
      req.principal = await deps.authenticate.authenticate(req.headers);
    } catch (err) {
      // MCP clients discover the authorization server from the challenge (RFC 9728 section 5.1).
      if (deps.oidc && err instanceof ProblemError && err.status === 401) {
        const challenge = `${err.headers?.['WWW-Authenticate'] ?? 'Bearer realm="airlock"'}, resource_metadata="${metadataUrl}"`;
        next(new ProblemError({ ...err, headers: { ...err.headers, 'WWW-Authenticate': challenge } }));
        return;
      }
      next(err);
      return;
    }
    const { roles } = req.principal;
    if (!roles.includes('requester') && !roles.includes('admin')) {
      next(
        new ProblemError({
          status: 403,
          type: PROBLEM.forbidden,
          title: 'Forbidden',
          detail: 'the MCP gateway submits requests: it needs the role requester',
        }),
      );
      return;
    }
    next();
  };

  // POSTs carry the calls (each one may submit a request): they spend the principal's writes
  // budget, before the transport reads the body. GET streams and DELETE are not charged.
  const writesBudget = limiter ? rateLimitMiddleware(limiter, 'writes') : undefined;
  const limitPosts = (req: Request, res: Response, next: NextFunction) =>
    writesBudget && req.method === 'POST' ? writesBudget(req, res, next) : next();

  router.all(MCP_PATH, authenticate, limitPosts, async (req, res) => {
    const principal = req.principal!;
    const sessionId = req.get('mcp-session-id');
    if (sessionId !== undefined) {
      const session = gateway.sessions.get(sessionId);
      // Someone else's session id is as unknown as a made-up one.
      if (!session || session.principal.id !== principal.id) {
        res
          .status(404)
          .json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
        return;
      }
      session.principal = principal;
      session.lastSeen = Date.now();
      await session.transport.handleRequest(req, res);
      return;
    }
    if (req.method !== 'POST') {
      res.status(400).json({
        jsonrpc: '2.0',
        error: { code: -32000, message: 'Bad Request: send an initialize request first (no Mcp-Session-Id)' },
        id: null,
      });
      return;
    }
    const session: Session = { transport: undefined as never, principal, lastSeen: Date.now() };
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      maxRequestBodySize: MAX_MESSAGE_BYTES,
      onsessioninitialized: (id) => gateway.sessions.add(id, session),
      onsessionclosed: (id) => void gateway.sessions.close(id),
    });
    session.transport = transport;
    const server = createSessionServer({
      deps,
      upstreams: gateway.upstreams,
      principal: () => session.principal,
      sessionId: () => transport.sessionId,
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
    // Not an initialize request: the transport refused it, and nothing keeps it.
    if (transport.sessionId === undefined) await transport.close();
  });

  return router;
}
