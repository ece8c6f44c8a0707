// What the HTTP API needs, wired by the composition root (main.ts) or by tests.
import type { PayloadCodec } from '@temporalio/common';
import type { Logger } from 'pino';
import type { AuditStore } from '../audit/store.js';
import type { RateLimits } from '../config/env.js';
import type { ServiceConfig } from '../config/types.js';
import type { ConsoleOptions } from '../console/router.js';
import type { ExecutorRegistry } from '../executors/registry.js';
import type { SigningKey } from '../lib/keys.js';
import type { McpGatewayDeps } from '../mcp/http.js';
import type { LoadedPolicy } from '../policy/load.js';
import type { ActionClient } from '../temporal/action-client.js';
import type { Authenticator } from './auth.js';

export interface ApiMetrics {
  submitted(action: string, environment: string): void;
  render(): Promise<{ contentType: string; body: string }>;
}

export interface ApiDeps {
  actions: ActionClient;
  policy: { current(): LoadedPolicy };
  config: ServiceConfig;
  audit: AuditStore;
  executors: ExecutorRegistry;
  authenticate: Authenticator;
  masterKey: Buffer;
  publicUrl: string;
  temporalUiUrl?: string;
  namespace: string;
  logger: Logger;
  metrics?: ApiMetrics;
  /** METRICS_TOKEN (bearer required on /metrics); elsewhere: served on METRICS_PORT instead. */
  metricsAccess?: { token?: string; elsewhere?: boolean };
  /** Per-principal token buckets on /v1 (config/env.ts); unset: not limited. */
  rateLimits?: RateLimits;
  /** Readiness probes: each resolves when its dependency answers. */
  readiness: Record<string, () => Promise<void>>;
  /** Extra routers (the Teams and Slack endpoints, the demo echo target). */
  extraRouters?: import('express').Router[];
  /** Audit evidence: export, verify, archived histories, the codec server, the public keys. */
  evidence?: ApiEvidenceDeps;
  /** The OIDC issuer, named in the MCP gateway's OAuth protected-resource metadata. */
  oidc?: { issuer: string };
  /** The MCP gateway's sessions and upstream tools (main.ts closes them on shutdown). */
  mcp?: McpGatewayDeps;
  /** The approver console at /console (console/router.ts); unset: not served. */
  console?: ConsoleOptions;
}

export interface ApiEvidenceDeps {
  /** Signs export checkpoints and pack seals. */
  signing: SigningKey;
  /** Published at /.well-known/airlock-audit-keys.json, current first. */
  publishedKeys: SigningKey[];
  /** The payload codec (current key encrypts, old keys still decrypt). */
  codec: PayloadCodec;
  /** Browser origins allowed to call /codec (the Temporal Web UI). */
  codecOrigins: string[];
  /** How long a codec session cookie lasts (GET /codec/login); default 8h. */
  codecSessionTtlMs?: number;
}
