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
  const message = redact(err instanceof Error ? err.message : String(err), secrets);
  if (code === undefined)
    return new ExecutorError('connection_error', `database connection failed: ${message}`, true);
  if (isTransientSqlState(code))
    return new ExecutorError('transient_database_error', `${code}: ${message}`, true);
  return undefined;
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
