// The policy file (reloaded on SIGHUP) and the audit store (PGlite in the data directory, or
// PostgreSQL), migrated at start-up.
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { OpenRequestCount } from '../api/metrics.js';
import { auditPrivileges } from '../audit/hardening.js';
import { AuditStore } from '../audit/store.js';
import type { AirlockEnv } from '../config/env.js';
import { ConfigError } from '../config/errors.js';
import { migrate } from '../db/migrate.js';
import { openPostgres } from '../db/postgres.js';
import type { SqlDb } from '../db/sql.js';
import { PolicyLoadError } from '../policy/load.js';
import { PolicyStore } from '../policy/store.js';
import type { Lifetime } from './lifetime.js';

/** Opens the policy; a broken or missing file is a start-up ConfigError naming the file and field. */
export async function openPolicy(path: string, logger: Logger, lifetime: Lifetime): Promise<PolicyStore> {
  let policy: PolicyStore;
  try {
    policy = await PolicyStore.open(path, {
      onReload: (p) => logger.info({ version: p.version }, 'policy reloaded'),
      onError: (err) =>
        logger.error({ err: err.message }, 'policy reload failed; keeping the previous policy'),
    });
  } catch (err) {
    if (err instanceof PolicyLoadError) throw new ConfigError(err.message.split('\n'));
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([`AIRLOCK_POLICY: cannot read the policy file ${path}${code ? ` (${code})` : ''}`]);
  }
  lifetime.onStop(async () => policy.close());
  const onHup = () => void policy.reload();
  process.on('SIGHUP', onHup);
  lifetime.onStop(async () => void process.off('SIGHUP', onHup));
  return policy;
}

export async function openAuditStore(
  env: AirlockEnv,
  dataDir: string,
  logger: Logger,
  lifetime: Lifetime,
): Promise<{ db: SqlDb; audit: AuditStore }> {
  const db: SqlDb = env.databaseUrl
    ? await openPostgres(env.databaseUrl)
    : await (await import('../db/pglite.js')).openPglite(resolve(dataDir, 'pglite'));
  lifetime.onStop(() => db.close());
  await migrateAuditSchema(env, db, logger);
  return { db, audit: new AuditStore(db) };
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

/** Requests not yet ended, for the pending gauge (read at scrape time). */
export async function openRequests(db: SqlDb): Promise<OpenRequestCount[]> {
  const { rows } = await db.query<OpenRequestCount>(
    `SELECT COALESCE(action, 'unknown') AS action, COALESCE(environment, 'unknown') AS environment,
            count(*)::int AS n
       FROM request_index WHERE ended_at IS NULL GROUP BY 1, 2`,
  );
  return rows;
}
