// The audit package's public surface: SQL backends, schema migration, the hash chain and the store.

// Evidence: keys, archived histories, signed checkpoints, packs and their verification.
export { archiveHistory, getArchivedHistory, HISTORY_ARCHIVED } from './archive-store.js';
export { CanonicalJsonError, canonicalJson } from './canonical.js';
export { eventHash, GENESIS_HASH, type HashedEvent } from './chain.js';
export { type StoredCheckpoint, signCheckpoint } from './checkpoints.js';
export type { SqlDb, SqlExecutor, SqlRows } from './db.js';
export { openPglite } from './db-pglite.js';
export { openPostgres, type PostgresOptions } from './db-postgres.js';
export {
  APPEND_ONLY_SQLSTATE,
  AuditAppendOnlyError,
  AuditConflictError,
  mapDbError,
  SqlConnectionError,
  SqlError,
} from './errors.js';
export { buildEvidenceRecords, type EvidenceRecord } from './evidence.js';
export { buildEvidencePack, type ExportOptions } from './export.js';
export { auditPrivileges } from './hardening.js';
export { buildKeyring, type Keyring } from './keys.js';
export { MIGRATE_LOCK_KEY, migrate } from './migrate.js';
export { type PackVerification, verifyPack } from './pack-verify.js';
export { AUDIT_APPEND_LOCK_KEY, AuditStore } from './store.js';
export type * from './types.js';
export { type EvidenceVerification, verifyEvidence } from './verify-evidence.js';
