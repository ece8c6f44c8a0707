// The demo executor target served by `npm start` in demo mode: an idempotent echo endpoint
// that checks the secret header the http.request executor adds, so the demo runs end to end.
// It keeps what a write sent to a path as that path's state, readable at /state<path>: the
// demo target's preview (demo/airlock.yaml) reads it, so the card shows Airlock's diff.
import { timingSafeEqual } from 'node:crypto';
import express, { Router } from 'express';

const WRITES = new Set(['POST', 'PUT', 'PATCH']);

export function demoEchoRouter(secret: string): Router {
  const router = Router();
  const seen = new Map<string, unknown>();
  const states = new Map<string, unknown>([['/config', { feature: 'off' }]]);
  router.use('/demo/echo', express.json({ limit: '64kb' }), (req, res) => {
    const given = Buffer.from(req.get('x-demo-secret') ?? '');
    const expected = Buffer.from(secret);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.status(401).json({ error: 'missing or wrong X-Demo-Secret' });
      return;
    }
    if (req.method === 'GET' && req.path.startsWith('/state/')) {
      res.json(states.get(req.path.slice('/state'.length)) ?? {});
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
    if (WRITES.has(req.method)) states.set(req.path, req.body ?? null);
    res.json(answer);
  });
  return router;
}
