// API-only and worker-only processes serve a request end to end; SIGTERM drains the worker while
// the request waits and loses nothing; the API's log lines carry the request and workflow ids and
// no secret; a worker-only process serves its own /metrics on METRICS_PORT.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../core/fixtures.js';
import { sample } from './metrics-text.js';
import { type AirlockProcess, apiReady, apiUrl, startProcess, workerReady } from './processes.js';

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
const procs: AirlockProcess[] = [];

async function start(role: 'api' | 'worker', extra: Record<string, string> = {}): Promise<AirlockProcess> {
  // The API at debug: its per-call "http" lines are logged there, not at info.
  const p = await startProcess(
    { ...h.env, AIRLOCK_ROLE: role, ...extra },
    role === 'api' ? apiReady : workerReady,
    undefined,
    role === 'api' ? 'debug' : 'info',
  );
  procs.push(p);
  return p;
}

beforeAll(async () => {
  target = await startHttpTarget();
  // The in-process harness only prepares the database, files and queue (API role, never polls).
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused'),
    principals: PRINCIPALS,
    env: { AIRLOCK_ROLE: 'api' },
  });
}, 180_000);

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await h?.stop();
  await target?.close();
});

describe('split roles', () => {
  it('serves a request through api + worker processes across a SIGTERM of the worker', async () => {
    const [api, first] = await Promise.all([start('api'), start('worker')]);
    const url = apiUrl(api);
    const call = async (who: string, path: string, body?: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${h.keys[who]}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const submitted = await call(
      'ci@example.com',
      '/v1/actions',
      httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: 'split-1' } } }),
    );
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;
    await eventually(
      async () =>
        (await call('audit@example.com', `/v1/actions/${id}`)).body.status === 'pending_approval'
          ? true
          : undefined,
      30_000,
      'pending',
    );

    // Graceful: SIGTERM drains the worker and it exits 0.
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const second = await start('worker', { METRICS_PORT: '0' });
    expect(
      (await call('dana@example.com', `/v1/actions/${id}/decisions`, { decision: 'approve' })).status,
    ).toBe(200);
    const done = await eventually(
      async () => {
        const s = (await call('audit@example.com', `/v1/actions/${id}`)).body;
        return s.status === 'succeeded' && s.endedAt ? s : undefined;
      },
      30_000,
      'succeeded',
    );
    expect(done.decidedBy).toBe('dana@example.com');
    expect(target.calls.filter((c) => c.body.includes('split-1'))).toHaveLength(1);

    // The submission's log line carries both ids; no process logs a secret.
    const post = api.logs().find((l) => l.msg === 'http' && l.method === 'POST' && l.path === '/v1/actions');
    expect(post).toMatchObject({ requestId: id, workflowId: `action-${id}`, status: 202 });
    const decision = api.logs().find((l) => l.msg === 'http' && String(l.path).endsWith('/decisions'));
    expect(decision).toMatchObject({ requestId: id, workflowId: `action-${id}` });
    const secrets = [...Object.values(h.keys), h.env.AIRLOCK_ENCRYPTION_KEY!, 'target-secret-token'];
    for (const p of [api, first, second]) {
      expect(p.logs().length).toBeGreaterThan(0);
      for (const s of secrets) expect(p.output()).not.toContain(s);
    }

    // The worker-only process serves the series it derived from the audit events it recorded.
    const port = second.logs().find((l) => l.msg === 'metrics listening')?.port;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const labels = { action: 'http.*', environment: 'production' };
    expect(sample(text, 'airlock_requests_total', { ...labels, outcome: 'succeeded' })).toBe(1);
    expect(sample(text, 'airlock_decision_seconds_count', { ...labels, decision: 'approved' })).toBe(1);
    const apiText = await (await fetch(`${url}/metrics`)).text();
    expect(sample(apiText, 'airlock_requests_submitted_total', labels)).toBe(1);
    expect(sample(apiText, 'airlock_requests_pending', labels)).toBeUndefined();
  }, 240_000);
});
