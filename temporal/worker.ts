// Builds the Airlock worker: the action-request workflow, the history archiver and the activities
// over injected dependencies. Tests pass a prebuilt workflow bundle so it is built once per run.
// The payload codec runs here (outside the workflow sandbox); the bundle carries the failure
// converter (messages encoded, hence encrypted) and, when tracing is on, the OpenTelemetry
// workflow interceptors (workflowBundleOptions). They never change what a workflow does, so a
// history replays the same with or without them; left out, they cost nothing: they double the
// bundle's modules, which every new workflow evaluates (worker CPU and memory).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry';
import { type BundleOptions, type InjectedSinks, type NativeConnection, Worker } from '@temporalio/worker';
import { type ActivityDeps, createActivities } from '../activities/index.js';
import type { AuditEventInput } from '../audit/types.js';
import { bundleInChildProcess } from './bundle.js';
import type { EncryptionCodec } from './codec.js';
import type { Tracing } from './tracing.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** Exports `failureConverter`: a DefaultFailureConverter with encodeCommonAttributes. */
export const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('./failure-converter.cjs', import.meta.url));

/** The OpenTelemetry workflow interceptors (RunWorkflow, StartActivity… spans, exported through a sink). */
export const WORKFLOW_INTERCEPTOR_MODULES = [
  fileURLToPath(new URL('./workflow-interceptors.ts', import.meta.url)),
];

/** What every workflow bundle is built with, at worker start or ahead of time (tests). */
export function workflowBundleOptions({
  tracing,
}: {
  tracing: boolean;
}): Pick<BundleOptions, 'workflowsPath' | 'workflowInterceptorModules' | 'failureConverterPath'> {
  return {
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: tracing ? WORKFLOW_INTERCEPTOR_MODULES : [],
    failureConverterPath: FAILURE_CONVERTER_PATH,
  };
}

/**
 * The workflow span sink of a worker without tracing: a bundle with the interceptors (the tests'
 * prebuilt one) may still run a workflow that a traced client started; its spans are dropped.
 * Defined here so that a worker without tracing never loads the OpenTelemetry SDK.
 */
export const DROP_WORKFLOW_SPANS: InjectedSinks<OpenTelemetrySinks> = {
  exporter: { export: { fn: () => {}, callDuringReplay: false } },
};

/** The data converter of every Temporal client and worker of the service. */
export function airlockDataConverter(codec?: PayloadCodec): DataConverter {
  return { failureConverterPath: FAILURE_CONVERTER_PATH, ...(codec ? { payloadCodecs: [codec] } : {}) };
}

/**
 * Stack frames kept per captured stack inside the workflow sandbox (V8's default is 10). The SDK
 * captures and source-maps a stack for every promise a workflow creates (for the Web UI's stack
 * trace query): with 10 frames its promise hook was a third of the workflow thread's CPU in a
 * profiled quick bench, and the thread's busy time fell from 55 to 45 s with 5. The
 * top frames, where a workflow waits or threw, are the ones that say anything.
 */
export const WORKFLOW_STACK_FRAMES = 5;

/**
 * The bundle with the frame limit set before anything else runs in the sandbox (the SDK freezes
 * its built-ins after loading the bundle). On the first line, so the source map's lines still hold.
 */
function limitStackFrames(code: string): string {
  return `Error.stackTraceLimit = ${WORKFLOW_STACK_FRAMES}; ${code}`;
}

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** Path of a prebuilt bundle (bundleWorkflowCode); omitted = bundle at start. */
  workflowBundlePath?: string;
  /** Encrypts what the worker sends to Temporal and decrypts what it receives; plaintext is refused. */
  payloadCodec: EncryptionCodec;
  /** Metrics hook: sees each activity's audit events after they were appended (never throws). */
  onAudit?: (events: AuditEventInput[]) => Promise<void>;
  /** How many workflows stay in memory between their tasks (maxCachedWorkflows). */
  cachedWorkflows?: number;
  /** OpenTelemetry (temporal/tracing.ts); without it activities are not traced and workflow spans are dropped. */
  tracing?: Tracing;
}

export async function createAirlockWorker(opts: WorkerOptions): Promise<Worker> {
  const activities = createActivities(opts.onAudit ? { ...opts.deps, onAudit: opts.onAudit } : opts.deps);
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities,
    dataConverter: airlockDataConverter(opts.payloadCodec.refusingUnencrypted()),
    // A prebuilt bundle must have been built with workflowBundleOptions() (the worker cannot add to it).
    workflowBundle: {
      code: limitStackFrames(
        opts.workflowBundlePath
          ? await readFile(opts.workflowBundlePath, 'utf8')
          : await bundleInChildProcess(workflowBundleOptions({ tracing: opts.tracing !== undefined })),
      ),
    },
    interceptors: { activity: opts.tracing?.activityInterceptors ?? [] },
    ...(opts.cachedWorkflows ? { maxCachedWorkflows: opts.cachedWorkflows } : {}),
    sinks: opts.tracing?.workflowSinks ?? DROP_WORKFLOW_SPANS,
    // Deterministic shutdown: in-flight activities get this long to finish on SIGTERM.
    shutdownGraceTime: '10s',
  });
}
