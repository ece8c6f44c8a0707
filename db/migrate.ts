// Brings a database (PostgreSQL or PGlite) to the current audit schema; safe to run on every start
// and from several processes at once (an advisory lock makes concurrent migrators take turns).

import { MIGRATIONS, type Migration } from './migrations.js';
import type { SqlDb } from './sql.js';

/** Advisory lock key held while migrating (arbitrary constant, "AIRMIG"). */
export const MIGRATE_LOCK_KEY = 0x41_49_52_4d_49_47;

/** Applies the missing migrations; returns the versions applied by this call. */
export async function migrate(db: SqlDb, migrations: Migration[] = MIGRATIONS): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK_KEY]);
    // No DDL unless something is missing: the service's INSERT-only role may run this on every
    // start, and even CREATE TABLE IF NOT EXISTS needs the CREATE privilege it does not have.
    const exists = await tx.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
    if (exists.rows[0]?.t == null) {
      await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version text PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    }
    const done = new Set(
      (await tx.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      for (const statement of m.statements) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
      applied.push(m.version);
    }
    return applied;
  });
}
