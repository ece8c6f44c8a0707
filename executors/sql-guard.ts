// Which parsed statements postgres.sql refuses to run, and why: transaction control (Airlock runs
// everything in one transaction) and changes to the session settings Airlock enforces (timeouts,
// role). Reads the parse tree, so no spelling, comment or case hides them. What the parser cannot
// see (a DO body, a function's SET clause) the client-side deadline still bounds.
import { type SqlStatement, walkNodes } from '../policy/sql.js';

/** Settings whose change would lift a limit the target sets, or run the SQL as someone else. */
const ENFORCED_SETTINGS = new Set([
  'statement_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'idle_session_timeout',
  'transaction_timeout',
  'role',
  'session_authorization',
]);

/** `SET TRANSACTION ...` and `SET SESSION CHARACTERISTICS ...` parse as settings of these names. */
const TRANSACTION_SETTINGS = new Set(['transaction', 'session characteristics']);

/** Why `statement` must not run, or undefined when it may. */
export function refusalOf(statement: SqlStatement): string | undefined {
  if (statement.kind === 'TransactionStmt')
    return 'controls the transaction; Airlock runs all statements in one';
  if (statement.kind === 'VariableSetStmt') {
    const { kind, name } = statement.node as { kind?: string; name?: string };
    // Setting names are case-insensitive in PostgreSQL, quoted or not.
    const setting = name?.toLowerCase();
    if (kind === 'VAR_RESET_ALL') return 'resets every session setting, the enforced limits among them';
    if (setting !== undefined && TRANSACTION_SETTINGS.has(setting))
      return 'controls the transaction; Airlock runs all statements in one';
    if (setting !== undefined && ENFORCED_SETTINGS.has(setting))
      return `changes ${setting}, which the target enforces`;
  }
  const nodes = [{ type: statement.kind, node: statement.node }, ...walkNodes(statement.node)];
  for (const { type, node } of nodes) {
    if (type === 'FuncCall' && functionName(node) === 'set_config')
      return 'calls set_config, which could change the limits the target enforces';
    // Updating the pg_settings view calls set_config for each row.
    if (type === 'UpdateStmt' && relationName(node) === 'pg_settings')
      return 'updates pg_settings, which could change the limits the target enforces';
  }
  return undefined;
}

/** The unqualified name of a called function (`pg_catalog.set_config` is `set_config`). */
function functionName(call: Record<string, unknown>): string | undefined {
  const parts = call.funcname as { String?: { sval?: string } }[] | undefined;
  return parts?.at(-1)?.String?.sval?.toLowerCase();
}

function relationName(update: Record<string, unknown>): string | undefined {
  const relation = update.relation as { relname?: string } | undefined;
  return relation?.relname?.toLowerCase();
}
