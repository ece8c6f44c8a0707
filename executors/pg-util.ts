// Shared PostgreSQL plumbing for the postgres.* executors: connecting to a target, telling
// transient errors (retry) from final ones (failed result), and keeping secrets out of messages.
import pg from 'pg';
import type { PostgresTarget } from '../config/types.js';
import { redact, secretVariants } from './redact.js';
import { ExecutorError } from './types.js';

const CONNECT_TIMEOUT_MS = 10_000;

/** The connection string and its password, in every spelling that could reach a message. */
export function targetSecrets(target: PostgresTarget): string[] {
  const values = [target.url];
  try {
    const u = new URL(target.url);
    if (u.password !== '') values.push(u.password, decodeURIComponent(u.password));
  } catch {
    // Not a URL (keyword/value form): the whole string is scrubbed.
  }
  return secretVariants(values);
}

/** SQLSTATEs after which the transaction was rolled back and running again may succeed. */
function isTransientSqlState(code: string): boolean {
  return (
    code.startsWith('08') || // connection exception
    code.startsWith('53') || // insufficient resources
    code === '40001' || // serialization failure
    code === '40P01' || // deadlock
    code === '55P03' || // lock not available
    code === '57P01' || // admin shutdown
    code === '57P02' || // crash shutdown
    code === '57P03' // cannot connect now
  );
}

export function sqlStateOf(err: unknown): string | undefined {
  if (err instanceof pg.DatabaseError && typeof err.code === 'string') return err.code;
  return undefined;
}

/** Retryable for transport trouble and transient states; otherwise undefined (a final failure). */
export function transientError(err: unknown, secrets: readonly string[]): ExecutorError | undefined {
  const code = sqlStateOf(err);
  if (code === undefined) {
    // No SQLSTATE: the client's own error (refused, reset, timed out), which holds no row data.
    const message = redact(err instanceof Error ? err.message : String(err), secrets);
    return new ExecutorError('connection_error', `database connection failed: ${message}`, true);
  }
  if (isTransientSqlState(code))
    return new ExecutorError('transient_database_error', `${code}: ${sqlErrorSummary(err, secrets)}`, true);
  return undefined;
}

// PostgreSQL's message, DETAIL and CONTEXT carry values, not only names: `Key (id)=(42) already
// exists`, `Failing row contains (...)`, `invalid input syntax for type integer: "<a value>"` (so
// `CAST(password AS int)` would read a column through the error). A result that requesters and
// approvers read says what went wrong with the SQLSTATE, the condition's name and the schema
// objects involved; the server's words stay in the target's own log.
const SQL_CONDITIONS: Record<string, string> = {
  '0A000': 'feature not supported',
  '21000': 'cardinality violation',
  '22001': 'string data right truncation',
  '22003': 'numeric value out of range',
  '22007': 'invalid datetime format',
  '22008': 'datetime field overflow',
  '22012': 'division by zero',
  '22P02': 'invalid text representation',
  '23502': 'not-null violation',
  '23503': 'foreign key violation',
  '23505': 'unique violation',
  '23514': 'check violation',
  '23P01': 'exclusion violation',
  '25P02': 'in failed SQL transaction',
  '40001': 'serialization failure',
  '40P01': 'deadlock detected',
  '42501': 'insufficient privilege',
  '42601': 'syntax error',
  '42703': 'undefined column',
  '42704': 'undefined object',
  '42710': 'duplicate object',
  '42804': 'datatype mismatch',
  '42883': 'undefined function',
  '42P01': 'undefined table',
  '42P07': 'duplicate table',
  '55P03': 'lock not available',
  '57014': 'query canceled',
  P0001: 'raised exception',
};
const SQL_CLASSES: Record<string, string> = {
  '08': 'connection exception',
  '0A': 'feature not supported',
  '21': 'cardinality violation',
  '22': 'data exception',
  '23': 'integrity constraint violation',
  '25': 'invalid transaction state',
  '28': 'invalid authorization',
  '2B': 'dependent objects still exist',
  '38': 'external routine exception',
  '39': 'external routine invocation exception',
  '40': 'transaction rollback',
  '42': 'syntax error or access rule violation',
  '44': 'WITH CHECK OPTION violation',
  '53': 'insufficient resources',
  '54': 'program limit exceeded',
  '55': 'object not in prerequisite state',
  '57': 'operator intervention',
  P0: 'PL/pgSQL error',
  XX: 'internal error',
};

/**
 * What a final SQL error may say to the people who read the request: the condition's name (from
 * the SQLSTATE) and the schema objects PostgreSQL names in its own fields (constraint, table,
 * column, type) and the position in the statement. Never the message, DETAIL, HINT or CONTEXT.
 */
export function sqlErrorSummary(err: unknown, secrets: readonly string[]): string {
  const code = sqlStateOf(err) ?? '';
  const condition = SQL_CONDITIONS[code] ?? SQL_CLASSES[code.slice(0, 2)] ?? 'database error';
  if (!(err instanceof pg.DatabaseError)) return condition;
  const names = (
    [
      ['constraint', err.constraint],
      ['table', err.table],
      ['column', err.column],
      ['type', err.dataType],
    ] as const
  ).flatMap(([what, name]) => (name ? [`${what} ${JSON.stringify(name)}`] : []));
  const position = err.position ? [`at character ${err.position}`] : [];
  const where = [...names, ...position];
  return redact(where.length > 0 ? `${condition} (${where.join(', ')})` : condition, secrets);
}

/** Connects (bounded time), aborting the connection when `signal` fires. */
export async function connect(target: PostgresTarget, signal?: AbortSignal): Promise<pg.Client> {
  const secrets = targetSecrets(target);
  if (signal?.aborted) throw new ExecutorError('aborted', 'the call was cancelled', true);
  const client = new pg.Client({
    connectionString: target.url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'airlock',
  });
  // A dropped connection surfaces through the pending query; this only prevents a crash.
  client.on('error', () => undefined);
  const onAbort = (): void => {
    void client.end().catch(() => undefined);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  client.once('end', () => signal?.removeEventListener('abort', onAbort));
  try {
    await client.connect();
  } catch (err) {
    signal?.removeEventListener('abort', onAbort);
    await client.end().catch(() => undefined);
    throw (
      transientError(err, secrets) ??
      new ExecutorError('connection_error', 'database connection failed', true)
    );
  }
  return client;
}

/** Quotes a validated `name` or `schema.name` identifier, part by part. */
export function quoteQualified(name: string): string {
  return name
    .split('.')
    .map((part) => pg.escapeIdentifier(part))
    .join('.');
}
