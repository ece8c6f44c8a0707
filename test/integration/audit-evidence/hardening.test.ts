// Database hardening: the audit tables belong to an owner role that only migrates; the service
// connects as a member of airlock_audit_writer and can read and append evidence but not update,
// delete, truncate, alter or drop it. The owner itself is still stopped by the triggers.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceArchiveCursor, archiveHistory } from '../../../audit/archive-store.js';
import { signCheckpoint } from '../../../audit/checkpoints.js';
import { auditPrivileges } from '../../../audit/hardening.js';
import { AuditStore } from '../../../audit/store.js';
import { AuditAppendOnlyError, SqlError } from '../../../db/errors.js';
import { migrate } from '../../../db/migrate.js';
import { AUDIT_WRITER_ROLE } from '../../../db/migrations.js';
import { openPostgres } from '../../../db/postgres.js';
import type { SqlDb } from '../../../db/sql.js';
import { signingKeyFrom } from '../../../lib/keys.js';
import { TEST_PG_ADMIN_URL } from '../../support/postgres.js';

const tag = randomBytes(4).toString('hex');
const ownerRole = `airlock_owner_${tag}`;
const appRole = `airlock_app_${tag}`;
const dbName = `airlock_hardening_${tag}`;
let owner: SqlDb;
let app: SqlDb;

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: TEST_PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

const urlAs = (role: string) => {
  const u = new URL(TEST_PG_ADMIN_URL);
  u.username = role;
  u.password = `pw-${tag}`;
  u.pathname = `/${dbName}`;
  return u.toString();
};

beforeAll(async () => {
  await admin(`CREATE ROLE ${ownerRole} LOGIN PASSWORD 'pw-${tag}'`);
  await admin(`CREATE ROLE ${appRole} LOGIN PASSWORD 'pw-${tag}'`);
  await admin(
    `DO $$ BEGIN CREATE ROLE ${AUDIT_WRITER_ROLE} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
  );
  await admin(`GRANT ${AUDIT_WRITER_ROLE} TO ${appRole}`);
  await admin(`CREATE DATABASE ${dbName} OWNER ${ownerRole}`);
  owner = await openPostgres(urlAs(ownerRole), { max: 1 });
  expect(await migrate(owner)).toEqual([
    'audit.001_init',
    'audit.002_evidence',
    'audit.003_request_list',
    'audit.004_state_snapshot',
    'audit.005_seed_index',
    'audit.006_console',
    'audit.007_escape_hatches',
  ]);
  app = await openPostgres(urlAs(appRole), { max: 2 });
});

afterAll(async () => {
  await app?.close();
  await owner?.close();
  await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin(`DROP ROLE IF EXISTS ${appRole}`);
  await admin(`DROP ROLE IF EXISTS ${ownerRole}`);
});

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'succeeded',
    (e: unknown) => (e instanceof SqlError ? e.code : String(e)),
  );

describe('the service role', () => {
  it('starts without DDL and does its whole job: append, archive, checkpoint, index, cursor', async () => {
    expect(await migrate(app)).toEqual([]);
    const store = new AuditStore(app);
    await store.append({
      requestId: 'r1',
      eventKey: 'wf:1',
      type: 'request.submitted',
      actor: 'ci@example.com',
      at: '2025-01-01T00:00:00.000Z',
      data: {},
    });
    await archiveHistory(app, { requestId: 'r1', workflowId: 'action-r1', runId: 'x', history: '{}' });
    expect(
      await signCheckpoint(app, signingKeyFrom(Buffer.alloc(32, 1)), { reason: 'periodic' }),
    ).toBeDefined();
    await store.upsertRequestIndex({ requestId: 'r1', status: 'succeeded' });
    await advanceArchiveCursor(app, '2025-01-01T00:00:00.000Z');
    expect((await store.verify()).ok).toBe(true);
  });

  it('cannot update, delete, truncate, alter or drop evidence (permission denied)', async () => {
    for (const table of ['audit_events', 'archived_histories', 'audit_checkpoints']) {
      for (const sql of [
        `UPDATE ${table} SET ${table === 'audit_events' ? 'actor' : table === 'archived_histories' ? 'history' : 'reason'} = 'x'`,
        `DELETE FROM ${table}`,
        `TRUNCATE ${table}`,
        `ALTER TABLE ${table} DISABLE TRIGGER USER`,
        `DROP TRIGGER ${table}_no_update_delete ON ${table}`,
        `DROP TABLE ${table}`,
      ]) {
        expect(await code(app.query(sql)), sql).toBe('42501');
      }
    }
    expect(await auditPrivileges(app)).toMatchObject({
      role: appRole,
      superuser: false,
      owns: [],
      canModify: [],
      insertOnly: true,
    });
  });

  it('is different from the owner, who owns the tables but is still stopped by the triggers', async () => {
    const p = await auditPrivileges(owner);
    expect(p.insertOnly).toBe(false);
    expect(p.owns).toEqual(['audit_events', 'archived_histories', 'audit_checkpoints']);
    await expect(owner.query("UPDATE audit_events SET actor = 'x'")).rejects.toBeInstanceOf(
      AuditAppendOnlyError,
    );
    await expect(owner.query('DELETE FROM audit_checkpoints')).rejects.toBeInstanceOf(AuditAppendOnlyError);
    await expect(owner.query('TRUNCATE archived_histories')).rejects.toBeInstanceOf(AuditAppendOnlyError);
  });
});
