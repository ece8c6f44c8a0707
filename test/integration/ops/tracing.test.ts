// OpenTelemetry tracing over real HTTP: Airlock exports OTLP/HTTP JSON to a fake
// collector, and one auto-allowed request yields one trace from the API request through the
// Temporal client's workflow start, the workflow run, the activity it schedules and the activity
// run. Without an endpoint nothing is registered at all.
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpTarget } from '../../fakes/http-target.js';
import {
  type CollectedSpan,
  type OtlpCollectorFake,
  startOtlpCollector,
} from '../../fakes/otlp-collector.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../core/fixtures.js';

let target: Awaited<ReturnType<typeof startHttpTarget>>;
let collector: OtlpCollectorFake;
const config = () => coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused');

beforeAll(async () => {
  target = await startHttpTarget();
  collector = await startOtlpCollector();
});

afterAll(async () => {
  await target?.close();
  await collector?.close();
});

/** Whether a global tracer provider is registered: the no-op API returns non-recording spans. */
function globalTracerRecords(): boolean {
  const span = trace.getTracer('probe').startSpan('probe');
  const recorded = span.isRecording();
  span.end();
  return recorded;
}

async function submitAutoAllowed(h: Harness, marker: string): Promise<string> {
  const res = await h.api('ci@example.com', '/v1/actions?wait=20', {
    body: httpRequest({ environment: 'dev', parameters: { method: 'POST', path: '/t', body: { marker } } }),
  });
  expect([200, 202], JSON.stringify(res.body)).toContain(res.status);
  const id = res.body.id as string;
  await eventually(
    async () => {
      const s = (await h.api('audit@example.com', `/v1/actions/${id}`)).body;
      return s.status === 'succeeded' && s.endedAt ? true : undefined;
    },
    30_000,
    `request ${id} succeeded`,
  );
  return id;
}

describe('without an OTLP endpoint', () => {
  it('installs no tracer and exports nothing', async () => {
    const h = await startHarness({ policy: CORE_POLICY, config: config(), principals: PRINCIPALS });
    try {
      expect(h.airlock.env.tracing).toBeUndefined();
      expect(globalTracerRecords()).toBe(false);
      await submitAutoAllowed(h, 'untraced');
      expect(globalTracerRecords()).toBe(false);
    } finally {
      await h.stop();
    }
    expect(collector.spans).toEqual([]);
  });
});

describe('with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      policy: CORE_POLICY,
      config: config(),
      principals: PRINCIPALS,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'airlock-under-test' },
    });
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
  });

  it('sends one trace: API request, workflow start, workflow run, activity scheduled and run', async () => {
    expect(h.airlock.env.tracing).toEqual({
      tracesUrl: `${collector.url}/v1/traces`,
      serviceName: 'airlock-under-test',
    });
    expect(globalTracerRecords()).toBe(true);
    const id = await submitAutoAllowed(h, 'traced');
    const workflowId = `action-${id}`;
    const find = (pred: (s: CollectedSpan) => boolean) => collector.spans.find(pred);

    const start = await eventually(
      async () =>
        find(
          (s) => s.name === 'StartWorkflow:actionRequest' && s.attributes.temporalWorkflowId === workflowId,
        ),
      15_000,
      'the StartWorkflow span',
    );
    const traceId = start.traceId;
    const inTrace = (name: string) => find((s) => s.traceId === traceId && s.name === name);
    // The workflow's span ends when it closes; the activity spans as each one finishes.
    const { run, scheduled, executed } = await eventually(
      async () => {
        const run = inTrace('RunWorkflow:actionRequest');
        const scheduled = inTrace('StartActivity:executeAction');
        const executed = inTrace('RunActivity:executeAction');
        return run && scheduled && executed ? { run, scheduled, executed } : undefined;
      },
      15_000,
      `workflow and activity spans in trace ${traceId} (have: ${collector.spans.map((s) => s.name).join(', ')})`,
    );
    // The API's span ends when its response is sent and may come in a later export batch.
    const http = await eventually(
      async () => find((s) => s.spanId === start.parentSpanId),
      15_000,
      'the API request span',
    );

    // One chain of parents: POST /v1/actions -> StartWorkflow -> RunWorkflow -> StartActivity -> RunActivity.
    expect(http).toMatchObject({ traceId, name: 'POST /v1/actions', kind: 2 });
    expect(http?.attributes['http.response.status_code']).toBeGreaterThanOrEqual(200);
    expect(run.parentSpanId).toBe(start.spanId);
    expect(scheduled.parentSpanId).toBe(run.spanId);
    expect(executed.parentSpanId).toBe(scheduled.spanId);
    expect(executed.attributes).toMatchObject({ temporalWorkflowId: workflowId });
    expect(run.attributes).toMatchObject({ workflowId, workflowType: 'actionRequest' });
    // Every other activity of the run (audit, policy, index) is in the same trace too.
    const activities = collector.spans.filter(
      (s) => s.traceId === traceId && s.name.startsWith('RunActivity:'),
    );
    expect(activities.map((s) => s.name)).toEqual(
      expect.arrayContaining(['RunActivity:assessRequest', 'RunActivity:recordEvents']),
    );
    for (const s of [start, run, executed]) {
      expect(s.resource['service.name'], s.name).toBe('airlock-under-test');
    }
    expect(collector.rejected).toEqual([]);
  });
});
