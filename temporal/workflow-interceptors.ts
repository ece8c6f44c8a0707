// Workflow interceptors for OpenTelemetry, run inside the workflow sandbox (bundled with the
// workflows, see workflowBundleOptions in temporal/worker.ts). They trace what the package
// @temporalio/interceptors-opentelemetry traces (the run, each activity it schedules, inbound
// signals and updates) with the same span names and the same `_tracer-data` header, and export
// through the same `exporter` sink, so the package's client and activity interceptors and
// makeWorkflowExporter work with them. Unlike the package's workflow interceptors they leave the
// workflow's behaviour exactly as it was, so they can be in every bundle, tracing on or off, and
// histories recorded before them still replay (test/integration/replay.test.ts):
// - span and trace ids do not come from Math.random, which in the sandbox is the workflow's seeded
//   generator behind uuid4(): with the package's interceptors every uuid4() after the first span
//   changes (a gate token, say) and the gate-redeem-complete history fails to replay;
// - they never add an await: each returns the very promise `next` returned and ends its span on
//   the side, so results reach the workflow code in the same microtask order as without them.
import '@temporalio/interceptors-opentelemetry/lib/workflow/runtime.js';
import * as otel from '@opentelemetry/api';
import { BasicTracerProvider, type IdGenerator, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ApplicationFailureCategory } from '@temporalio/common';
import {
  extractContextFromHeaders,
  headersWithContext,
  TRACE_HEADER,
  UPDATE_ID_ATTR_KEY,
} from '@temporalio/interceptors-opentelemetry/lib/instrumentation.js';
import { ContextManager } from '@temporalio/interceptors-opentelemetry/lib/workflow/context-manager.js';
import { SpanName } from '@temporalio/interceptors-opentelemetry/lib/workflow/definitions.js';
import { SpanExporter } from '@temporalio/interceptors-opentelemetry/lib/workflow/span-exporter.js';
import {
  type ActivityInput,
  ApplicationFailure,
  ContinueAsNew,
  type LocalActivityInput,
  type Next,
  type SignalInput,
  type UpdateInput,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
  type WorkflowOutboundCallsInterceptor,
  workflowInfo,
} from '@temporalio/workflow';

let tracer: otel.Tracer | undefined;
let contextManager: ContextManager | undefined;
/**
 * Whether this run is traced: only when its start carried a trace context, i.e. the client that
 * started it had tracing on. Untraced runs skip everything here (no provider, no spans, no sink
 * calls), which spares each activation that work when tracing is off. Decided from the
 * start event's headers, so it is the same on every replay.
 */
let tracedRun = false;
const carriesTrace = (headers: Record<string, unknown>) => headers[TRACE_HEADER] !== undefined;

/**
 * Span and trace ids without Math.random: in the sandbox it is the workflow's seeded generator, the
 * one uuid4() draws from, so the SDK's default id generator would change every id the workflow
 * makes after the first span (a gate token, say) and histories recorded before would not replay.
 * A trace started here takes the run id (a UUID, 32 hex digits); spans hash the run id and a counter.
 */
let spanSequence = 0;
const idGenerator: IdGenerator = {
  generateTraceId: () => workflowInfo().runId.replace(/-/g, '').toLowerCase().padEnd(32, '0').slice(0, 32),
  generateSpanId: () => {
    const key = `${workflowInfo().runId}/${++spanSequence}`;
    return `${fnv1a(key, 0x811c9dc5)}${fnv1a(key, 0x01000193)}`;
  },
};

/** 32-bit FNV-1a as 8 hex digits. */
function fnv1a(text: string, seed: number): string {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h || 1).toString(16).padStart(8, '0');
}

/**
 * Spans that end while the workflow replays its history were exported when it first ran; dropping
 * them here (rather than in the sink, which would too) spares replay-only workers, which register
 * no sink, an "unregistered external sink" error per span.
 */
class LiveSpanExporter extends SpanExporter {
  override export(...[spans, done]: Parameters<SpanExporter['export']>): void {
    if (workflowInfo().unsafe.isReplaying) done({ code: 0 });
    else super.export(spans, done);
  }
}

