// The pieces behind tracing and encrypted failures, without a server: the failure converter the
// SDK loads by path, the tracer provider's register/unregister, and the span sink used when off.
import { createRequire } from 'node:module';
import { trace } from '@opentelemetry/api';
import { ApplicationFailure, defaultPayloadConverter, type FailureConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { startTracing } from '../../../temporal/tracing.js';
import {
  airlockDataConverter,
  DROP_WORKFLOW_SPANS,
  FAILURE_CONVERTER_PATH,
  workflowBundleOptions,
} from '../../../temporal/worker.js';
import { startOtlpCollector } from '../../fakes/otlp-collector.js';

const recording = () => {
  const span = trace.getTracer('probe').startSpan('probe');
  const recorded = span.isRecording();
  span.end();
  return recorded;
};

describe('failure converter', () => {
  it('loads with plain require (as the SDK does) and moves message and stack into encoded attributes', () => {
    const { failureConverter } = createRequire(import.meta.url)(FAILURE_CONVERTER_PATH) as {
      failureConverter: FailureConverter;
    };
    const failure = failureConverter.errorToFailure(
      ApplicationFailure.create({ type: 'ExecutorRejected', message: 'target secret-db is not configured' }),
      defaultPayloadConverter,
    );
    expect(failure.message).toBe('Encoded failure');
    expect(failure.stackTrace).toBe('');
    expect(JSON.stringify(failure.applicationFailureInfo)).not.toContain('secret-db');
    const attrs = defaultPayloadConverter.fromPayload<{ message: string }>(failure.encodedAttributes!);
    expect(attrs.message).toBe('target secret-db is not configured');
    const back = failureConverter.failureToError(failure, defaultPayloadConverter);
    expect(back.message).toBe('target secret-db is not configured');
  });

  it('is what every data converter and every bundle uses', () => {
    expect(airlockDataConverter().failureConverterPath).toBe(FAILURE_CONVERTER_PATH);
    expect(workflowBundleOptions({ tracing: false }).failureConverterPath).toBe(FAILURE_CONVERTER_PATH);
    expect(workflowBundleOptions({ tracing: false }).workflowInterceptorModules).toEqual([]);
    expect(workflowBundleOptions({ tracing: true }).workflowInterceptorModules).toHaveLength(1);
  });
});

describe('tracing', () => {
  it('registers a global provider only while started, and drops workflow spans when off', async () => {
    expect(recording()).toBe(false);
    const collector = await startOtlpCollector();
    const tracing = startTracing({ tracesUrl: `${collector.url}/v1/traces`, serviceName: 'unit' });
    try {
      expect(recording()).toBe(true);
      expect(tracing.workflowSinks.exporter.export.callDuringReplay).toBeFalsy();
    } finally {
      await tracing.shutdown();
      await collector.close();
    }
    // Shutting down flushed the probe span, then unregistered the provider.
    expect(collector.spans.map((s) => [s.name, s.resource['service.name']])).toEqual([['probe', 'unit']]);
    expect(recording()).toBe(false);
    expect(DROP_WORKFLOW_SPANS.exporter.export.callDuringReplay).toBe(false);
  });
});
