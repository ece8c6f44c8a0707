// /metrics after a scripted set of requests shows exact counts: outcomes by action, environment
// and outcome, decision and approval-to-execution histograms, escalations, expiries, refused
// attempts, executor errors and the pending gauge (one process, AIRLOCK_ROLE=all). Labels are
// bounded by the configuration (an action is named by the binding it matches), and /metrics
// takes only the METRICS_TOKEN bearer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../core/fixtures.js';
import { sample } from './metrics-text.js';

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;

beforeAll(async () => {
  target = await startHttpTarget();
  target.respondWith((call) =>
    call.path === '/fail' ? { status: 400, body: 'bad request' } : { status: 200, body: '{}' },
  );
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused'),
    principals: PRINCIPALS,
    env: { METRICS_TOKEN: TOKEN },
  });
}, 180_000);

const TOKEN = 'metrics-test-token-0123456789';
const scrape = async () =>
  (await fetch(`${h.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();

afterAll(async () => {
  await h?.stop();
  await target?.close();
});

async function submit(body: Record<string, unknown>): Promise<string> {
  const res = await h.api('ci@example.com', '/v1/actions', { body });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

async function waitFor(id: string, statuses: string[]): Promise<void> {
  await eventually(
    async () => {
      const s = (await h.api('audit@example.com', `/v1/actions/${id}`)).body;
      return statuses.includes(s.status) && (s.status === 'pending_approval' || s.endedAt) ? true : undefined;
    },
    30_000,
    statuses.join('|'),
  );
}

const decide = (who: string, id: string, body: Record<string, unknown>) =>
  h.api(who, `/v1/actions/${id}/decisions`, { body });

describe('/metrics', () => {
  it('counts a scripted set of requests exactly', async () => {
    const prod = { action: 'http.*', environment: 'production' };
    const approved = await submit(httpRequest({ parameters: { method: 'POST', path: '/ok', body: {} } }));
    const denied = await submit(httpRequest({ parameters: { method: 'POST', path: '/no', body: {} } }));
    const pending = await submit(httpRequest({ parameters: { method: 'POST', path: '/later', body: {} } }));
    const failing = await submit(
      httpRequest({ environment: 'dev', parameters: { method: 'POST', path: '/fail', body: {} } }),
    );
    const expiring = await submit(
      httpRequest({
        action: 'http.escalate',
        environment: 'staging',
        parameters: { method: 'POST', path: '/e' },
      }),
    );
    await waitFor(approved, ['pending_approval']);
    await waitFor(denied, ['pending_approval']);
    expect((await decide('outsider@example.com', approved, { decision: 'approve' })).status).toBe(403);
    expect((await decide('dana@example.com', approved, { decision: 'approve' })).status).toBe(200);
    expect((await decide('dana@example.com', denied, { decision: 'deny', reason: 'freeze' })).status).toBe(
      200,
    );
    await waitFor(approved, ['succeeded']);
    await waitFor(denied, ['denied']);
    await waitFor(failing, ['failed']);
    await waitFor(expiring, ['expired']);
    await waitFor(pending, ['pending_approval']);

    const text = await scrape();
    const esc = { action: 'http.*', environment: 'staging' };
    const dev = { action: 'http.*', environment: 'dev' };
    expect(sample(text, 'airlock_requests_submitted_total', prod)).toBe(3);
    expect(sample(text, 'airlock_requests_total', { ...prod, outcome: 'succeeded' })).toBe(1);
    expect(sample(text, 'airlock_requests_total', { ...prod, outcome: 'denied' })).toBe(1);
    expect(sample(text, 'airlock_requests_total', { ...dev, outcome: 'failed' })).toBe(1);
    expect(sample(text, 'airlock_requests_total', { ...esc, outcome: 'expired' })).toBe(1);
    expect(sample(text, 'airlock_requests_total', { ...prod, outcome: 'failed' })).toBeUndefined();
    expect(sample(text, 'airlock_decision_seconds_count', { ...prod, decision: 'approved' })).toBe(1);
    expect(sample(text, 'airlock_decision_seconds_count', { ...prod, decision: 'denied' })).toBe(1);
    // The dev request is allowed by policy: it is approved (by 'policy') and executed too.
    expect(sample(text, 'airlock_decision_seconds_count', { ...dev, decision: 'approved' })).toBe(1);
    expect(sample(text, 'airlock_approval_to_execution_seconds_count', prod)).toBe(1);
    expect(sample(text, 'airlock_approval_to_execution_seconds_count', dev)).toBe(1);
    expect(sample(text, 'airlock_executor_duration_seconds_count', { ...prod, outcome: 'succeeded' })).toBe(
      1,
    );
    expect(sample(text, 'airlock_escalations_total', esc)).toBe(1);
    expect(sample(text, 'airlock_expiries_total', esc)).toBe(1);
    expect(sample(text, 'airlock_refused_attempts_total', { ...prod, code: 'not_an_approver' })).toBe(1);
    expect(text).toMatch(
      /airlock_executor_errors_total\{action="http\.\*",environment="dev",error_type="[^"]+"\} 1/,
    );
    expect(sample(text, 'airlock_requests_pending', prod)).toBe(1);
    expect(sample(text, 'airlock_requests_pending', esc)).toBeUndefined();
    expect(sample(text, 'airlock_metrics_observe_errors_total')).toBe(0);
  }, 90_000);

  it('keeps distinct actions to the series of the binding they match', async () => {
    const before = await scrape();
    const n = 25;
    for (let i = 0; i < n; i++) {
      await submit(
        httpRequest({
          action: `http.distinct-${i}`,
          parameters: { method: 'POST', path: `/d${i}`, body: {} },
        }),
      );
    }
    const text = await scrape();
    const series = (t: string) =>
      t.split('\n').filter((l) => l.startsWith('airlock_requests_submitted_total{'));
    expect(series(text)).toHaveLength(series(before).length);
    expect(text).not.toContain('distinct-');
    const prod = { action: 'http.*', environment: 'production' };
    expect(sample(text, 'airlock_requests_submitted_total', prod)).toBe(
      sample(before, 'airlock_requests_submitted_total', prod)! + n,
    );
  }, 90_000);

  it('answers 401 without the METRICS_TOKEN bearer, or with another', async () => {
    for (const headers of [
      {},
      { authorization: 'Bearer wrong-token-0123456789' },
      { authorization: TOKEN },
    ] as Record<string, string>[]) {
      const res = await fetch(`${h.url}/metrics`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const text = await res.text();
      expect(text).not.toContain('airlock_');
      expect(JSON.parse(text).type).toBe('urn:airlock:problem:unauthenticated');
    }
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });
});
