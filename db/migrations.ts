// Airlock's schema (the audit trail and the service's own tables) as ordered single statements,
// since PGlite's query runs one statement at a time.
// Every statement is idempotent on its own, so a half-applied migration can simply be re-run.
import { APPEND_ONLY_SQLSTATE } from './errors.js';

export interface Migration {
  /** Namespaced so other components can share schema_migrations: `audit.NNN_name`. */
  version: string;
  statements: string[];
}

const appendOnly = (table: string): string[] => [
  `CREATE OR REPLACE TRIGGER ${table}_no_update_delete BEFORE UPDATE OR DELETE ON ${table}
     FOR EACH ROW EXECUTE FUNCTION airlock_refuse_mutation()`,
  `CREATE OR REPLACE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
     FOR EACH STATEMENT EXECUTE FUNCTION airlock_refuse_mutation()`,
];

/** Role every service login role should be a member of; it never owns a table. */
export const AUDIT_WRITER_ROLE = 'airlock_audit_writer';
export const APPEND_ONLY_TABLES = ['audit_events', 'archived_histories', 'audit_checkpoints'] as const;

/**
 * Privileges: nobody but the owner may UPDATE/DELETE/TRUNCATE the evidence tables, and the writer
 * role gets SELECT + INSERT only. Creating a role needs CREATEROLE; without it the grants are
 * skipped with a notice and docs/audit.md says what to run by hand.
 */
function hardening(): string[] {
  const tables = APPEND_ONLY_TABLES.join(', ');
  return [
    `REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ${tables} FROM PUBLIC`,
    `DO $$ BEGIN
       IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${AUDIT_WRITER_ROLE}') THEN
         CREATE ROLE ${AUDIT_WRITER_ROLE} NOLOGIN;
       END IF;
     EXCEPTION WHEN OTHERS THEN
       RAISE NOTICE 'airlock: role ${AUDIT_WRITER_ROLE} not created (%); grant privileges by hand', SQLERRM;
     END $$`,
    `DO $$ BEGIN
       IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${AUDIT_WRITER_ROLE}') THEN
         EXECUTE format('GRANT USAGE ON SCHEMA %I TO ${AUDIT_WRITER_ROLE}', current_schema());
         GRANT SELECT, INSERT ON ${tables} TO ${AUDIT_WRITER_ROLE};
         GRANT USAGE ON SEQUENCE audit_events_id_seq, audit_checkpoints_id_seq TO ${AUDIT_WRITER_ROLE};
         GRANT SELECT, INSERT, UPDATE, DELETE ON request_index, archive_state TO ${AUDIT_WRITER_ROLE};
         GRANT SELECT ON schema_migrations TO ${AUDIT_WRITER_ROLE};
       END IF;
     END $$`,
  ];
}

