// Temporal: a real cluster at TEMPORAL_ADDRESS, or a local dev server started here (the CLI is
// built with `go install` when missing); Airlock's search attributes; the encrypted client and
// the ActionClient the API and the channels start and signal requests with.
import { resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AuditStore } from '../audit/store.js';
import type { AirlockEnv } from '../config/env.js';
import { ActionClient } from '../temporal/action-client.js';
import type { EncryptionCodec } from '../temporal/codec.js';
import { type DevServer, startDevServer, startDownloadedDevServer } from '../temporal/dev-server.js';
import { ensureTemporalCli } from '../temporal/ensure-cli.mjs';
import type { MessageProver } from '../temporal/message-proof.js';
import { ensureSearchAttributes } from '../temporal/search-attributes.js';
import type { stateSealer } from '../temporal/state-snapshot.js';
import type { Tracing } from '../temporal/tracing.js';
import { airlockDataConverter } from '../temporal/worker.js';
import { indexRow, initialState } from '../workflows/state.js';
import type { Lifetime } from './lifetime.js';

export interface TemporalConnection {
  connection: Connection;
  address: string;
  uiUrl?: string;
}

export async function connectTemporal(
  env: AirlockEnv,
  o: { dataDir: string; logger: Logger; lifetime: Lifetime; publicUrl: string; codecEndpoint?: string },
): Promise<TemporalConnection> {
  let address = env.temporal.address;
  let uiUrl = env.temporal.uiUrl;
  if (!address) {
    // The Web UI asks this service's codec server to decrypt payloads (CORS + auth, api/codec-routes.ts).
    const devServer = await startLocalTemporal(env, o.dataDir, o.logger, o.codecEndpoint);
    o.lifetime.onStop(() => devServer.stop());
    address = devServer.address;
    // Named like the public URL (localhost, not 127.0.0.1): the codec session cookie is
    // SameSite=Strict, and the UI and the codec endpoint must be the same site to carry it.
    uiUrl ??= devServer.uiUrl && loopbackLike(devServer.uiUrl, o.publicUrl);
  }
  const connection = await Connection.connect({ address });
  o.lifetime.onStop(() => connection.close());
  const added = await ensureSearchAttributes(connection, env.temporal.namespace);
  if (added.length) o.logger.info({ added }, 'registered search attributes');
  return { connection, address, ...(uiUrl ? { uiUrl } : {}) };
}

export function temporalClient(
  env: AirlockEnv,
  connection: Connection,
  codec: EncryptionCodec,
  tracing: Tracing | undefined,
): Client {
  return new Client({
    connection,
    namespace: env.temporal.namespace,
    dataConverter: airlockDataConverter(codec),
    ...(tracing ? { interceptors: tracing.clientInterceptors } : {}),
  });
}

/**
 * GET reads the state the workflow last wrote (sealed) and queries the workflow only without
 * one; a submission seeds its starting state first (temporal/seed-sweeper.ts removes orphans).
 */
export function actionClientFor(
  env: AirlockEnv,
  client: Client,
  prover: MessageProver,
  audit: AuditStore,
  sealer: ReturnType<typeof stateSealer>,
): ActionClient {
  return new ActionClient(client, env.temporal.taskQueue, prover, {
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
}

/** The Temporal UI's origin (and its loopback twin: localhost and 127.0.0.1 are different origins). */
export function codecOrigins(uiUrl: string | undefined): string[] {
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
  const common = {
    dbFilename: resolve(dataDir, 'temporal.sqlite'),
    port: env.temporal.port ?? 7233,
    uiPort: env.temporal.uiPort ?? 8233,
    namespace: env.temporal.namespace,
    codecEndpoint,
  };
  if (!cliPath) {
    logger.warn(
      'no Temporal CLI found and no Go toolchain to build it: letting the Temporal SDK download the CLI (needs internet; set TEMPORAL_CLI_PATH or TEMPORAL_ADDRESS to avoid this)',
    );
    return startDownloadedDevServer(common);
  }
  logger.info({ cliPath }, 'starting the local Temporal dev server');
  return startDevServer({ cliPath, ...common, logFile: resolve(dataDir, 'temporal.log') });
}
