// The API role: the HTTP app (REST, the codec, evidence, channels' routes, MCP at /mcp) on the
// server that has listened since start-up.
import type { RequestListener } from 'node:http';
import type { Logger } from 'pino';
import { createApp } from '../api/app.js';
import { createAuthenticator } from '../api/auth.js';
import { demoEchoRouter } from '../api/demo.js';
import type { createMetrics } from '../api/metrics.js';
import type { AuditStore } from '../audit/store.js';
import type { ChannelPlugin } from '../bots/plugin.js';
import type { DemoSecrets } from '../config/demo-secrets.js';
import type { AirlockEnv } from '../config/env.js';
import type { ServiceConfig } from '../config/types.js';
import { LiveStreams } from '../console/live.js';
import { consoleOidc } from '../console/oidc.js';
import { consoleKey } from '../console/security.js';
import type { ExecutorRegistry } from '../executors/registry.js';
import type { buildKeyring } from '../lib/keys.js';
import { McpSessions } from '../mcp/http.js';
import type { UpstreamPool } from '../mcp/upstreams.js';
import type { PolicyStore } from '../policy/store.js';
import type { ActionClient } from '../temporal/action-client.js';
import type { EncryptionCodec } from '../temporal/codec.js';
import type { Tracing } from '../temporal/tracing.js';
import type { Lifetime } from './lifetime.js';
import { codecOrigins } from './temporal.js';

export interface ApiPhase {
  env: AirlockEnv;
  config: ServiceConfig;
  actions: ActionClient;
  policy: PolicyStore;
  audit: AuditStore;
  executors: ExecutorRegistry;
  masterKey: Buffer;
  keyring: ReturnType<typeof buildKeyring>;
  codec: EncryptionCodec;
  publicUrl: string;
  temporalUiUrl?: string;
  metrics: ReturnType<typeof createMetrics>;
  readiness: Record<string, () => Promise<void>>;
  plugins: ChannelPlugin[];
  demo?: DemoSecrets;
  upstreams: UpstreamPool;
  tracing: Tracing | undefined;
  logger: Logger;
  lifetime: Lifetime;
}

export function apiHandler(p: ApiPhase): RequestListener {
  const { env, config, logger } = p;
  // Open MCP streams would hold the HTTP server's close: they end first (stop runs in reverse).
  const mcpSessions = new McpSessions();
  p.lifetime.onStop(() => mcpSessions.closeAll());
  const oidc = env.oidc
    ? {
        ...config.oidc,
        ...env.oidc,
        principalClaim: env.oidc.principalClaim ?? config.oidc?.principalClaim ?? 'email',
      }
    : undefined;
  const consoleLive = new LiveStreams();
  // The console signs people in through the same issuer, mapping their roles like the API does.
  const consoleSignIn =
    oidc && env.console.oidcClientId
      ? consoleOidc({
          oidc,
          clientId: env.console.oidcClientId,
          ...(env.console.oidcClientSecret ? { clientSecret: env.console.oidcClientSecret } : {}),
          publicUrl: p.publicUrl,
          key: consoleKey(p.masterKey, 'oidc-flow'),
        })
      : undefined;
  p.lifetime.onStop(() => consoleLive.closeAll());
  const app = createApp({
    actions: p.actions,
    policy: p.policy,
    config,
    audit: p.audit,
    executors: p.executors,
    authenticate: createAuthenticator({
      apiKeys: config.apiKeys,
      oidc,
      onError: (err) => logger.warn({ err: String(err) }, 'authentication provider error'),
    }),
    masterKey: p.masterKey,
    publicUrl: p.publicUrl,
    temporalUiUrl: p.temporalUiUrl,
    namespace: env.temporal.namespace,
    logger,
    metrics: p.metrics,
    metricsAccess: { token: env.metrics.token, elsewhere: env.metrics.port !== undefined },
    rateLimits: env.rateLimits,
    readiness: p.readiness,
    extraRouters: [
      ...p.plugins.flatMap((plugin) => (plugin.router ? [plugin.router] : [])),
      ...(p.demo ? [demoEchoRouter(p.demo.targetSecret)] : []),
    ],
    evidence: {
      signing: p.keyring.signing,
      publishedKeys: p.keyring.signingKeys,
      codec: p.codec,
      codecOrigins: codecOrigins(p.temporalUiUrl),
      codecSessionTtlMs: env.codecSessionTtlMs,
    },
    ...(env.oidc ? { oidc: { issuer: env.oidc.issuer } } : {}),
    mcp: { sessions: mcpSessions, upstreams: p.upstreams },
    console: {
      keySignIn: env.console.keySignIn,
      live: consoleLive,
      ...(consoleSignIn ? { oidc: consoleSignIn } : {}),
    },
  });
  return p.tracing ? p.tracing.traceRequests(app) : app;
}
