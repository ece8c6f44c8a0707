// The composition root: reads the configuration, starts a local Temporal dev server when no
// TEMPORAL_ADDRESS is given, opens the audit store (PGlite or PostgreSQL), and runs the worker
// and/or the API as AIRLOCK_ROLE says. Every real client is wired here and nowhere else.
import { mkdirSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import pino, { type Logger } from 'pino';
import { callbackSigningSecret } from './activities/callback.js';
import { createApp } from './api/app.js';
import { createAuthenticator } from './api/auth.js';
import { bannerText, DEMO_REQUESTER } from './api/banner.js';
import { demoEchoRouter } from './api/demo.js';
import { labelBoundsOf } from './api/metric-labels.js';
import { createMetrics, type OpenRequestCount } from './api/metrics.js';
import { mayScrape, SCRAPE_REFUSED } from './api/metrics-access.js';
import type { SqlDb } from './audit/db.js';
import { openPostgres } from './audit/db-postgres.js';
import { auditPrivileges } from './audit/hardening.js';
import { buildKeyring } from './audit/keys.js';
import { migrate } from './audit/migrate.js';
import { AuditStore } from './audit/store.js';
import { type ChannelAdapter, ChannelRouter } from './bots/channel.js';
import type { ChannelPlugin, ChannelPluginFactory } from './bots/plugin.js';
import { RefusalRecorder } from './bots/refusals.js';
import { type DemoSecrets, loadDemoSecrets } from './config/demo-secrets.js';
import { formatDuration } from './config/duration.js';
import { type AirlockEnv, parseEnv } from './config/env.js';
import { ConfigError } from './config/errors.js';
import { loadServiceConfig } from './config/service.js';
import type { ServiceConfig } from './config/types.js';
import { createBuiltinRegistry } from './executors/index.js';
import { createMcpCallExecutor } from './executors/mcp-call.js';
import { auditCallLedger } from './mcp/call-ledger.js';
import { McpSessions } from './mcp/http.js';
import { UpstreamPool } from './mcp/upstreams.js';
import { PolicyLoadError } from './policy/load.js';
import { PolicyStore } from './policy/store.js';
import { ensureTemporalCli } from './scripts/ensure-temporal.mjs';
import { ActionClient } from './temporal/action-client.js';
import { ensureArchiverSchedule, namespaceRetentionMs } from './temporal/archiver-schedule.js';
import { EncryptionCodec } from './temporal/codec.js';
import { type DevServer, startDevServer, startDownloadedDevServer } from './temporal/dev-server.js';
import { MessageProver } from './temporal/message-proof.js';
import { installRuntimeLogger } from './temporal/runtime-logger.js';
import { ensureSearchAttributes } from './temporal/search-attributes.js';
import { startSeedSweeper } from './temporal/seed-sweeper.js';
import { stateSealer } from './temporal/state-snapshot.js';
import type { Tracing } from './temporal/tracing.js';
import { airlockDataConverter, createAirlockWorker } from './temporal/worker.js';
import { indexRow, initialState } from './workflows/state.js';

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
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of cleanups.reverse()) {
      await fn().catch((err: unknown) => logger.warn({ err: String(err) }, 'shutdown step failed'));
    }
    cleanups.length = 0;
  };

  try {
    const demo = env.demoMode ? loadDemoSecrets(dataDir) : undefined;
    const masterKey = env.encryptionKey ?? demo?.masterKey;
    if (!masterKey) {
      throw new ConfigError([
        'AIRLOCK_ENCRYPTION_KEY: required outside demo mode (base64 of 32 random bytes)',
      ]);
    }
    // The master key derives the payload-encryption key and the audit signing key (audit/keys.ts).
    const keyring = buildKeyring(masterKey, env.previousEncryptionKeys);
    const codec = new EncryptionCodec(keyring.payload, keyring.payloadKeys);
    const prover = new MessageProver([masterKey, ...env.previousEncryptionKeys]);
    // Off unless an OTLP endpoint is configured; shut down last, so it flushes the others' spans.
    // Imported only when used: the Teams SDK alone adds ~120 MB to a process (issue 7, RSS).
    const tracing: Tracing | undefined = env.tracing
      ? (await import('./temporal/tracing.js')).startTracing(env.tracing)
      : undefined;
    if (tracing) cleanups.push(() => tracing.shutdown());
    if (env.tracing) {
      const { tracesUrl, serviceName } = env.tracing;
      logger.info({ endpoint: new URL(tracesUrl).origin, serviceName }, 'OpenTelemetry tracing on');
    }

    // Listen first, so PORT=0 works and the public URL names the real port.
    let server: Server | undefined;
    let publicUrl = env.publicUrl;
    if (env.role !== 'worker') {
      server = await listen(env.port, env.host);
      cleanups.push(() => closeServer(server!));
      const port = (server.address() as AddressInfo).port;
      if (!rawEnv.AIRLOCK_PUBLIC_URL?.trim()) publicUrl = `http://localhost:${port}`;
    }

    const configEnv = {
      ...rawEnv,
      AIRLOCK_PUBLIC_URL: publicUrl,
      ...(demo ? { AIRLOCK_DEMO_TARGET_SECRET: demo.targetSecret } : {}),
    };
    const config: ServiceConfig = await loadServiceConfig(env.configPath, configEnv);
    if (demo) config.apiKeys.push(...demo.apiKeys);
    const executors = createBuiltinRegistry();
    // Upstream MCP servers: the API lists their tools, the worker's mcp.call calls them.
    const upstreams = new UpstreamPool(config.mcp?.upstreams ?? {}, logger);
    cleanups.push(() => upstreams.close());
    executors.register(
      createMcpCallExecutor(
        upstreams,
        auditCallLedger(() => audit),
      ),
    );
    const configProblems = executors.checkConfig(config);
    if (configProblems.length > 0)
      throw new ConfigError(configProblems.map((p) => `${env.configPath}: ${p}`));

    const policy = await openPolicy(env.policyPath, logger);
    cleanups.push(async () => policy.close());
    const onHup = () => void policy.reload();
    process.on('SIGHUP', onHup);
    cleanups.push(async () => void process.off('SIGHUP', onHup));

    const db: SqlDb = env.databaseUrl
      ? await openPostgres(env.databaseUrl)
      : await (await import('./audit/db-pglite.js')).openPglite(resolve(dataDir, 'pglite'));
    cleanups.push(() => db.close());
    await migrateAuditSchema(env, db, logger);
    const audit = new AuditStore(db);
    // One registry per process: the API's series and pending gauge, the worker's audit-derived series.
    const metrics = createMetrics({
      openRequests: env.role !== 'worker' ? () => openRequests(db) : undefined,
      eventsFor: env.role !== 'api' ? (id) => audit.eventsFor(id) : undefined,
      labels: labelBoundsOf(config),
    });

    let temporalAddress = env.temporal.address;
    let temporalUiUrl = env.temporal.uiUrl;
    if (!temporalAddress) {
      // The Web UI asks this service's codec server to decrypt payloads (CORS + auth, api/codec-routes.ts).
      const codecEndpoint = server ? `${publicUrl}/codec` : undefined;
      const devServer = await startLocalTemporal(env, dataDir, logger, codecEndpoint);
      cleanups.push(() => devServer.stop());
      temporalAddress = devServer.address;
      // Named like the public URL (localhost, not 127.0.0.1): the codec session cookie is
      // SameSite=Strict, and the UI and the codec endpoint must be the same site to carry it.
      temporalUiUrl ??= devServer.uiUrl && loopbackLike(devServer.uiUrl, publicUrl);
    }
    const connection = await Connection.connect({ address: temporalAddress });
    cleanups.push(() => connection.close());
    const readiness = {
      temporal: async () => void (await connection.workflowService.getSystemInfo({})),
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
      cleanups.push(() => closeServer(metricsServer));
      logger.info({ port: (metricsServer.address() as AddressInfo).port }, 'metrics listening');
    }
    const added = await ensureSearchAttributes(connection, env.temporal.namespace);
    if (added.length) logger.info({ added }, 'registered search attributes');
    const client = new Client({
      connection,
      namespace: env.temporal.namespace,
      dataConverter: airlockDataConverter(codec),
      ...(tracing ? { interceptors: tracing.clientInterceptors } : {}),
    });
    const sealer = stateSealer(codec);
    // GET reads the state the workflow last wrote (sealed) and queries the workflow only without one.
    const actions = new ActionClient(client, env.temporal.taskQueue, prover, {
      snapshot: async (requestId) => {
        const sealed = await audit.stateSnapshot(requestId);
        return sealed === undefined ? undefined : sealer.open(requestId, sealed);
      },
      seed: {
        store: async (input) => {
          const state = initialState(input, input.submittedAt);
          await audit.seedRequestIndex(indexRow(state), await sealer.seal(state));
        },
        remove: (requestId) => audit.dropSeededRequest(requestId),
      },
    });
    // Orphaned starting states (the API died between storing one and starting its workflow).
    if (env.role !== 'worker') {
      const stopSweeper = startSeedSweeper({ audit, client, logger });
      cleanups.push(async () => stopSweeper());
    }
    const plugins: ChannelPlugin[] = [];
    const refusals = new RefusalRecorder(actions, audit, logger);
    for (const factory of [...(await configuredPlugins(env)), ...(opts.plugins ?? [])]) {
      const plugin = await factory({ env, policy, actions, refusals, db, logger, publicUrl, metrics });
      plugins.push(plugin);
      if (plugin.close) cleanups.push(plugin.close);
    }
    const channels = new ChannelRouter([
      ...(opts.channels ?? []),
      ...plugins.flatMap((p) => (p.adapter ? [p.adapter] : [])),
    ]);

    let archiveScheduleId: string | undefined;
    if (env.role !== 'api') {
      installRuntimeLogger(logger, {
        prometheusBindAddress: rawEnv.TEMPORAL_METRICS_ADDRESS?.trim() || undefined,
      });
      const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
      const worker = await createAirlockWorker({
        connection: nativeConnection,
        namespace: env.temporal.namespace,
        taskQueue: env.temporal.taskQueue,
        workflowBundlePath: opts.workflowBundlePath,
        payloadCodec: codec,
        onAudit: (events) => metrics.observeAudit(events),
        tracing,
        cachedWorkflows: env.workerCachedWorkflows,
        deps: {
          policy,
          audit,
          channels,
          executors,
          config,
          masterKey,
          prover,
          logger,
          stateSealer: sealer,
          evidence: { client, taskQueue: env.temporal.taskQueue, signing: keyring.signing },
        },
      });
      const running = worker.run();
      logger.info({ taskQueue: env.temporal.taskQueue, namespace: env.temporal.namespace }, 'worker running');
      cleanups.push(async () => {
        worker.shutdown();
        await running;
        await nativeConnection.close();
      });
      archiveScheduleId = await startArchiveSchedule(env, client, logger);
    }

    if (server) {
      // Open MCP streams would hold the HTTP server's close: they end first (cleanups run in reverse).
      const mcpSessions = new McpSessions();
      cleanups.push(() => mcpSessions.closeAll());
      const app = createApp({
        actions,
        policy,
        config,
        audit,
        executors,
        authenticate: createAuthenticator({
          apiKeys: config.apiKeys,
          oidc: env.oidc
            ? {
                ...config.oidc,
                ...env.oidc,
                principalClaim: env.oidc.principalClaim ?? config.oidc?.principalClaim ?? 'email',
              }
            : undefined,
          onError: (err) => logger.warn({ err: String(err) }, 'authentication provider error'),
        }),
        masterKey,
        publicUrl,
        temporalUiUrl,
        namespace: env.temporal.namespace,
        logger,
        metrics,
        metricsAccess: { token: env.metrics.token, elsewhere: env.metrics.port !== undefined },
        rateLimits: env.rateLimits,
        readiness,
        extraRouters: [
          ...plugins.flatMap((p) => (p.router ? [p.router] : [])),
          ...(demo ? [demoEchoRouter(demo.targetSecret)] : []),
        ],
        evidence: {
          signing: keyring.signing,
          publishedKeys: keyring.signingKeys,
          codec,
          codecOrigins: codecOrigins(temporalUiUrl),
          codecSessionTtlMs: env.codecSessionTtlMs,
        },
        ...(env.oidc ? { oidc: { issuer: env.oidc.issuer } } : {}),
        mcp: { sessions: mcpSessions, upstreams },
      });
      serve(server, tracing ? tracing.traceRequests(app) : app);
    }

    const running: RunningAirlock = {
      env,
      url: server ? localUrl(server) : undefined,
      publicUrl,
      temporalAddress,
      temporalUiUrl,
      demo,
      archiveScheduleId,
      stop,
    };
    if (opts.banner) {
      process.stdout.write(
        bannerText({
          publicUrl,
          host: env.host,
          temporalAddress,
          temporalUiUrl,
          demo,
          callbackSecret: callbackSigningSecret({ config, masterKey }, DEMO_REQUESTER),
        }),
      );
    }
    return running;
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The chat channels the environment configures (TEAMS_*, SLACK_*). */
/** The channels the environment configures, each SDK imported only when its channel is on. */
async function configuredPlugins(env: AirlockEnv): Promise<ChannelPluginFactory[]> {
  const plugins: ChannelPluginFactory[] = [];
  if (env.teams) plugins.push((await import('./bots/teams/index.js')).createTeamsPlugin());
  if (env.slack) plugins.push((await import('./bots/slack/index.js')).createSlackPlugin());
  return plugins;
}

/** Opens the policy; a broken or missing file is a start-up ConfigError naming the file and field. */
async function openPolicy(path: string, logger: Logger): Promise<PolicyStore> {
  try {
    return await PolicyStore.open(path, {
      onReload: (p) => logger.info({ version: p.version }, 'policy reloaded'),
      onError: (err) =>
        logger.error({ err: err.message }, 'policy reload failed; keeping the previous policy'),
    });
  } catch (err) {
    if (err instanceof PolicyLoadError) throw new ConfigError(err.message.split('\n'));
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([`AIRLOCK_POLICY: cannot read the policy file ${path}${code ? ` (${code})` : ''}`]);
  }
}

/**
 * Migrates the audit schema, as the tables' owner when AIRLOCK_MIGRATION_DATABASE_URL is set, and
 * warns when the service's own role could change or drop evidence (docs/audit.md).
 */
async function migrateAuditSchema(env: AirlockEnv, db: SqlDb, logger: Logger): Promise<void> {
  if (env.migrationDatabaseUrl) {
    const owner = await openPostgres(env.migrationDatabaseUrl, { max: 1 });
    try {
      await migrate(owner);
    } finally {
      await owner.close();
    }
  }
  await migrate(db);
  if (db.kind !== 'postgres') return;
  const privileges = await auditPrivileges(db);
  if (!privileges.insertOnly) {
    logger.warn(
      {
        role: privileges.role,
        superuser: privileges.superuser,
        owns: privileges.owns,
        canModify: privileges.canModify,
      },
      'the service database role can alter or delete audit evidence; run it as an INSERT-only member of airlock_audit_writer (docs/audit.md)',
    );
  }
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

/** The Temporal UI's origin (and its loopback twin: localhost and 127.0.0.1 are different origins). */
function codecOrigins(uiUrl: string | undefined): string[] {
  if (!uiUrl) return [];
  const url = new URL(uiUrl);
  const origins = [url.origin];
  const twin =
    url.hostname === 'localhost' ? '127.0.0.1' : url.hostname === '127.0.0.1' ? 'localhost' : undefined;
  if (twin) origins.push(`${url.protocol}//${twin}${url.port ? `:${url.port}` : ''}`);
  return origins;
}

/** `url` on `like`'s loopback host name when both are loopback (127.0.0.1 vs localhost). */
function loopbackLike(url: string, like: string): string {
  const u = new URL(url);
  const host = new URL(like).hostname;
  const loopback = ['localhost', '127.0.0.1'];
  if (!loopback.includes(u.hostname) || !loopback.includes(host) || u.hostname === host) return url;
  u.hostname = host;
  return u.origin + u.pathname.replace(/\/+$/, '');
}

async function startLocalTemporal(
  env: AirlockEnv,
  dataDir: string,
  logger: Logger,
  codecEndpoint: string | undefined,
): Promise<DevServer> {
  const cliPath = ensureTemporalCli({
    log: (m) => logger.info(m),
    env: { ...process.env, ...(env.temporal.cliPath ? { TEMPORAL_CLI_PATH: env.temporal.cliPath } : {}) },
  });
  if (!cliPath) {
    logger.warn(
      'no Temporal CLI found and no Go toolchain to build it: letting the Temporal SDK download the CLI (needs internet; set TEMPORAL_CLI_PATH or TEMPORAL_ADDRESS to avoid this)',
    );
    return startDownloadedDevServer({
      dbFilename: resolve(dataDir, 'temporal.sqlite'),
      port: env.temporal.port ?? 7233,
      uiPort: env.temporal.uiPort ?? 8233,
      namespace: env.temporal.namespace,
      codecEndpoint,
    });
  }
  logger.info({ cliPath }, 'starting the local Temporal dev server');
  return startDevServer({
    cliPath,
    dbFilename: resolve(dataDir, 'temporal.sqlite'),
    port: env.temporal.port ?? 7233,
    uiPort: env.temporal.uiPort ?? 8233,
    namespace: env.temporal.namespace,
    logFile: resolve(dataDir, 'temporal.log'),
    codecEndpoint,
  });
}

const handlers = new WeakMap<Server, RequestListener>();

/** Hands a listening server its real handler (until then it answers 503, never hangs). */
function serve(server: Server, handler: RequestListener): void {
  handlers.set(server, handler);
}

/** This process's own URL of a listening server: loopback unless it listens on one address only. */
function localUrl(server: Server): string {
  const { address, port, family } = server.address() as AddressInfo;
  if (address === '0.0.0.0' || address === '::') return `http://127.0.0.1:${port}`;
  return family === 'IPv6' ? `http://[${address}]:${port}` : `http://${address}:${port}`;
}

/** `host` undefined: every interface. */
function listen(port: number, host?: string): Promise<Server> {
  return new Promise((resolveListen, reject) => {
    // Listening comes first (PORT=0, the public URL); requests that arrive while the rest
    // starts get a clear 503 with Retry-After instead of an answer that never comes.
    const server: Server = createServer((req, res) => {
      const handler = handlers.get(server);
      if (handler) {
        handler(req, res);
        return;
      }
      res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '2' }).end(
        JSON.stringify({
          type: 'urn:airlock:problem:unavailable',
          title: 'Service Unavailable',
          status: 503,
          detail: 'Airlock is starting; retry shortly',
        }),
      );
    });
    if (host === undefined) server.listen(port);
    else server.listen(port, host);
    server.once('listening', () => resolveListen(server));
    server.once('error', reject);
  });
}

