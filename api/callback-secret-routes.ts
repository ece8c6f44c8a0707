// GET /v1/callback-secret: the key that signs this requester's callbacks (Airlock-Signature).
// Each requester has its own (activities/callback.ts), so a requester can check that a callback
// came from Airlock for its own request, and cannot forge one for somebody else's receiver.
import { Router } from 'express';
import { callbackSigningSecret } from '../activities/callback.js';
import { requireRole } from './auth.js';
import type { ApiDeps } from './deps.js';
import type { CallbackSecretView } from './response-schemas.js';

export function callbackSecretRouter(deps: Pick<ApiDeps, 'config' | 'masterKey'>): Router {
  const router = Router();
  router.get('/v1/callback-secret', requireRole('requester'), (req, res) => {
    const principal = req.principal!;
    res.setHeader('cache-control', 'no-store');
    const body: CallbackSecretView = {
      principal: principal.id,
      secret: callbackSigningSecret(deps, principal.id),
      algorithm: 'HMAC-SHA256',
      header: 'Airlock-Signature',
      signs: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">',
    };
    res.json(body);
  });
  return router;
}
