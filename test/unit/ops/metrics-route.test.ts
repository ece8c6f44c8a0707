// The API's /metrics: open without METRICS_TOKEN, the bearer only with it, and absent (404) when
// METRICS_PORT moved it to a listener of its own.
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../../api/deps.js';
import { healthRouter } from '../../../api/health.js';
import { createMetrics } from '../../../api/metrics.js';
import { type Listening, listen } from '../api-auth/listen.js';

const TOKEN = 'route-test-token-0123456789';
let running: Listening | undefined;

async function serve(metricsAccess?: ApiDeps['metricsAccess']): Promise<string> {
  const app = express();
  app.use(healthRouter({ metrics: createMetrics(), readiness: {}, metricsAccess } as unknown as ApiDeps));
  running = await listen(app);
  return running.url;
}

afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe('GET /metrics on the API port', () => {
  it('is open without a token', async () => {
    const res = await fetch(`${await serve()}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('airlock_requests_submitted_total');
    // The process series once: airlock_process_*, never airlock_process_process_*.
    expect(text).toContain('airlock_process_cpu_user_seconds_total');
    expect(text).toContain('airlock_nodejs_heap_size_used_bytes');
    expect(text).not.toContain('airlock_process_process_');
  });

  it('takes only the bearer token when METRICS_TOKEN is set', async () => {
    const url = await serve({ token: TOKEN });
    const refused = await fetch(`${url}/metrics`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await refused.text()).not.toContain('airlock_requests');
    const ok = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('is not served there when METRICS_PORT serves it elsewhere', async () => {
    const url = await serve({ elsewhere: true, token: TOKEN });
    const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(404);
  });
});
