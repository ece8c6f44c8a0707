// Clear error classes for the SQL layer and the audit store, so callers never have to know
// whether pg or PGlite raised them. The append-only trigger raises SQLSTATE 'AL001' (our own).

/** SQLSTATE raised by the append-only triggers (custom class "AL", Airlock). */
export const APPEND_ONLY_SQLSTATE = 'AL001';

/** A database error with its SQLSTATE (`code`), whichever driver raised it. */
export class SqlError extends Error {
  override readonly name: string = 'SqlError';
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly constraint: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The database could not be reached (refused, timed out, closed). */
export class SqlConnectionError extends SqlError {
  override readonly name = 'SqlConnectionError';
}

/** The database refused an UPDATE, DELETE or TRUNCATE on an append-only table. */
export class AuditAppendOnlyError extends SqlError {
  override readonly name = 'AuditAppendOnlyError';
}

/** The same (requestId, eventKey) was appended before with different content. */
export class AuditConflictError extends Error {
  override readonly name = 'AuditConflictError';
  constructor(
    readonly requestId: string,
    readonly eventKey: string,
    readonly differences: string[],
  ) {
    super(`audit event ${requestId}/${eventKey} already exists with different ${differences.join(', ')}`);
  }
}

/**
 * Whether the store refused the write for what it holds, so that the same write can never
 * succeed: SQLSTATE class 22 (data exception: a NUL in text, 22021, or in JSON, 22P05; a value
 * out of range) and class 54 (program limit exceeded: a row or value too large, 54000). A
 * connection error, a serialization failure or a lock timeout is not: those pass.
 */
export function storeCannotAccept(err: unknown): err is SqlError {
  const mapped = mapDbError(err);
  if (!(mapped instanceof SqlError) || mapped instanceof SqlConnectionError) return false;
  const code = mapped.code ?? '';
  return code.startsWith('22') || code.startsWith('54');
}

// pg-pool's own messages for an unreachable or dropped server.
const PG_CONNECTION_MESSAGE = /^(timeout exceeded when trying to connect|connection terminated)/i;
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH']);

function field(err: object, key: string): string | undefined {
  const v = (err as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}

/** Maps a pg / PGlite / network error to one of the classes above; anything else is returned as is. */
export function mapDbError(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof SqlError) return err;
  const code = field(err, 'code');
  const constraint = field(err, 'constraint');
  if (code === APPEND_ONLY_SQLSTATE)
    return new AuditAppendOnlyError(err.message, code, constraint, { cause: err });
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
    // Class 08 = connection exception, 57P0x = server shutting down / cannot connect now.
    const Cls = code.startsWith('08') || code.startsWith('57P0') ? SqlConnectionError : SqlError;
    return new Cls(err.message, code, constraint, { cause: err });
  }
  if ((code !== undefined && CONNECTION_CODES.has(code)) || PG_CONNECTION_MESSAGE.test(err.message)) {
    return new SqlConnectionError(`database unreachable: ${err.message}`, code, undefined, { cause: err });
  }
  return err;
}
