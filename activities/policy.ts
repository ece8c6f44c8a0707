// The gate's settings, read by the workflow from the service config (which the worker holds).
import type { ActivityDeps } from './deps.js';

export function createPolicyActivities({ config }: ActivityDeps) {
  return {
    async gateSettings(): Promise<{ tokenTtlMs: number; completionTimeoutMs: number }> {
      return { tokenTtlMs: config.gate.tokenTtlMs, completionTimeoutMs: config.gate.completionTimeoutMs };
    },
  };
}
