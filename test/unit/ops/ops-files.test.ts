// The Grafana dashboard and the Prometheus alert rules in ops/ name only series that exist: the
// airlock_* ones createMetrics registers (api/metrics.ts), `up`, and the Temporal SDK's temporal_*.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics } from '../../../api/metrics.js';

const read = (p: string) => readFileSync(fileURLToPath(new URL(`../../../${p}`, import.meta.url)), 'utf8');
const metrics = createMetrics({ openRequests: async () => [], eventsFor: async () => [] });
const airlock = new Set(
  (metrics.registry.getMetricsAsArray() as unknown as { name: string; type: string }[]).flatMap((m) =>
    m.type === 'histogram' ? [`${m.name}_bucket`, `${m.name}_count`, `${m.name}_sum`] : [m.name],
  ),
);
const SDK = new Set([
  'temporal_worker_task_slots_available',
  'temporal_activity_schedule_to_start_latency_bucket',
  'temporal_workflow_task_schedule_to_start_latency_bucket',
]);

function seriesIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:airlock|temporal)_[a-z_]+|up)\b(?!\s*\()/g)].map((m) => m[1]!);
}

const rules = (
  parse(read('ops/prometheus/alerts.yml')) as {
    groups: { rules: { alert: string; expr: string; annotations: Record<string, string> }[] }[];
  }
).groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(read('ops/grafana/airlock-dashboard.json')) as {
  panels: { title: string; targets: { expr: string }[] }[];
};

describe('ops files', () => {
  it('has the three required alerts, each explained in the runbook', () => {
    const names = rules.map((r) => r.alert);
    expect(names).toEqual(
      expect.arrayContaining(['AirlockStuckPending', 'AirlockExecutorFailureRate', 'AirlockWorkerDown']),
    );
    const runbook = read('docs/runbook.md');
    for (const r of rules) {
      expect(runbook).toContain(`### ${r.alert}`);
      expect(r.annotations.runbook).toBe(`docs/runbook.md#${r.alert.toLowerCase()}`);
    }
  });

  it('names only existing series in alerts and dashboard', () => {
    const exprs = [
      ...rules.map((r) => r.expr),
      ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
    ];
    const used = new Set(exprs.flatMap(seriesIn));
    expect(used.size).toBeGreaterThan(8);
    for (const name of used) {
      if (name === 'up') continue;
      expect(airlock.has(name) || SDK.has(name), name).toBe(true);
    }
    // Every workflow-level series the issue asks for is on the dashboard.
    for (const name of [
      'airlock_requests_pending',
      'airlock_requests_total',
      'airlock_decision_seconds_bucket',
      'airlock_approval_to_execution_seconds_bucket',
      'airlock_escalations_total',
      'airlock_expiries_total',
      'airlock_refused_attempts_total',
      'airlock_executor_errors_total',
    ]) {
      expect(used, name).toContain(name);
    }
  });
});