/** Requests not yet ended, for the pending gauge (read at scrape time). */
async function openRequests(db: SqlDb): Promise<OpenRequestCount[]> {
  const { rows } = await db.query<OpenRequestCount>(
    `SELECT COALESCE(action, 'unknown') AS action, COALESCE(environment, 'unknown') AS environment,
            count(*)::int AS n
       FROM request_index WHERE ended_at IS NULL GROUP BY 1, 2`,
  );
  return rows;
}

/** The metrics listener (METRICS_PORT): /metrics, /healthz (alive) and /readyz (Temporal and the database answer). */
async function listenMetrics(
  port: number,
  render: () => Promise<{ contentType: string; body: string }>,
  readiness: Record<string, () => Promise<void>>,
  token: string | undefined,
): Promise<Server> {
  const server = await listen(port);
  serve(server, (req, res) => {
    if (req.url === '/readyz') {
      const timeout = () =>
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000).unref());
      Promise.all(Object.values(readiness).map((probe) => Promise.race([probe(), timeout()]))).then(
        () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}'),
        () => res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"not ready"}'),
      );
      return;
    }
    if (req.url !== '/metrics') {
      res.writeHead(req.url === '/healthz' ? 200 : 404).end();
      return;
    }
    if (!mayScrape(req.headers.authorization, token)) {
      res.writeHead(SCRAPE_REFUSED.status, SCRAPE_REFUSED.headers).end(SCRAPE_REFUSED.body);
      return;
    }
    render().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  return server;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((res) => {
    server.close(() => res());
    server.closeIdleConnections();
  });
}

function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'airlock' },
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'approvalToken',
        '*.approvalToken',
        'headers',
        '*.headers',
        'authorization',
      ],
      censor: '[redacted]',
    },
  });
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
