// Which statements a postgres.sql preview may run inside its rolled-back transaction, read from
// PostgreSQL's parse tree (policy/sql.ts): those that cannot run in a transaction, or whose effects
// a ROLLBACK does not undo (a sequence advanced, a notification, a file or program on the server,
// another connection through dblink), are never run; the preview says why. Procedural code (DO,
// CALL) is not run either: its body could do any of that out of the parser's sight.
import { type SqlStatement, walkNodes } from '../policy/sql.js';

export type PreviewMode = { mode: 'run' | 'explain' } | { mode: 'not_run'; why: string };

/** Functions whose effect outlives the transaction, or reaches outside it. */
const OUTSIDE_EFFECT_FUNCTIONS: Record<string, string> = {
  nextval: 'advances a sequence, which a rollback does not undo',
  setval: 'sets a sequence, which a rollback does not undo',
  pg_notify: 'sends a notification to other sessions',
  pg_advisory_lock: 'takes a session lock that outlives the transaction',
  pg_advisory_lock_shared: 'takes a session lock that outlives the transaction',
  pg_try_advisory_lock: 'takes a session lock that outlives the transaction',
  pg_try_advisory_lock_shared: 'takes a session lock that outlives the transaction',
  pg_terminate_backend: 'ends another session',
  pg_cancel_backend: 'cancels another session',
  pg_reload_conf: 'reloads the server configuration',
  pg_rotate_logfile: 'rotates the server log',
  pg_switch_wal: 'switches the write-ahead log',
  pg_create_restore_point: 'writes a restore point',
  pg_logical_emit_message: 'writes a message to the write-ahead log for replication',
  pg_file_write: 'writes a file on the server',
  lo_export: 'writes a file on the server',
  lo_import: 'reads a file on the server',
  pg_stat_reset: 'resets statistics',
  pg_stat_reset_shared: 'resets statistics',
};

/** Statement kinds that cannot run in a transaction block, or act outside it. */
const NOT_IN_TRANSACTION: Record<string, string> = {
  CreatedbStmt: 'CREATE DATABASE cannot run inside a transaction',
  DropdbStmt: 'DROP DATABASE cannot run inside a transaction',
  AlterSystemStmt: 'ALTER SYSTEM cannot run inside a transaction',
  CreateTableSpaceStmt: 'CREATE TABLESPACE cannot run inside a transaction',
  DropTableSpaceStmt: 'DROP TABLESPACE cannot run inside a transaction',
  CreateSubscriptionStmt: 'a subscription acts on another server',
  AlterSubscriptionStmt: 'a subscription acts on another server',
  DropSubscriptionStmt: 'a subscription acts on another server',
  NotifyStmt: 'NOTIFY sends a notification to other sessions',
  LoadStmt: 'LOAD loads a shared library into the server',
  CheckPointStmt: 'CHECKPOINT acts on the whole server',
  DoStmt: 'a DO block runs procedural code that Airlock cannot inspect (it could use dblink or sequences)',
  CallStmt: 'CALL runs a procedure that Airlock cannot inspect (it could commit, use dblink or sequences)',
};

const WRITES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/** How a preview treats `statement`. */
export function previewModeOf(statement: SqlStatement): PreviewMode {
  const node = statement.node as Record<string, unknown>;
  const fixed = NOT_IN_TRANSACTION[statement.kind];
  if (fixed) return { mode: 'not_run', why: fixed };
  if (statement.kind === 'VacuumStmt' && node.is_vacuumcmd === true)
    return { mode: 'not_run', why: 'VACUUM cannot run inside a transaction' };
  if ((statement.kind === 'IndexStmt' || statement.kind === 'DropStmt') && node.concurrent === true)
    return { mode: 'not_run', why: 'a CONCURRENTLY index operation cannot run inside a transaction' };
  if (statement.kind === 'ReindexStmt' && hasOption(node, 'concurrently'))
    return { mode: 'not_run', why: 'REINDEX CONCURRENTLY cannot run inside a transaction' };
  if (statement.kind === 'CopyStmt') {
    if (node.is_program === true)
      return { mode: 'not_run', why: 'COPY ... PROGRAM runs a program on the server' };
    if (typeof node.filename === 'string')
      return { mode: 'not_run', why: 'COPY with a file name reads or writes a file on the server' };
    return { mode: 'not_run', why: 'COPY streams data through the connection, which a preview does not do' };
  }
  for (const { type, node: inner } of walkNodes(node)) {
    if (type !== 'FuncCall') continue;
    const name = functionName(inner);
    if (name === undefined) continue;
    if (name.startsWith('dblink'))
      return {
        mode: 'not_run',
        why: `calls ${name}, which acts on another connection that a rollback does not reach`,
      };
    const why = OUTSIDE_EFFECT_FUNCTIONS[name];
    if (why) return { mode: 'not_run', why: `calls ${name}, which ${why}` };
  }
  if (statement.kind === 'SelectStmt' && isPureRead(node)) return { mode: 'explain' };
  // An EXPLAIN runs as it is (EXPLAIN ANALYZE executes its statement, inside the rolled-back
  // transaction); its figure is a plan, not rows, so execution is not held to it.
  return { mode: 'run' };
}

/** A SELECT that writes nothing: no INTO, no row locks, no data-modifying WITH. */
function isPureRead(node: Record<string, unknown>): boolean {
  if (node.intoClause !== undefined || node.lockingClause !== undefined) return false;
  for (const { type } of walkNodes(node)) if (WRITES.has(type)) return false;
  return true;
}

export function isWrite(kind: string): boolean {
  return WRITES.has(kind);
}

function hasOption(node: Record<string, unknown>, name: string): boolean {
  const params = node.params as { DefElem?: { defname?: string } }[] | undefined;
  return (params ?? []).some((p) => p.DefElem?.defname?.toLowerCase() === name);
}

function functionName(call: Record<string, unknown>): string | undefined {
  const parts = call.funcname as { String?: { sval?: string } }[] | undefined;
  return parts?.at(-1)?.String?.sval?.toLowerCase();
}
