// Executors: how an approved action is actually run (SPEC 5). The built-ins are registered
// here; custom executors implement `Executor` (types.ts) and are registered in code.
import { callbackExecutor } from './gate-token.js';
import { httpRequestExecutor } from './http-request.js';
import { createPostgresGrantExecutor, type GrantExecutorOptions } from './postgres-grant.js';
import { postgresSqlExecutor } from './postgres-sql.js';
import { ExecutorRegistry } from './registry.js';

export { callbackExecutor, issueGateToken, verifyGateToken } from './gate-token.js';
export { httpRequestExecutor } from './http-request.js';
export {
  createPostgresGrantExecutor,
  type GrantExecutor,
  type GrantOptions,
  grantPassword,
  grantRoleName,
  postgresGrantExecutor,
} from './postgres-grant.js';
export { postgresSqlExecutor } from './postgres-sql.js';
export { ExecutorRegistry, type ResolvedExecutor } from './registry.js';
export { deriveSecret, timingSafeEqualStr } from './secrets.js';
export * from './types.js';

/** A registry with http.request, postgres.sql, postgres.grant and callback. */
export function createBuiltinRegistry(grantOptions: GrantExecutorOptions = {}): ExecutorRegistry {
  return new ExecutorRegistry()
    .register(httpRequestExecutor)
    .register(postgresSqlExecutor)
    .register(createPostgresGrantExecutor(grantOptions))
    .register(callbackExecutor);
}
