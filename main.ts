// The composition root: start-up in phases (startup/): keys, the API listener, the service
// configuration, the policy and the audit store, Temporal (a local dev server when no
// TEMPORAL_ADDRESS is given), the channels, then the worker and/or the API as AIRLOCK_ROLE says.
// Every real client is wired here and nowhere else.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { callbackSigningSecret } from './activities/callback.js';
import { bannerText, DEMO_REQUESTER } from './api/banner.js';
import { labelBoundsOf } from './api/metric-labels.js';
import { createMetrics } from './api/metrics.js';
import type { AuditStore } from './audit/store.js';
import type { ChannelAdapter } from './bots/channel.js';
import type { ChannelPluginFactory } from './bots/plugin.js';
import { RefusalRecorder } from './bots/refusals.js';
import { type DemoSecrets, loadDemoSecrets } from './config/demo-secrets.js';
import { type AirlockEnv, parseEnv } from './config/env.js';
import { ConfigError } from './config/errors.js';
import { buildKeyring } from './lib/keys.js';
import { apiHandler } from './startup/api.js';
import { startChannels } from './startup/channels.js';
import { loadConfig } from './startup/config.js';
import { routeConsoleToLogger } from './startup/console.js';
import { closeServer, listen, listenMetrics, localUrl, portOf, serve } from './startup/http.js';
import { createLogger, Lifetime } from './startup/lifetime.js';
import { openAuditStore, openPolicy, openRequests } from './startup/stores.js';
import { actionClientFor, connectTemporal, temporalClient } from './startup/temporal.js';
import { startWorker } from './startup/worker.js';
import { EncryptionCodec } from './temporal/codec.js';
import { MessageProver } from './temporal/message-proof.js';
import { startSeedSweeper } from './temporal/seed-sweeper.js';
import { stateSealer } from './temporal/state-snapshot.js';
import type { Tracing } from './temporal/tracing.js';

export interface StartOptions {
  /** Prebuilt workflow bundle (tests build it once). */
  workflowBundlePath?: string;
  logger?: Logger;
  /** Print the newcomer banner (npm start). */
  banner?: boolean;
  /** Chat channel adapters (tests pass fakes of Teams and Slack). */
  channels?: ChannelAdapter[];
  /** Channel plugins to start in addition to those the environment configures. */
  plugins?: ChannelPluginFactory[];
}

export interface RunningAirlock {
  env: AirlockEnv;
  /** Where this process's API listens (loopback), when it runs the API. */
  url?: string;
  publicUrl: string;
  temporalAddress: string;
  temporalUiUrl?: string;
  demo?: DemoSecrets;
  /** The Temporal Schedule running the history archiver (when this process runs the worker). */
  archiveScheduleId?: string;
  stop(): Promise<void>;
}

