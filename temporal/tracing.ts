// OpenTelemetry tracing, off unless an OTLP endpoint is configured (config/env.ts).
// When on: one tracer provider per process exports over OTLP/HTTP (JSON); the Temporal client
// traces workflow starts, signals, updates and queries and passes the trace context on in
// Temporal headers; the worker traces each activity run, and the workflow interceptors (always
// in the bundle, see temporal/worker.ts) send the workflow's own spans out through a sink.
// When off, nothing is registered and the workflow spans go to a sink that drops them.
import type { IncomingMessage, RequestListener } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import type { ClientInterceptors } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  type OpenTelemetrySinks,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import { ScrubbingExporter } from './span-scrubber.js';

export interface TracingOptions {
  /** The full OTLP/HTTP traces URL (…/v1/traces). */
  tracesUrl: string;
  serviceName: string;
}

export interface Tracing {
  readonly tracer: Tracer;
  /** For `new Client({ interceptors })`: spans for start, signal, update, query, and context in headers. */
  readonly clientInterceptors: ClientInterceptors;
  /** For the worker: a span per activity run, a child of the workflow's span that scheduled it. */
  readonly activityInterceptors: ActivityInterceptorsFactory[];
  /** For the worker: the sink the workflow interceptors export their spans through. */
  readonly workflowSinks: InjectedSinks<OpenTelemetrySinks>;
  /** Wraps the API's request listener: one SERVER span per request, continuing an incoming `traceparent`. */
  traceRequests(handler: RequestListener): RequestListener;
  /** Flushes what is buffered and unregisters the global provider. */
  shutdown(): Promise<void>;
}

const TRACER_NAME = 'airlock';

export function startTracing(opts: TracingOptions): Tracing {
  const resource = Resource.default().merge(new Resource({ [ATTR_SERVICE_NAME]: opts.serviceName }));
  const exporter = new ScrubbingExporter(new OTLPTraceExporter({ url: opts.tracesUrl }));
  const processor = new BatchSpanProcessor(exporter, {
    scheduledDelayMillis: 1_000,
  });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  // Global: the interceptors propagate context through `propagation` and `context`, which need
  // the W3C propagator and the AsyncLocalStorage context manager registered here.
  provider.register();
  const tracer = provider.getTracer(TRACER_NAME);
  let stopped: Promise<void> | undefined;
  return {
    tracer,
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] },
    activityInterceptors: [
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    workflowSinks: { exporter: makeWorkflowExporter(processor, resource) },
    traceRequests: (handler) => (req, res) => {
      const method = req.method ?? 'GET';
      const parent = propagation.extract(context.active(), req.headers);
      const span = tracer.startSpan(
        method,
        {
          kind: SpanKind.SERVER,
          attributes: { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_PATH]: (req.url ?? '/').split('?')[0] },
        },
        parent,
      );
      res.once('close', () => {
        // Express leaves the matched route on the request: name the span after the template, not the id.
        const route = routeOf(req);
        if (route) {
          span.updateName(`${method} ${route}`);
          span.setAttribute(ATTR_HTTP_ROUTE, route);
        }
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      });
      context.with(trace.setSpan(parent, span), () => handler(req, res));
    },
    shutdown() {
      stopped ??= provider.shutdown().finally(() => {
        trace.disable();
        context.disable();
        propagation.disable();
      });
      return stopped;
    },
  };
}

function routeOf(req: IncomingMessage): string | undefined {
  const r = req as IncomingMessage & { baseUrl?: string; route?: { path?: unknown } };
  return typeof r.route?.path === 'string' ? `${r.baseUrl ?? ''}${r.route.path}` : undefined;
}
