// The demo executor target served by `npm start` in demo mode: an idempotent echo endpoint
// that checks the secret header the http.request executor adds, so the demo runs end to end.

import { timingSafeEqual } from 'node:crypto';
// The demo executor target served by `npm start` in demo mode: an idempotent echo endpoint
// that checks the secret header the http.request executor adds, so the demo runs end to end.
import express, { Router } from 'express';

export function demoEchoRouter(secret: string): Router {
  const router = Router();
  const seen = new Map<string, unknown>();
  router.use('/demo/echo', express.json({ limit: '64kb' }), (req, res) => {
    const given = Buffer.from(req.get('x-demo-secret') ?? '');
    const expected = Buffer.from(secret);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.status(401).json({ error: 'missing or wrong X-Demo-Secret' });
      return;
    }
    const key = req.get('idempotency-key');
    if (key && seen.has(key)) {
      res.json(seen.get(key));
      return;
    }
    const answer = {
      echoed: { method: req.method, path: req.originalUrl, body: req.body ?? null },
      at: new Date().toISOString(),
    };
    if (key) seen.set(key, answer);
    res.json(answer);
  });
  return router;
}
