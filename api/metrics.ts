// Prometheus metrics (prom-client), one registry per process. The API counts submissions and
// reads the pending gauge from request_index at scrape time; the worker derives the workflow
// series from the audit events its recordAudit activity appends (api/audit-metrics.ts).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditEventInput } from '../audit/types.js';
import type { ChannelMetrics } from '../bots/plugin.js';
import { type AuditSeries, observeAuditEvent } from './audit-metrics.js';
import type { ApiMetrics } from './deps.js';
import { type LabelBounds, metricLabeler } from './metric-labels.js';

export interface OpenRequestCount {
  action: string;
  environment: string;
  n: number;
}

export interface MetricsOptions {
  /** Requests not yet ended, by action/environment (read at scrape time; API processes). */
  openRequests?: () => Promise<OpenRequestCount[]>;
  /** One request's audit events in order (the worker looks up submitted/approved times). */
  eventsFor?: (requestId: string) => Promise<AuditEventInput[]>;
  /** The label values the configuration allows (api/metric-labels.ts); others become `other`. */
  labels?: LabelBounds;
}

export interface AirlockMetrics extends ApiMetrics, ChannelMetrics {
  registry: Registry;
  /** Called after the worker appended events (one activity's batch); never throws. */
  observeAudit(events: AuditEventInput[]): Promise<void>;
}

const SECONDS = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 72 * 3600];
const EXEC_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export function createMetrics(opts: MetricsOptions = {}): AirlockMetrics {
  const registry = new Registry();
  // The default series are named process_* and nodejs_* already: the prefix adds only airlock_.
  collectDefaultMetrics({ register: registry, prefix: 'airlock_' });
  const registers = [registry];
  const labelsOf = metricLabeler(opts.labels);
  const ae = ['action', 'environment'];
  const submitted = new Counter({
    name: 'airlock_requests_submitted_total',
    help: 'Action requests accepted over the API',
    labelNames: ae,
    registers,
  });
  const webhookRefused = new Counter({
    name: 'airlock_webhook_refused_total',
    help: 'Chat webhook requests refused before they authenticated (forged or stale signatures, bad tokens), by channel and reason',
    labelNames: ['channel', 'reason'],
    registers,
  });
  const series: AuditSeries = {
    outcomes: new Counter({
      name: 'airlock_requests_total',
      help: 'Requests that ended, by action, environment and outcome (succeeded, failed, denied, expired, cancelled, revoked)',
      labelNames: [...ae, 'outcome'],
      registers,
    }),
    decisionSeconds: new Histogram({
      name: 'airlock_decision_seconds',
      help: 'Time from request.submitted to the decision (request.approved or request.denied)',
      labelNames: [...ae, 'decision'],
      buckets: SECONDS,
      registers,
    }),
    approvalToExecutionSeconds: new Histogram({
      name: 'airlock_approval_to_execution_seconds',
      help: 'Time from request.approved to execution.started',
      labelNames: ae,
      buckets: SECONDS,
      registers,
    }),
    executionSeconds: new Histogram({
      name: 'airlock_executor_duration_seconds',
      help: 'Time from execution.started to the outcome (executor run)',
      labelNames: [...ae, 'outcome'],
      buckets: EXEC_SECONDS,
      registers,
    }),
    escalations: new Counter({
      name: 'airlock_escalations_total',
      help: 'Approval stages escalated (request.escalated)',
      labelNames: ae,
      registers,
    }),
    expiries: new Counter({
      name: 'airlock_expiries_total',
      help: 'Requests that expired without a decision (request.expired)',
      labelNames: ae,
      registers,
    }),
    refused: new Counter({
      name: 'airlock_refused_attempts_total',
      help: 'Refused attempts (attempt.refused), by refusal code',
      labelNames: [...ae, 'code'],
      registers,
    }),
    executorErrors: new Counter({
      name: 'airlock_executor_errors_total',
      help: 'Executions that ended in request.failed, by error type',
      labelNames: [...ae, 'error_type'],
      registers,
    }),
    breakGlass: new Counter({
      name: 'airlock_breakglass_total',
      help: 'Requests run at once by break-glass (breakglass.used)',
      labelNames: ae,
      registers,
    }),
    breakGlassReviews: new Counter({
      name: 'airlock_breakglass_reviews_total',
      help: 'Break-glass reviews, by outcome (acknowledged, incident)',
      labelNames: [...ae, 'outcome'],
      registers,
    }),
    breakGlassOverdue: new Counter({
      name: 'airlock_breakglass_review_overdue_total',
      help: 'Break-glass reviews found overdue (breakglass.review_overdue; counted again at each repost)',
      labelNames: ae,
      registers,
    }),
    observeErrors: new Counter({
      name: 'airlock_metrics_observe_errors_total',
      help: 'Audit events the metrics hook could not attribute (lookup failed)',
      registers,
    }),
  };
  if (opts.openRequests) {
    const load = opts.openRequests;
    new Gauge({
      name: 'airlock_requests_pending',
      help: 'Requests not yet ended (request_index.ended_at is null: awaiting a decision or execution)',
      labelNames: ae,
      registers,
      async collect() {
        this.reset();
        // Several stored values can share one bounded label set: their counts add up.
        const totals = new Map<string, { labels: ReturnType<typeof labelsOf>; n: number }>();
        for (const r of await load()) {
          const labels = labelsOf(r.action, r.environment);
          const key = `${labels.action}\u0000${labels.environment}`;
          const total = totals.get(key) ?? { labels, n: 0 };
          total.n += r.n;
          totals.set(key, total);
        }
        for (const { labels, n } of totals.values()) this.set(labels, n);
      },
    });
  }
  const eventsFor = opts.eventsFor;
  // A retried recordAudit re-appends the same (requestId, eventKey): count it once.
  const seen = new Set<string>();
  return {
    registry,
    submitted(action, environment) {
      submitted.inc(labelsOf(action, environment));
    },
    webhookRefused(channel, reason) {
      webhookRefused.inc({ channel, reason });
    },
    async observeAudit(events) {
      if (!eventsFor) return;
      // A batch is one request's events: its trail is read once, however many of them count.
      const trails = new Map<string, Promise<AuditEventInput[]>>();
      const trailOf = (requestId: string) => {
        const known = trails.get(requestId);
        if (known) return known;
        const trail = eventsFor(requestId);
        trails.set(requestId, trail);
        return trail;
      };
      for (const event of events) {
        const key = `${event.requestId}/${event.eventKey}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (seen.size > 50_000) seen.delete(seen.values().next().value as string);
        try {
          await observeAuditEvent(series, event, trailOf, labelsOf);
        } catch {
          series.observeErrors.inc();
        }
      }
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
