// The action and environment labels are bounded by the configuration: 1,000 distinct actions (and
// made-up environments) make as many series as there are bindings and known environments, not
// 1,000. And /metrics with METRICS_TOKEN takes only that bearer token.
import { describe, expect, it } from 'vitest';
import { labelBoundsOf, metricLabeler, OTHER } from '../../../api/metric-labels.js';
import { createMetrics } from '../../../api/metrics.js';
import { mayScrape } from '../../../api/metrics-access.js';
import { parseEnv } from '../../../config/env.js';
import type { ServiceConfig } from '../../../config/types.js';
import { sample } from '../../integration/ops/metrics-text.js';
import { errorOf } from '../config/parse-env-error.js';

const config = {
  targets: {
    echo: { type: 'http', environment: 'production', resources: ['admin-api:*'], baseUrl: 'http://x' },
    echoDev: { type: 'http', environment: 'dev', resources: ['admin-api:*'], baseUrl: 'http://x' },
  },
  actions: [
    { match: 'http.*', executor: 'http.request', target: 'echo' },
    { match: 'db.export', executor: 'postgres.sql', target: 'echo' },
    { match: 'gate.*', executor: 'callback', environments: ['staging'] },
  ],
} as unknown as Pick<ServiceConfig, 'actions' | 'targets'>;

const seriesOf = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`));

describe('metric labels', () => {
  it('labels an action with the binding pattern it matches and an unknown environment other', () => {
    const labelsOf = metricLabeler(labelBoundsOf(config));
    expect(labelsOf('http.config.update', 'production')).toEqual({
      action: 'http.*',
      environment: 'production',
    });
    expect(labelsOf('db.export', 'staging')).toEqual({ action: 'db.export', environment: 'staging' });
    expect(labelsOf('db.exporter', 'prod\u0000')).toEqual({ action: OTHER, environment: OTHER });
    expect(labelsOf(undefined, 42)).toEqual({ action: OTHER, environment: OTHER });
  });

  it('keeps 1,000 distinct actions and environments to a bounded number of series', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      action: i % 2 ? `http.flood-${i}` : `nobody.binds-${i}`,
      environment: i % 3 ? `env-${i}` : 'production',
      n: 1,
    }));
    const metrics = createMetrics({ labels: labelBoundsOf(config), openRequests: async () => rows });
    for (const r of rows) metrics.submitted(r.action, r.environment);
    const { body } = await metrics.render();
    const submitted = seriesOf(body, 'airlock_requests_submitted_total');
    const pending = seriesOf(body, 'airlock_requests_pending');
    // (http.* | other) x (production | other)
    expect(submitted).toHaveLength(4);
    expect(pending).toHaveLength(4);
    expect(
      sample(body, 'airlock_requests_submitted_total', { action: 'http.*', environment: 'production' }),
    ).toBe(rows.filter((r) => r.action.startsWith('http.') && r.environment === 'production').length);
    // Nothing is lost: the counts add up to every submission.
    const total = submitted.reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    expect(total).toBe(1000);
    expect(pending.reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0)).toBe(1000);
  });

  it('keeps every value as it is without bounds (the series tests)', () => {
    expect(metricLabeler()('x.y', 'z')).toEqual({ action: 'x.y', environment: 'z' });
  });
});

describe('METRICS_TOKEN', () => {
  const token = 'scrape-token-0123456789abcdef';

  it('takes only the bearer token, any case of the scheme', () => {
    expect(mayScrape(`Bearer ${token}`, token)).toBe(true);
    expect(mayScrape(`bearer ${token}`, token)).toBe(true);
    expect(mayScrape(undefined, token)).toBe(false);
    expect(mayScrape('', token)).toBe(false);
    expect(mayScrape(`Bearer ${token}x`, token)).toBe(false);
    expect(mayScrape(`Bearer ${token.slice(1)}`, token)).toBe(false);
    expect(mayScrape(`Basic ${token}`, token)).toBe(false);
    expect(mayScrape(token, token)).toBe(false);
  });

  it('is open without a token', () => {
    expect(mayScrape(undefined, undefined)).toBe(true);
  });

  it('is read from the environment, never shown, and must be long enough', () => {
    expect(parseEnv({ METRICS_TOKEN: token, METRICS_PORT: '9464' }).metrics).toEqual({ token, port: 9464 });
    expect(parseEnv({}).metrics).toEqual({});
    const err = errorOf({ METRICS_TOKEN: 'short-secret' });
    expect(err.issues).toEqual([
      'METRICS_TOKEN: must be at least 16 characters (for example: openssl rand -hex 32)',
    ]);
    expect(err.message).not.toContain('short-secret');
    expect(errorOf({ METRICS_PORT: '70000' }).issues[0]).toMatch(/^METRICS_PORT: /);
  });
});
