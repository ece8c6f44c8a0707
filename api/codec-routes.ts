// The Temporal codec server (SPEC 6/7): POST /codec/decode and /codec/encode as the Temporal Web
// UI and `temporal --codec-endpoint` call them (Payloads as protobuf JSON, X-Namespace header),
// with CORS for the UI's origin only. Decoding reveals every payload of the namespace, so it takes
// the service's normal bearer authentication and the auditor or admin role; approvers see the
// requests they decide through the API, never through a namespace-wide decryption oracle.
// Encoding (the UI starting or signalling workflows with input) is for admins only.
// The local dev UI has no login and cannot send a token: /codec/login trades a key for a short
// session cookie (api/codec-session.ts), accepted only from the UI's origin or this service's own.
// Also the public half of the audit keys at a well-known URL, for anyone.
import express, { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import { toJwk } from '../audit/signing.js';
import { formatDuration } from '../config/duration.js';
import type { Role } from '../config/types.js';
import { sha256Hex } from '../lib/sha256.js';
import { PayloadDecryptionError, UnknownEncryptionKeyError } from '../temporal/codec.js';
import { payloadFromJson, payloadToJson } from '../temporal/history-json.js';
import type { Principal } from './auth.js';
import {
  type CodecSession,
  clearedSessionCookie,
  codecSessionKey,
  currentRoles,
  DEFAULT_CODEC_SESSION_TTL_MS,
  keyBinding,
  loggedOutPage,
  loginPage,
  openCodecSession,
  PAGE_HEADERS,
  type PageContext,
  sessionCookie,
  sessionExpiry,
  sessionPage,
  sessionTokenFrom,
  signCodecSession,
} from './codec-session.js';
import { CODEC_REFUSED_HEADER, keepToolRefusal, refusalPlaceholders } from './codec-tool-refusal.js';
import type { ApiDeps, ApiEvidenceDeps } from './deps.js';
import { PROBLEM, ProblemError, toProblem } from './problem.js';

export const AUDIT_KEYS_PATH = '/.well-known/airlock-audit-keys.json';
export const CODEC_ROLES: Record<'decode' | 'encode', Role[]> = {
  decode: ['auditor', 'admin'],
  encode: ['admin'],
};
const MAX_CODEC_BODY = '8mb';
const MAX_REFUSED_BODY = '1mb';

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
export const payloadsSchema = z.object({
  payloads: z
    .array(z.looseObject({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() }))
    .max(10_000),
});

/** CORS for the Temporal UI: exact origins only, credentials allowed, preflight answered without auth. */
function codecCors(allowed: ReadonlySet<string>): RequestHandler {
  return (req, res, next) => {
    const origin = req.get('origin');
    res.vary('Origin');
    const ok = origin !== undefined && allowed.has(origin);
    if (ok) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method !== 'OPTIONS') {
      next();
      return;
    }
    if (!ok) {
      // No CORS headers: the browser refuses the real request.
      res.status(403).end();
      return;
    }
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace');
    res.setHeader('Access-Control-Max-Age', '600');
    if (req.get('access-control-request-private-network') === 'true')
      res.setHeader('Access-Control-Allow-Private-Network', 'true');
    res.status(204).end();
  };
}

/** An origin and, for a loopback host, its twin (localhost and 127.0.0.1 are different origins). */
function withLoopbackTwin(url: string): string[] {
  const u = new URL(url);
  const twin =
    u.hostname === 'localhost' ? '127.0.0.1' : u.hostname === '127.0.0.1' ? 'localhost' : undefined;
  return twin ? [u.origin, `${u.protocol}//${twin}${u.port ? `:${u.port}` : ''}`] : [u.origin];
}