function getTracer(): otel.Tracer {
  if (!tracer) {
    contextManager = new ContextManager();
    const provider = new BasicTracerProvider({ idGenerator });
    provider.addSpanProcessor(new SimpleSpanProcessor(new LiveSpanExporter()));
    provider.register({ contextManager });
    tracer = provider.getTracer('@temporalio/interceptor-workflow');
  }
  return tracer;
}

/** The trace context a message carried; the provider (and its propagator) is registered first. */
function parentFrom(headers: Parameters<typeof extractContextFromHeaders>[0]): otel.Context {
  getTracer();
  return extractContextFromHeaders(headers) ?? otel.context.active();
}

function failureKind(err: unknown): string {
  if (err instanceof ApplicationFailure && err.type) return err.type;
  return err instanceof Error ? err.name : 'Error';
}

/** Ends `span` when `promise` settles, without changing `promise` or when it settles for anyone else. */
function endWhenSettled<T>(span: otel.Span, promise: Promise<T>): Promise<T> {
  promise.then(
    () => {
      span.setStatus({ code: otel.SpanStatusCode.OK });
      span.end();
    },
    (err: unknown) => {
      if (err instanceof ContinueAsNew) {
        span.setStatus({ code: otel.SpanStatusCode.OK });
      } else {
        const benign =
          err instanceof ApplicationFailure && err.category === ApplicationFailureCategory.BENIGN;
        // The kind of failure only: messages may carry what history keeps encrypted.
        span.setStatus({
          code: benign ? otel.SpanStatusCode.UNSET : otel.SpanStatusCode.ERROR,
          message: failureKind(err),
        });
      }
      span.end();
    },
  );
  return promise;
}

/** Runs `fn` with a new span active (a child of `parent`), returning exactly what `fn` returns. */
function traced<T>(
  name: string,
  parent: otel.Context,
  attributes: otel.Attributes,
  fn: () => Promise<T>,
): Promise<T> {
  const span = getTracer().startSpan(name, { attributes }, parent);
  let result: Promise<T>;
  try {
    result = otel.context.with(otel.trace.setSpan(parent, span), fn);
  } catch (err) {
    span.setStatus({ code: otel.SpanStatusCode.ERROR, message: failureKind(err) });
    span.end();
    throw err;
  }
  return endWhenSettled(span, result);
}

class Inbound implements WorkflowInboundCallsInterceptor {
  execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) {
    tracedRun = carriesTrace(input.headers);
    if (!tracedRun) return next(input);
    const parent = parentFrom(input.headers);
    return traced(`${SpanName.WORKFLOW_EXECUTE}:${workflowInfo().workflowType}`, parent, {}, () =>
      next(input),
    );
  }

  handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>) {
    if (!carriesTrace(input.headers)) return next(input);
    const parent = parentFrom(input.headers);
    return traced(`${SpanName.WORKFLOW_HANDLE_SIGNAL}:${input.signalName}`, parent, {}, () => next(input));
  }

  handleUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>) {
    if (!carriesTrace(input.headers)) return next(input);
    const parent = parentFrom(input.headers);
    return traced(
      `${SpanName.WORKFLOW_HANDLE_UPDATE}:${input.name}`,
      parent,
      { [UPDATE_ID_ATTR_KEY]: input.updateId },
      () => next(input),
    );
  }
}

class Outbound implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
    if (!tracedRun) return next(input);
    return traced(`${SpanName.ACTIVITY_START}:${input.activityType}`, otel.context.active(), {}, () =>
      next({ ...input, headers: headersWithContext(input.headers) }),
    );
  }

  scheduleLocalActivity(
    input: LocalActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
  ) {
    if (!tracedRun) return next(input);
    return traced(`${SpanName.ACTIVITY_START}:${input.activityType}`, otel.context.active(), {}, () =>
      next({ ...input, headers: headersWithContext(input.headers) }),
    );
  }
}

export const interceptors = (): WorkflowInterceptors => {
  return {
    inbound: [new Inbound()],
    outbound: [new Outbound()],
    internals: [
      {
        dispose(input, next) {
          contextManager?.disable();
          next(input);
        },
      },
    ],
  };
};