export async function startAirlock(
  rawEnv: NodeJS.ProcessEnv,
  opts: StartOptions = {},
): Promise<RunningAirlock> {
  const env = parseEnv(rawEnv);
  const logger = opts.logger ?? createLogger(env.logLevel);
  const dataDir = resolve(env.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const lifetime = new Lifetime(logger);
  const restoreConsole = routeConsoleToLogger(logger);
  lifetime.onStop(async () => restoreConsole());

  try {
    const demo = env.demoMode ? loadDemoSecrets(dataDir) : undefined;
    const keys = keysOf(env, demo);
    const tracing = await startTracing(env, logger, lifetime);

    // The API listens first, so PORT=0 works and the public URL names the real port.
    const server = env.role !== 'worker' ? await listen(env.port, env.host) : undefined;
    if (server) lifetime.onStop(() => closeServer(server));
    const publicUrl = server && !env.publicUrlExplicit ? `http://localhost:${portOf(server)}` : env.publicUrl;

    let audit: AuditStore | undefined;
    const { config, executors, upstreams } = await loadConfig(env, rawEnv, {
      publicUrl,
      demo,
      audit: () => audit!,
      logger,
      lifetime,
    });
    const policy = await openPolicy(env.policyPath, logger, lifetime);
    const stores = await openAuditStore(env, dataDir, logger, lifetime);
    audit = stores.audit;
    const { db } = stores;
    // One registry per process: the API's series and pending gauge, the worker's audit-derived series.
    const metrics = createMetrics({
      openRequests: env.role !== 'worker' ? () => openRequests(db) : undefined,
      eventsFor: env.role !== 'api' ? (id) => stores.audit.eventsFor(id) : undefined,
      labels: labelBoundsOf(config),
    });

    const temporal = await connectTemporal(env, {
      dataDir,
      logger,
      lifetime,
      publicUrl,
      ...(server ? { codecEndpoint: `${publicUrl}/codec` } : {}),
    });
    const readiness = {
      temporal: async () => void (await temporal.connection.workflowService.getSystemInfo({})),
      database: async () => void (await db.query('SELECT 1')),
    };
    if (env.metrics.port !== undefined) {
      // /metrics, /healthz and /readyz on a small listener of their own (a worker-only process has
      // no other; an API process then serves /metrics only there, e.g. on an internal interface).
      const metricsServer = await listenMetrics(
        env.metrics.port,
        metrics.render,
        readiness,
        env.metrics.token,
      );
      lifetime.onStop(() => closeServer(metricsServer));
      logger.info({ port: portOf(metricsServer) }, 'metrics listening');
    }
    const client = temporalClient(env, temporal.connection, keys.codec, tracing);
    const sealer = stateSealer(keys.codec);
    const actions = actionClientFor(env, client, keys.prover, stores.audit, sealer);
    // Orphaned starting states (the API died between storing one and starting its workflow).
    if (env.role !== 'worker') {
      const stopSweeper = startSeedSweeper({ audit: stores.audit, client, logger });
      lifetime.onStop(async () => stopSweeper());
    }
    const refusals = new RefusalRecorder(actions, stores.audit, logger);
    const { plugins, channels } = await startChannels({
      env,
      policy,
      actions,
      refusals,
      db,
      logger,
      publicUrl,
      metrics,
      lifetime,
      extraPlugins: opts.plugins,
      extraAdapters: opts.channels,
    });

    const archiveScheduleId =
      env.role === 'api'
        ? undefined
        : await startWorker({
            env,
            temporalAddress: temporal.address,
            client,
            codec: keys.codec,
            metrics,
            tracing,
            workflowBundlePath: opts.workflowBundlePath,
            logger,
            lifetime,
            deps: {
              policy,
              audit: stores.audit,
              channels,
              executors,
              config,
              masterKey: keys.masterKey,
              prover: keys.prover,
              logger,
              stateSealer: sealer,
              evidence: { client, taskQueue: env.temporal.taskQueue, signing: keys.keyring.signing },
            },
          });

    if (server) {
      serve(
        server,
        apiHandler({
          env,
          config,
          actions,
          policy,
          audit: stores.audit,
          executors,
          masterKey: keys.masterKey,
          keyring: keys.keyring,
          codec: keys.codec,
          publicUrl,
          temporalUiUrl: temporal.uiUrl,
          metrics,
          readiness,
          plugins,
          demo,
          upstreams,
          tracing,
          logger,
          lifetime,
        }),
      );
    }

    if (opts.banner) {
      process.stdout.write(
        bannerText({
          publicUrl,
          host: env.host,
          temporalAddress: temporal.address,
          temporalUiUrl: temporal.uiUrl,
          demo,
          callbackSecret: callbackSigningSecret({ config, masterKey: keys.masterKey }, DEMO_REQUESTER),
        }),
      );
    }
    return {
      env,
      url: server ? localUrl(server) : undefined,
      publicUrl,
      temporalAddress: temporal.address,
      temporalUiUrl: temporal.uiUrl,
      demo,
      archiveScheduleId,
      stop: () => lifetime.stop(),
    };
  } catch (err) {
    await lifetime.stop();
    throw err;
  }
}

/** The master key (demo mode keeps one in the data directory) and what is derived from it (lib/keys.ts). */
function keysOf(env: AirlockEnv, demo: DemoSecrets | undefined) {
  const masterKey = env.encryptionKey ?? demo?.masterKey;
  if (!masterKey) {
    throw new ConfigError(['AIRLOCK_ENCRYPTION_KEY: required outside demo mode (base64 of 32 random bytes)']);
  }
  const keyring = buildKeyring(masterKey, env.previousEncryptionKeys);
  return {
    masterKey,
    keyring,
    codec: new EncryptionCodec(keyring.payload, keyring.payloadKeys),
    prover: new MessageProver([masterKey, ...env.previousEncryptionKeys]),
  };
}

/** Off unless an OTLP endpoint is configured; stopped last, so it flushes the others' spans. */
async function startTracing(
  env: AirlockEnv,
  logger: Logger,
  lifetime: Lifetime,
): Promise<Tracing | undefined> {
  if (!env.tracing) return undefined;
  // Imported only when used: the OpenTelemetry SDK weighs on every process's memory.
  const tracing = (await import('./temporal/tracing.js')).startTracing(env.tracing);
  lifetime.onStop(() => tracing.shutdown());
  const { tracesUrl, serviceName } = env.tracing;
  logger.info({ endpoint: new URL(tracesUrl).origin, serviceName }, 'OpenTelemetry tracing on');
  return tracing;
}

async function main(): Promise<void> {
  let running: RunningAirlock;
  try {
    running = await startAirlock(process.env, { banner: true });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Airlock cannot start:\n${err.message}\n`);
    } else {
      process.stderr.write(`Airlock cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: stopping (the worker drains, the dev server stops)...\n`);
    running
      .stop()
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main();
}