export function codecRouter(deps: ApiDeps, evidence: ApiEvidenceDeps): Router {
  const router = Router();
  const allowed = new Set(evidence.codecOrigins);
  router.use('/codec', codecCors(allowed));

  // Codec sessions (api/codec-session.ts): a cookie is only as good as the page that made the
  // request, so it counts only from the Temporal UI's origin or this service's own (CSRF).
  const sessionKey = codecSessionKey(deps.masterKey);
  const ttlMs = evidence.codecSessionTtlMs ?? DEFAULT_CODEC_SESSION_TTL_MS;
  const secure = deps.publicUrl.startsWith('https:');
  const ownOrigins = new Set(withLoopbackTwin(deps.publicUrl));
  const sessionOrigins = new Set([...allowed, ...ownOrigins]);
  const pageContext: PageContext = {
    ...(deps.temporalUiUrl ? { uiUrl: deps.temporalUiUrl } : {}),
    codecEndpoint: `${deps.publicUrl}/codec`,
    ttl: formatDuration(ttlMs),
  };
  const apiKeys = () => deps.config?.apiKeys ?? [];

  const sessionPrincipal = (req: Request, res: Response, token: string): Principal => {
    const origin = req.get('origin');
    if (origin === undefined || !sessionOrigins.has(origin)) {
      deps.logger.warn({ origin: origin ?? null }, 'codec session cookie refused from another origin');
      throw new ProblemError({
        status: 403,
        type: PROBLEM.forbidden,
        title: 'Forbidden',
        detail: `a codec session cookie counts only from the Temporal UI or this service (${[...sessionOrigins].join(', ')}); ${origin === undefined ? 'the request has no Origin header' : `not from ${origin}`}`,
      });
    }
    const opened = openCodecSession(sessionKey, token);
    const session: CodecSession | undefined = opened.ok ? opened.session : undefined;
    const roles = session ? currentRoles(sessionKey, session, apiKeys()) : undefined;
    if (!session || !roles) {
      res.append('Set-Cookie', clearedSessionCookie(secure));
      const why = !opened.ok
        ? opened.reason === 'expired'
          ? 'the codec session has expired'
          : 'the codec session cookie is not valid'
        : 'the API key of this codec session is no longer configured';
      throw new ProblemError({
        status: 401,
        type: PROBLEM.unauthenticated,
        title: 'Unauthenticated',
        detail: `${why}; start a new one at ${deps.publicUrl}/codec/login`,
      });
    }
    return { id: session.principal, roles, via: session.keyBinding ? 'api-key' : 'oidc' };
  };

  /** A bearer token (or X-API-Key) when the request has one, else the session cookie. */
  const authenticate = (req: Request, res: Response): Promise<Principal> | Principal => {
    const token =
      req.get('authorization') === undefined && req.get('x-api-key') === undefined
        ? sessionTokenFrom(req.get('cookie'))
        : undefined;
    return token === undefined
      ? deps.authenticate.authenticate(req.headers)
      : sessionPrincipal(req, res, token);
  };

  // Authenticate and check the content type before reading up to 8 MB of body.
  const guard =
    (op: 'decode' | 'encode'): RequestHandler =>
    async (req, res, next) => {
      const principal = await authenticate(req, res);
      const roles = CODEC_ROLES[op];
      if (!principal.roles.some((r) => roles.includes(r))) {
        deps.logger.warn({ principal: principal.id, op }, 'codec request refused');
        throw new ProblemError({
          status: 403,
          type: PROBLEM.forbidden,
          title: 'Forbidden',
          detail: `${op} requires the role ${roles.join(' or ')}`,
        });
      }
      req.principal = principal;
      const namespace = req.get('x-namespace');
      // The temporal CLI sends an empty X-Namespace; only a named other namespace is refused.
      if (namespace && namespace !== deps.namespace) {
        throw new ProblemError({
          status: 400,
          type: PROBLEM.invalidBody,
          title: 'Wrong namespace',
          detail: `this codec server serves the namespace ${deps.namespace}`,
        });
      }
      if (!req.is('application/json')) {
        throw new ProblemError({
          status: 415,
          type: PROBLEM.unsupportedMediaType,
          detail: 'send the payloads as application/json',
        });
      }
      next();
    };

  const isForm = (req: Request) =>
    /^application\/x-www-form-urlencoded\b/i.test(req.get('content-type') ?? '');
  const html = (res: Response, status: number, body: string) =>
    res.status(status).set(PAGE_HEADERS).send(body);
  /** Form posts (which browsers always give an Origin) must come from this service or the UI. */
  const checkFormOrigin = (req: Request) => {
    const origin = req.get('origin');
    if (origin !== undefined && !sessionOrigins.has(origin)) {
      throw new ProblemError({
        status: 403,
        type: PROBLEM.forbidden,
        title: 'Forbidden',
        detail: `codec sessions are managed from ${deps.publicUrl}/codec/login, not from ${origin}`,
      });
    }
  };

  router.get('/codec/login', (_req, res) => {
    html(res, 200, loginPage(pageContext));
  });

  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 10 });
  router.post('/codec/session', form, async (req, res) => {
    const fromForm = isForm(req);
    try {
      checkFormOrigin(req);
      let credential: string | undefined;
      if (fromForm) {
        const key = (req.body as Record<string, unknown> | undefined)?.key;
        credential = typeof key === 'string' ? key.trim() : '';
        if (credential === '')
          throw new ProblemError({ status: 400, type: PROBLEM.invalidBody, detail: 'paste an API key' });
        if (/\s/.test(credential))
          throw new ProblemError({
            status: 401,
            type: PROBLEM.unauthenticated,
            detail: 'invalid or expired token',
          });
      } else {
        if (Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined)
          throw new ProblemError({
            status: 415,
            type: PROBLEM.unsupportedMediaType,
            detail:
              'post the form (application/x-www-form-urlencoded) or send Authorization: Bearer with no body',
          });
        credential = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.get('authorization') ?? '')?.[1];
        if (credential === undefined)
          throw new ProblemError({
            status: 401,
            type: PROBLEM.unauthenticated,
            detail: 'missing credentials',
            headers: { 'WWW-Authenticate': 'Bearer realm="airlock"' },
          });
      }
      const principal = await deps.authenticate.authenticate({ authorization: `Bearer ${credential}` });
      const roles = principal.roles.filter((r) => CODEC_ROLES.decode.includes(r));
      if (roles.length === 0) {
        deps.logger.warn({ principal: principal.id }, 'codec session refused: no decode role');
        throw new ProblemError({
          status: 403,
          type: PROBLEM.forbidden,
          title: 'Forbidden',
          detail: `${principal.id} may not read payloads: a codec session requires the role ${CODEC_ROLES.decode.join(' or ')}`,
        });
      }
      const now = Date.now();
      const expiresAt = sessionExpiry(now, ttlMs, principal.expiresAt);
      if (expiresAt === undefined) {
        throw new ProblemError({
          status: 401,
          type: PROBLEM.unauthenticated,
          detail: 'invalid or expired token',
        });
      }
      const session: CodecSession = {
        principal: principal.id,
        roles,
        expiresAt,
        ...(principal.via === 'api-key' ? { keyBinding: keyBinding(sessionKey, sha256Hex(credential)) } : {}),
      };
      res.append(
        'Set-Cookie',
        sessionCookie(signCodecSession(sessionKey, session), {
          secure,
          maxAgeSeconds: Math.floor((expiresAt - now) / 1000),
        }),
      );
      deps.logger.info(
        {
          principal: principal.id,
          via: principal.via,
          roles,
          expiresAt: new Date(session.expiresAt).toISOString(),
        },
        'codec session created',
      );
      if (!fromForm) {
        res.setHeader('cache-control', 'no-store');
        res.json({ principal: principal.id, roles, expiresAt: new Date(session.expiresAt).toISOString() });
        return;
      }
      const codecHost = new URL(deps.publicUrl).hostname;
      const warning =
        req.hostname === codecHost
          ? undefined
          : `This page is open at ${req.hostname}, but the Temporal UI calls the codec server at ${codecHost}: the cookie only goes to ${req.hostname}. Open ${deps.publicUrl}/codec/login instead.`;
      html(res, 200, sessionPage(pageContext, session, warning));
    } catch (err) {
      const problem = toProblem(err);
      if (!fromForm || !problem) throw err;
      const message =
        problem.status === 401
          ? 'That key was not accepted: it is unknown, revoked or expired.'
          : problem.status === 403 || problem.status === 400
            ? `${problem.detail.charAt(0).toUpperCase()}${problem.detail.slice(1)}.`
            : 'The key could not be checked right now; try again shortly.';
      html(res, problem.status, loginPage(pageContext, message));
    }
  });

  router.post('/codec/logout', form, (req, res) => {
    checkFormOrigin(req);
    const token = sessionTokenFrom(req.get('cookie'));
    const opened = token === undefined ? undefined : openCodecSession(sessionKey, token);
    res.append('Set-Cookie', clearedSessionCookie(secure));
    deps.logger.info({ principal: opened?.ok ? opened.session.principal : undefined }, 'codec session ended');
    if (isForm(req)) html(res, 200, loggedOutPage());
    else res.status(204).end();
  });

  const handler =
    (op: 'decode' | 'encode'): RequestHandler =>
    async (req, res) => {
      const refused = res.locals.codecRefused as ProblemError | undefined;
      if (refused) {
        const parsed = payloadsSchema.safeParse(req.body);
        if (!parsed.success) throw refused;
        res.setHeader(CODEC_REFUSED_HEADER, String(refused.status));
        res.setHeader('cache-control', 'no-store');
        res.json({ payloads: refusalPlaceholders(refused, parsed.data.payloads.length) });
        return;
      }
      const body = payloadsSchema.parse(req.body);
      const payloads = body.payloads.map(payloadFromJson);
      let out: Awaited<ReturnType<typeof evidence.codec.decode>>;
      try {
        out = op === 'decode' ? await evidence.codec.decode(payloads) : await evidence.codec.encode(payloads);
      } catch (err) {
        if (!(err instanceof UnknownEncryptionKeyError || err instanceof PayloadDecryptionError)) throw err;
        throw new ProblemError({
          status: 400,
          type: 'urn:airlock:problem:undecodable-payload',
          title: 'Cannot decode',
          detail: err.message,
        });
      }
      deps.logger.info(
        { principal: req.principal?.id, op, payloads: out.length, namespace: req.get('x-namespace') },
        'codec',
      );
      res.setHeader('cache-control', 'no-store');
      res.json({ payloads: out.map(payloadToJson) });
    };

  const json = express.json({ limit: MAX_CODEC_BODY });
  // A caller refused before the body is read gets no 8 MB parse: a refusal reads at most 1 MB
  // (to count the placeholders), and a larger body gets the plain refusal.
  const refusedJson = express.json({ limit: MAX_REFUSED_BODY });
  const decodeBody: RequestHandler = (req, res, next) => {
    const refused = res.locals.codecRefused as ProblemError | undefined;
    if (!refused) return json(req, res, next);
    refusedJson(req, res, (err?: unknown) => next(err === undefined ? undefined : refused));
  };
  // Only decode: an encode refused with placeholders would hand the CLI plaintext to send on.
  router.post('/codec/decode', keepToolRefusal(guard('decode')), decodeBody, handler('decode'));
  router.post('/codec/encode', guard('encode'), json, handler('encode'));

  router.get(AUDIT_KEYS_PATH, (_req, res) => {
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('cache-control', 'public, max-age=300');
    res.json({
      keys: evidence.publishedKeys.map(toJwk),
      current: evidence.signing.kid,
    });
  });
  return router;
}
