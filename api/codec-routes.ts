// The Temporal codec server (SPEC 6/7): POST /codec/decode and /codec/encode as the Temporal Web
// UI and `temporal --codec-endpoint` call them (Payloads as protobuf JSON, X-Namespace header),
// with CORS for the UI's origin only. Decoding reveals every payload of the namespace, so it takes
// the service's normal bearer authentication and the auditor or admin role; approvers see the
// requests they decide through the API, never through a namespace-wide decryption oracle.
// Encoding (the UI starting or signalling workflows with input) is for admins only.
// Also the public half of the audit keys at a well-known URL, for anyone.
import express, { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { toJwk } from '../audit/signing.js';
import type { Role } from '../config/types.js';
import { PayloadDecryptionError, UnknownEncryptionKeyError } from '../temporal/codec.js';
import { payloadFromJson, payloadToJson } from '../temporal/history-json.js';
import type { ApiDeps, ApiEvidenceDeps } from './deps.js';
import { PROBLEM, ProblemError } from './problem.js';

export const AUDIT_KEYS_PATH = '/.well-known/airlock-audit-keys.json';
export const CODEC_ROLES: Record<'decode' | 'encode', Role[]> = {
  decode: ['auditor', 'admin'],
  encode: ['admin'],
};
const MAX_CODEC_BODY = '8mb';

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
const payloadsSchema = z.object({
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

export function codecRouter(deps: ApiDeps, evidence: ApiEvidenceDeps): Router {
  const router = Router();
  const allowed = new Set(evidence.codecOrigins);
  router.use('/codec', codecCors(allowed));

  // Authenticate and check the content type before reading up to 8 MB of body.
  const guard =
    (op: 'decode' | 'encode'): RequestHandler =>
    async (req, _res, next) => {
      const principal = await deps.authenticate.authenticate(req.headers);
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

  const handler =
    (op: 'decode' | 'encode'): RequestHandler =>
    async (req, res) => {
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
  router.post('/codec/decode', guard('decode'), json, handler('decode'));
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
