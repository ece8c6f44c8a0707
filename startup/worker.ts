// The worker role: the Temporal worker with every activity's dependencies, and the Schedule that
// archives closed histories into the audit store.
import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { ActivityDeps } from '../activities/index.js';
import type { createMetrics } from '../api/metrics.js';
import { formatDuration } from '../config/duration.js';
import type { AirlockEnv } from '../config/env.js';
import { ConfigError } from '../config/errors.js';
import { ensureArchiverSchedule, namespaceRetentionMs } from '../temporal/archiver-schedule.js';
import type { EncryptionCodec } from '../temporal/codec.js';
import { installRuntimeLogger } from '../temporal/runtime-logger.js';
import type { Tracing } from '../temporal/tracing.js';
import { createAirlockWorker } from '../temporal/worker.js';
import type { Lifetime } from './lifetime.js';

export interface WorkerPhase {
  env: AirlockEnv;
  temporalAddress: string;
  client: Client;
  codec: EncryptionCodec;
  metrics: ReturnType<typeof createMetrics>;
  tracing: Tracing | undefined;
  workflowBundlePath?: string;
  deps: ActivityDeps;
  logger: Logger;
  lifetime: Lifetime;
}

/** Runs the worker and schedules the archiver; answers the Schedule's id. */
export async function startWorker(p: WorkerPhase): Promise<string> {
  const { env, logger } = p;
  installRuntimeLogger(logger, { prometheusBindAddress: env.temporal.metricsAddress });
  const nativeConnection = await NativeConnection.connect({ address: p.temporalAddress });
  const worker = await createAirlockWorker({
    connection: nativeConnection,
    namespace: env.temporal.namespace,
    taskQueue: env.temporal.taskQueue,
    workflowBundlePath: p.workflowBundlePath,
    payloadCodec: p.codec,
    onAudit: (events) => p.metrics.observeAudit(events),
    tracing: p.tracing,
    cachedWorkflows: env.workerCachedWorkflows,
    deps: p.deps,
  });
  const running = worker.run();
  logger.info({ taskQueue: env.temporal.taskQueue, namespace: env.temporal.namespace }, 'worker running');
  p.lifetime.onStop(async () => {
    worker.shutdown();
    await running;
    await nativeConnection.close();
  });
  return startArchiveSchedule(env, p.client, logger);
}

/** Creates or updates the archiver's Schedule; its interval must sit well within the retention. */
async function startArchiveSchedule(env: AirlockEnv, client: Client, logger: Logger): Promise<string> {
  const retentionMs = await namespaceRetentionMs(client, env.temporal.namespace);
  if (retentionMs !== undefined && env.archive.intervalMs * 2 > retentionMs) {
    throw new ConfigError([
      `AIRLOCK_ARCHIVE_INTERVAL: ${formatDuration(env.archive.intervalMs)} is not well within the namespace retention of ${formatDuration(retentionMs)}; use at most ${formatDuration(Math.floor(retentionMs / 2))}`,
    ]);
  }
  const { scheduleId, created } = await ensureArchiverSchedule(client, {
    taskQueue: env.temporal.taskQueue,
    intervalMs: env.archive.intervalMs,
  });
  logger.info(
    { scheduleId, created, every: formatDuration(env.archive.intervalMs), retentionMs },
    'history archiver scheduled',
  );
  return scheduleId;
}
