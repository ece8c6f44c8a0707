// Derives the workflow-level metrics from the audit events the worker's recordAudit activity
// appends, so the workflow code (and its recorded histories) stays unchanged. Times come from
// the events' own `at` (workflow time), looked up in the request's audit trail.
import type { Counter, Histogram } from 'prom-client';
import type { AuditEventInput } from '../audit/types.js';
import type { MetricLabeler } from './metric-labels.js';

export interface AuditSeries {
  outcomes: Counter;
  decisionSeconds: Histogram;
  approvalToExecutionSeconds: Histogram;
  executionSeconds: Histogram;
  escalations: Counter;
  expiries: Counter;
  refused: Counter;
  executorErrors: Counter;
  observeErrors: Counter;
  breakGlass: Counter;
  breakGlassReviews: Counter;
  breakGlassOverdue: Counter;
}

const OUTCOMES = new Set(['succeeded', 'failed', 'denied', 'expired', 'cancelled', 'revoked']);
const INTERESTING = new Set([
  'request.approved',
  'request.escalated',
  'attempt.refused',
  'execution.started',
  'breakglass.used',
  'breakglass.reviewed',
  'breakglass.review_overdue',
  ...[...OUTCOMES].map((o) => `request.${o}`),
]);

export async function observeAuditEvent(
  s: AuditSeries,
  event: AuditEventInput,
  eventsFor: (requestId: string) => Promise<AuditEventInput[]>,
  labelsOf: MetricLabeler,
): Promise<void> {
  if (!INTERESTING.has(event.type)) return;
  const trail = await eventsFor(event.requestId);
  const first = (type: string) => trail.find((e) => e.type === type);
  const submitted = first('request.submitted');
  const labels = labelsOf(submitted?.data.action, submitted?.data.environment);
  const since = (from: AuditEventInput | undefined) =>
    from ? Math.max(0, (Date.parse(event.at) - Date.parse(from.at)) / 1000) : undefined;

  if (event.type === 'request.escalated') s.escalations.inc(labels);
  else if (event.type === 'breakglass.used') s.breakGlass.inc(labels);
  else if (event.type === 'breakglass.reviewed')
    s.breakGlassReviews.inc({ ...labels, outcome: str(event.data.outcome) });
  else if (event.type === 'breakglass.review_overdue') s.breakGlassOverdue.inc(labels);
  else if (event.type === 'attempt.refused') s.refused.inc({ ...labels, code: str(event.data.code) });
  else if (event.type === 'request.approved') {
    const t = since(submitted);
    if (t !== undefined) s.decisionSeconds.observe({ ...labels, decision: 'approved' }, t);
  } else if (event.type === 'execution.started') {
    const t = since(first('request.approved'));
    if (t !== undefined) s.approvalToExecutionSeconds.observe(labels, t);
  } else {
    const outcome = event.type.slice('request.'.length);
    s.outcomes.inc({ ...labels, outcome });
    if (outcome === 'expired') s.expiries.inc(labels);
    if (outcome === 'denied') {
      const t = since(submitted);
      if (t !== undefined) s.decisionSeconds.observe({ ...labels, decision: 'denied' }, t);
    }
    const started = first('execution.started');
    if (started && (outcome === 'succeeded' || outcome === 'failed')) {
      s.executionSeconds.observe({ ...labels, outcome }, since(started) ?? 0);
    }
    if (outcome === 'failed') {
      const result = event.data.result as { error?: { type?: unknown } } | undefined;
      s.executorErrors.inc({ ...labels, error_type: str(result?.error?.type) });
    }
  }
}

function str(v: unknown): string {
  return typeof v === 'string' && v !== '' ? v : 'unknown';
}
