// Builds the Airlock worker: the action-request workflow, the history archiver and the activities
// over injected dependencies. Tests pass a prebuilt workflow bundle so it is built once per run.
// The payload codec runs here (outside the workflow sandbox), so the bundle needs nothing.
import { fileURLToPath } from 'node:url';
import type { PayloadCodec } from '@temporalio/common';
import { type NativeConnection, Worker } from '@temporalio/worker';
import { type ActivityDeps, createActivities } from '../activities/index.js';
import type { AuditEventInput } from '../audit/types.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** Path of a prebuilt bundle (bundleWorkflowCode); omitted = bundle at start. */
  workflowBundlePath?: string;
  /** Encrypts what the worker sends to Temporal and decrypts what it receives. */
  payloadCodec?: PayloadCodec;
  /** Metrics hook: sees every audit event after recordAudit appended it (never throws). */
  onAudit?: (event: AuditEventInput) => Promise<void>;
}

export async function createAirlockWorker(opts: WorkerOptions): Promise<Worker> {
  const activities = createActivities(opts.deps);
  const onAudit = opts.onAudit;
  if (onAudit) {
    const append = activities.recordAudit;
    activities.recordAudit = async (event: AuditEventInput) => {
      await append(event);
      await onAudit(event);
    };
  }
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities,
    ...(opts.payloadCodec ? { dataConverter: { payloadCodecs: [opts.payloadCodec] } } : {}),
    ...(opts.workflowBundlePath
      ? { workflowBundle: { codePath: opts.workflowBundlePath } }
      : { workflowsPath: WORKFLOWS_PATH }),
    // Deterministic shutdown: in-flight activities get this long to finish on SIGTERM.
    shutdownGraceTime: '10s',
  });
}
