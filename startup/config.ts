// The service configuration (AIRLOCK_CONFIG, with ${ENV} and ${file:} references resolved) and
// what it configures: the executors, each checking its targets, and the upstream MCP servers.
import type { Logger } from 'pino';
import type { AuditStore } from '../audit/store.js';
import type { DemoSecrets } from '../config/demo-secrets.js';
import type { AirlockEnv } from '../config/env.js';
import { ConfigError } from '../config/errors.js';
import { loadServiceConfig } from '../config/service.js';
import type { ServiceConfig } from '../config/types.js';
import { createBuiltinRegistry, type ExecutorRegistry } from '../executors/index.js';
import { createMcpCallExecutor } from '../executors/mcp-call.js';
import { auditCallLedger } from '../mcp/call-ledger.js';
import { UpstreamPool } from '../mcp/upstreams.js';
import type { Lifetime } from './lifetime.js';

export interface LoadedConfig {
  config: ServiceConfig;
  executors: ExecutorRegistry;
  upstreams: UpstreamPool;
}

export async function loadConfig(
  env: AirlockEnv,
  rawEnv: NodeJS.ProcessEnv,
  o: {
    publicUrl: string;
    demo?: DemoSecrets;
    /** The audit store opens after the configuration; mcp.call reaches it only when it runs. */
    audit: () => AuditStore;
    logger: Logger;
    lifetime: Lifetime;
  },
): Promise<LoadedConfig> {
  // The configuration's ${ENV} references resolve against the process environment as given.
  const configEnv = {
    ...rawEnv,
    AIRLOCK_PUBLIC_URL: o.publicUrl,
    ...(o.demo ? { AIRLOCK_DEMO_TARGET_SECRET: o.demo.targetSecret } : {}),
  };
  const config = await loadServiceConfig(env.configPath, configEnv);
  if (o.demo) config.apiKeys.push(...o.demo.apiKeys);
  // The grant's TTL bounds, so that its preview says what execution will grant.
  const executors = createBuiltinRegistry({
    defaultTtlMs: config.grants.defaultTtlMs,
    maxTtlMs: config.grants.maxTtlMs,
  });
  // Upstream MCP servers: the API lists their tools, the worker's mcp.call calls them.
  const upstreams = new UpstreamPool(config.mcp?.upstreams ?? {}, o.logger);
  o.lifetime.onStop(() => upstreams.close());
  executors.register(createMcpCallExecutor(upstreams, auditCallLedger(o.audit)));
  const problems = executors.checkConfig(config);
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `${env.configPath}: ${p}`));
  return { config, executors, upstreams };
}
