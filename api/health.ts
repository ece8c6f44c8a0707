// Liveness, readiness (Temporal and the database answer) and Prometheus metrics.
import { Router } from 'express';
import type { ApiDeps } from './deps.js';
import { mayScrape, SCRAPE_REFUSED } from './metrics-access.js';

export function healthRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    await Promise.all(
      Object.entries(deps.readiness).map(async ([name, probe]) => {
        try {
          await withTimeout(probe(), 3000);
          checks[name] = 'ok';
        } catch {
          checks[name] = 'unavailable';
        }
      }),
    );
    const ready = Object.values(checks).every((c) => c === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  router.get('/metrics', async (req, res) => {
    // With METRICS_PORT the series are served on that listener only, not next to the API.
    if (!deps.metrics || deps.metricsAccess?.elsewhere) {
      res.status(404).end();
      return;
    }
    if (!mayScrape(req.get('authorization'), deps.metricsAccess?.token)) {
      res.status(SCRAPE_REFUSED.status).set(SCRAPE_REFUSED.headers).send(SCRAPE_REFUSED.body);
      return;
    }
    const { contentType, body } = await deps.metrics.render();
    res.type(contentType).send(body);
  });
  return router;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
