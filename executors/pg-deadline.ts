// A statement deadline the SQL itself cannot lift. The server-side statement_timeout lives in the
// session, where approved SQL could switch it off (a DO body, a function's SET clause); this timer
// lives in Airlock: when a statement outlives the target's limit it cancels the backend from a
// second connection; SQL that swallows the cancel (a PL/pgSQL handler for query_canceled) has its
// backend terminated and the connection dropped. Either way nothing is committed: COMMIT is only
// sent after every statement has returned in time.
import type pg from 'pg';
import type { PostgresTarget } from '../config/types.js';
import { connect } from './pg-util.js';

/** After the limit, time for the server's own statement_timeout to answer first, with its message. */
const SERVER_FIRST_MS = 200;
/** After the cancel, time for the backend to stop before it is terminated. */
const CANCEL_WAIT_MS = 2_000;
/**
 * How long pg_terminate_backend waits for the backend to be gone (PostgreSQL 14+): the request's
 * advisory lock goes with it, so a retry right after is not told another attempt still runs.
 */
const TERMINATE_WAIT_MS = 2_000;

export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
}

export interface DeadlineOptions {
  target: PostgresTarget;
  /** The backend running the statements (`pg_backend_pid()` on `client`). */
  backendPid: number;
  timeoutMs: number;
}

/**
 * Runs `query` on `client`; past `timeoutMs` throws DeadlineExceeded (whether or not the statement
 * finished meanwhile), after cancelling the backend. The caller must roll back.
 */
export async function queryWithin<R extends pg.QueryResultRow>(
  client: pg.Client,
  query: pg.QueryConfig,
  { target, backendPid, timeoutMs }: DeadlineOptions,
): Promise<pg.QueryResult<R>> {
  let stopping: Promise<void> | undefined;
  let dropTimer: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    stopping = signalBackend(target, backendPid, 'pg_cancel_backend');
    // The cancel could not be sent or did not take: the backend and the connection must still end.
    dropTimer = setTimeout(() => {
      stopping = Promise.all([stopping, signalBackend(target, backendPid, 'pg_terminate_backend')]).then(
        () => undefined,
      );
      client.connection.stream.destroy();
    }, CANCEL_WAIT_MS);
  }, timeoutMs + SERVER_FIRST_MS);
  try {
    const result = await client.query<R>(query);
    if (stopping) throw new DeadlineExceeded(`ran past the target's limit of ${timeoutMs} ms`);
    return result;
  } catch (err) {
    if (stopping) throw new DeadlineExceeded(`ran past the target's limit of ${timeoutMs} ms`);
    throw err;
  } finally {
    clearTimeout(timer);
    clearTimeout(dropTimer);
    // A cancel still on its way must not land on the ROLLBACK that follows.
    await stopping;
  }
}

/** Cancels what `pid` runs, or ends it; never throws (dropping the socket is the last resort). */
async function signalBackend(
  target: PostgresTarget,
  pid: number,
  how: 'pg_cancel_backend' | 'pg_terminate_backend',
): Promise<void> {
  let side: pg.Client | undefined;
  try {
    side = await connect(target);
    await side.query(
      how === 'pg_terminate_backend' ? `SELECT ${how}($1, ${TERMINATE_WAIT_MS})` : `SELECT ${how}($1)`,
      [pid],
    );
  } catch {
    // The socket drop still ends the query on Airlock's side.
  } finally {
    await side?.end().catch(() => undefined);
  }
}
