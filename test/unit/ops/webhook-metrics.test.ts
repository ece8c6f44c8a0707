// airlock_webhook_refused_total: one series per channel and reason, on the registry /metrics renders.
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../api/metrics.js';

describe('airlock_webhook_refused_total', () => {
  it('counts refusals by channel and reason', async () => {
    const metrics = createMetrics();
    metrics.webhookRefused('slack', 'signature');
    metrics.webhookRefused('slack', 'signature');
    metrics.webhookRefused('teams', 'issuer');
    const { body } = await metrics.render();
    const lines = body.split('\n').filter((l) => l.startsWith('airlock_webhook_refused_total{'));
    expect(lines.sort()).toEqual([
      'airlock_webhook_refused_total{channel="slack",reason="signature"} 2',
      'airlock_webhook_refused_total{channel="teams",reason="issuer"} 1',
    ]);
    expect(body).toContain('# TYPE airlock_webhook_refused_total counter');
  });
});