export const MIGRATIONS: Migration[] = [
  {
    version: 'audit.001_init',
    statements: [
      `CREATE OR REPLACE FUNCTION airlock_refuse_mutation() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'airlock: % on %.% refused: the table is append-only', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
           USING ERRCODE = '${APPEND_ONLY_SQLSTATE}';
       END
       $$`,
      `CREATE TABLE IF NOT EXISTS audit_events (
         id bigserial PRIMARY KEY,
         request_id text NOT NULL,
         event_key text NOT NULL,
         type text NOT NULL,
         actor text NOT NULL,
         at text NOT NULL,
         data text NOT NULL,
         prev_hash text NOT NULL,
         hash text NOT NULL UNIQUE,
         recorded_at timestamptz NOT NULL DEFAULT now(),
         UNIQUE (request_id, event_key)
       )`,
      // No more indexes than the reads need: every append pays for each. A request's events are
      // found through UNIQUE (request_id, event_key) and sorted (tens of rows); ranges go by id.
      ...appendOnly('audit_events'),
      `CREATE TABLE IF NOT EXISTS archived_histories (
         request_id text PRIMARY KEY,
         workflow_id text,
         run_id text,
         history text NOT NULL,
         sha256 text NOT NULL,
         archived_at timestamptz DEFAULT now()
       )`,
      ...appendOnly('archived_histories'),
      `CREATE TABLE IF NOT EXISTS request_index (
         request_id text PRIMARY KEY,
         requester text,
         on_behalf_of text,
         action text,
         resource text,
         environment text,
         status text,
         submitted_at timestamptz,
         ended_at timestamptz
       )`,
      'CREATE INDEX IF NOT EXISTS request_index_requester_idx ON request_index (requester, submitted_at)',
      'CREATE INDEX IF NOT EXISTS request_index_resource_idx ON request_index (resource, submitted_at)',
    ],
  },
  {
    // Signed checkpoints, the archiver's cursor, and INSERT-only privileges.
    version: 'audit.002_evidence',
    statements: [
      `CREATE TABLE IF NOT EXISTS audit_checkpoints (
         id bigserial PRIMARY KEY,
         head_id bigint NOT NULL,
         head_hash text NOT NULL,
         signed_at text NOT NULL,
         kid text NOT NULL,
         public_key text NOT NULL,
         signature text NOT NULL,
         reason text NOT NULL,
         recorded_at timestamptz NOT NULL DEFAULT now()
       )`,
      'CREATE INDEX IF NOT EXISTS audit_checkpoints_head_idx ON audit_checkpoints (head_id)',
      ...appendOnly('audit_checkpoints'),
      // Mutable on purpose: where the archiver resumes; losing it only means re-listing.
      `CREATE TABLE IF NOT EXISTS archive_state (
         name text PRIMARY KEY,
         close_time_cursor timestamptz,
         updated_at timestamptz NOT NULL DEFAULT now()
       )`,
      ...hardening(),
    ],
  },
  {
    // GET /v1/actions lists from the index (Temporal visibility was the slow part); the
    // workflow keeps the row current with every audit write.
    version: 'audit.003_request_list',
    statements: [
      'ALTER TABLE request_index ADD COLUMN IF NOT EXISTS risk text',
      'CREATE INDEX IF NOT EXISTS request_index_list_idx ON request_index (submitted_at DESC, request_id DESC)',
      'CREATE INDEX IF NOT EXISTS request_index_status_idx ON request_index (status, submitted_at DESC)',
    ],
  },
  {
    // GET /v1/actions/{id} reads the request's state from here instead of querying its workflow
    // (a query on a workflow out of the worker's cache replays it). Encrypted with the
    // payload codec, like the same state in Temporal; state_seq keeps an older write from
    // replacing a newer one.
    version: 'audit.004_state_snapshot',
    statements: [
      'ALTER TABLE request_index ADD COLUMN IF NOT EXISTS state_payload text',
      'ALTER TABLE request_index ADD COLUMN IF NOT EXISTS state_seq integer',
    ],
  },
  {
    // The seed sweeper's lookup (temporal/seed-sweeper.ts): only untouched starting states.
    version: 'audit.005_seed_index',
    statements: [
      'CREATE INDEX IF NOT EXISTS request_index_seed_idx ON request_index (submitted_at, request_id) WHERE state_seq = 0',
    ],
  },
  {
    // The console: its inbox ("waiting for me") reads who may still decide a pending request and
    // its stage deadline from the index, and its sign-in sessions live here, server-side.
    version: 'audit.006_console',
    statements: [
      'ALTER TABLE request_index ADD COLUMN IF NOT EXISTS deciders text',
      'ALTER TABLE request_index ADD COLUMN IF NOT EXISTS stage_deadline timestamptz',
      `CREATE INDEX IF NOT EXISTS request_index_inbox_idx ON request_index (stage_deadline, request_id)
         WHERE status = 'pending_approval'`,
      `CREATE TABLE IF NOT EXISTS console_sessions (
         id_hash text PRIMARY KEY,
         principal text NOT NULL,
         roles text NOT NULL,
         via text NOT NULL,
         on_behalf_of text,
         csrf text NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now(),
         expires_at timestamptz NOT NULL,
         ended_at timestamptz
       )`,
      `DO $$ BEGIN
         IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${AUDIT_WRITER_ROLE}') THEN
           GRANT SELECT, INSERT, UPDATE, DELETE ON console_sessions TO ${AUDIT_WRITER_ROLE};
         END IF;
       END $$`,
    ],
  },
  {
    // Standing approvals and delegations (SPEC 14, audit/standing-store.ts, audit/delegation-store.ts):
    // current facts, revoked or ended by an UPDATE; their every change is an audit event too.
    version: 'audit.007_escape_hatches',
    statements: [
      `CREATE TABLE IF NOT EXISTS standing_approvals (
         id text PRIMARY KEY,
         request_id text NOT NULL,
         rule text NOT NULL,
         action text NOT NULL,
         resource text NOT NULL,
         environment text NOT NULL,
         requester text NOT NULL,
         on_behalf_of text,
         vary jsonb NOT NULL,
         scope_hash text NOT NULL,
         approvers jsonb NOT NULL,
         created_at timestamptz NOT NULL,
         expires_at timestamptz NOT NULL,
         revoked_at timestamptz,
         revoked_by text,
         uses integer NOT NULL DEFAULT 0,
         last_used_at timestamptz,
         last_used_by_request text
       )`,
      'CREATE INDEX IF NOT EXISTS standing_scope_idx ON standing_approvals (scope_hash, expires_at)',
      `CREATE TABLE IF NOT EXISTS delegations (
         id text PRIMARY KEY,
         delegator text NOT NULL,
         delegate text NOT NULL,
         starts_at timestamptz NOT NULL,
         ends_at timestamptz NOT NULL,
         reason text NOT NULL,
         created_by text NOT NULL,
         created_at timestamptz NOT NULL,
         ended_at timestamptz,
         ended_by text
       )`,
      'CREATE INDEX IF NOT EXISTS delegations_delegate_idx ON delegations (delegate, ends_at)',
      `DO $$ BEGIN
         IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'airlock_audit_writer') THEN
           GRANT SELECT, INSERT, UPDATE ON standing_approvals, delegations TO airlock_audit_writer;
         END IF;
       EXCEPTION WHEN OTHERS THEN
         RAISE NOTICE 'airlock: grants on standing_approvals, delegations not made (%)', SQLERRM;
       END $$`,
    ],
  },
];
