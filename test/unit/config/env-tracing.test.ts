// The OpenTelemetry variables: tracing only with an OTLP endpoint, the traces URL built
// as the OpenTelemetry specification says, and a bad URL stops start-up naming the variable.
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../../config/env.js';
import { errorOf } from './parse-env-error.js';

describe('parseEnv: OpenTelemetry', () => {
  it('leaves tracing off without an endpoint, whatever else is set', () => {
    expect(parseEnv({}).tracing).toBeUndefined();
    expect(parseEnv({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_ENDPOINT: '' }).tracing).toBeUndefined();
  });

  it('appends /v1/traces to the generic endpoint and defaults the service name to airlock', () => {
    expect(parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing).toEqual({
      tracesUrl: 'http://collector:4318/v1/traces',
      serviceName: 'airlock',
    });
    expect(
      parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com/base/' }).tracing?.tracesUrl,
    ).toBe('https://otel.example.com/base/v1/traces');
  });

  it('uses the traces endpoint as it is, before the generic one', () => {
    const env = parseEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://generic:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/custom/path',
      OTEL_SERVICE_NAME: 'airlock-eu',
    });
    expect(env.tracing).toEqual({ tracesUrl: 'http://traces:4318/custom/path', serviceName: 'airlock-eu' });
  });

  it('stays off with OTEL_SDK_DISABLED=true', () => {
    expect(
      parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).tracing,
    ).toBeUndefined();
  });

  it('names the variable of a bad URL', () => {
    expect(errorOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }).message).toBe(
      'OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:// or https:// URL, got "collector:4318"',
    );
    expect(errorOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317' }).message).toBe(
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: must be an http:// or https:// URL, got "grpc://collector:4317"',
    );
    expect(errorOf({ OTEL_SDK_DISABLED: 'yes' }).message).toBe(
      'OTEL_SDK_DISABLED: must be one of true, false, 1, 0, got "yes"',
    );
  });
});
