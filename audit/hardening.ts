// Which privileges the service's own database role holds on the evidence tables. The triggers
// refuse UPDATE/DELETE/TRUNCATE for everyone, but a role that owns a table (or is superuser)
// could drop the triggers; the service should connect as a plain member of airlock_audit_writer
// and leave the tables to a separate owner (docs/audit.md). Reported at start-up and by verify.

import { APPEND_ONLY_TABLES } from '../db/migrations.js';
import type { SqlExecutor } from '../db/sql.js';

export interface AuditPrivileges {
  role: string;
  superuser: boolean;
  /** Evidence tables this role owns (an owner can ALTER them and drop their triggers). */
  owns: string[];
  /** `table:PRIVILEGE` pairs beyond SELECT/INSERT this role holds. */
  canModify: string[];
  /** True when the role can only read and append evidence. */
  insertOnly: boolean;
}

export async function auditPrivileges(db: SqlExecutor): Promise<AuditPrivileges> {
  const who = await db.query<{ role: string; superuser: boolean | null }>(
    'SELECT current_user AS role, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser',
  );
  const role = who.rows[0]!.role;
  const superuser = who.rows[0]!.superuser === true;
  const owns: string[] = [];
  const canModify: string[] = [];
  for (const table of APPEND_ONLY_TABLES) {
    const { rows } = await db.query<{ owner: boolean; upd: boolean; del: boolean; trunc: boolean }>(
      `SELECT pg_get_userbyid(c.relowner) = current_user AS owner,
              has_table_privilege(c.oid, 'UPDATE') AS upd,
              has_table_privilege(c.oid, 'DELETE') AS del,
              has_table_privilege(c.oid, 'TRUNCATE') AS trunc
       FROM pg_class c WHERE c.oid = to_regclass($1)`,
      [table],
    );
    const r = rows[0];
    if (!r) continue;
    if (r.owner) owns.push(table);
    if (r.upd) canModify.push(`${table}:UPDATE`);
    if (r.del) canModify.push(`${table}:DELETE`);
    if (r.trunc) canModify.push(`${table}:TRUNCATE`);
  }
  return {
    role,
    superuser,
    owns,
    canModify,
    insertOnly: !superuser && owns.length === 0 && canModify.length === 0,
  };
}
