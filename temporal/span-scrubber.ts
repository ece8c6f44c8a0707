// Spans leave the service without failure messages or stack traces: those may carry what
// Temporal history keeps encrypted, and the package's activity interceptor records
// every exception it sees. The kind of failure (exception.type, the status code) stays.
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

export class ScrubbingExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    this.inner.export(spans.map(scrubSpan), done);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** The same span (its other fields read through the prototype) minus messages and stacks. */
export function scrubSpan(span: ReadableSpan): ReadableSpan {
  const events = span.events.map((e) =>
    e.name === 'exception' && e.attributes
      ? { ...e, attributes: { 'exception.type': e.attributes['exception.type'] ?? 'Error' } }
      : e,
  );
  const status = { code: span.status.code };
  return Object.assign(Object.create(span) as ReadableSpan, { events, status });
}
