// `postgres.sql`: approved statements on a target database in ONE transaction with a statement
// timeout. Exactly once across retries and crashes: a marker row in `airlock_executions`,
// keyed by request id, commits in the same transaction as the statements. Statements are split
// and checked by PostgreSQL's own parser (the one policy rules use); the timeout is enforced both
// in the session and by a client-side deadline the SQL cannot switch off.
import type pg from 'pg';
import { z } from 'zod';
import type { PostgresTarget, Target } from '../config/types.js';
import { parseSqlParameter, SqlParseError, type SqlStatement } from '../policy/sql.js';
import { describeRowsDrift, rowsDrift } from '../workflows/rules.js';
import type { ExecutionResult } from '../workflows/types.js';
import { DeadlineExceeded, queryWithin } from './pg-deadline.js';
import { connect, sqlErrorSummary, sqlStateOf, targetSecrets, transientError } from './pg-util.js';
import { DEFAULT_LOCK_TIMEOUT_MS, previewSql } from './postgres-sql-preview.js';
import { refusalOf } from './sql-guard.js';
import { type ExecutionContext, type Executor, ExecutorError, failure } from './types.js';

const MAX_STATEMENTS = 200;
export const MARKER_TABLE = 'airlock_executions';

const paramsSchema = z.strictObject({
  sql: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(MAX_STATEMENTS)]),
});

/** The statements to run, or the problems with the parameters. */
export function parseStatements(parameters: Record<string, unknown>): {
  statements: string[];
  problems: string[];
} {
  const parsed = paramsSchema.safeParse(parameters);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'parameters'}: ${i.message}`);
    return { statements: [], problems };
  }
  let parsedStatements: SqlStatement[];
  try {
    parsedStatements = parseSqlParameter(parsed.data.sql);
  } catch (error) {
    if (!(error instanceof SqlParseError)) throw error;
    return { statements: [], problems: [`sql: ${error.message}`] };
  }
  const problems: string[] = [];
  if (parsedStatements.length === 0) problems.push('sql: no statement to run');
  if (parsedStatements.length > MAX_STATEMENTS) problems.push(`sql: more than ${MAX_STATEMENTS} statements`);
  parsedStatements.forEach((s, i) => {
    const refusal = refusalOf(s);
    if (refusal) problems.push(`sql: statement ${i + 1} ${refusal}`);
  });
  return { statements: parsedStatements.map((s) => s.text), problems };
}

/** The stored output of an earlier committed run of this request, if any. */
async function storedResult(
  client: pg.Client,
  requestId: string,
): Promise<Record<string, unknown> | undefined> {
  const r = await client.query<{ result: Record<string, unknown> | null }>(
    `SELECT result FROM ${MARKER_TABLE} WHERE request_id = $1`,
    [requestId],
  );
  const row = r.rows[0];
  return row === undefined ? undefined : { ...(row.result ?? {}), alreadyExecuted: true };
}

/** Creates the marker table once, outside the transaction, tolerating a concurrent creator. */
async function ensureMarkerTable(client: pg.Client): Promise<void> {
  const r = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [MARKER_TABLE]);
  if (r.rows[0]?.t) return;
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${MARKER_TABLE} (request_id text PRIMARY KEY, result jsonb, executed_at timestamptz NOT NULL DEFAULT now())`,
    );
  } catch (err) {
    const code = sqlStateOf(err);
    if (code !== '23505' && code !== '42P07') throw err;
  }
}

async function runOnce(
  client: pg.Client,
  ctx: ExecutionContext,
  statements: string[],
  target: PostgresTarget,
  secrets: readonly string[],
): Promise<ExecutionResult> {
  const timeoutMs = target.statementTimeoutMs;
  await client.query('BEGIN');
  // Another attempt of the same request still running (an abandoned activity): retry later.
  const lock = await client.query<{ locked: boolean; pid: number }>(
    "SELECT pg_try_advisory_xact_lock(hashtextextended('airlock:' || $1, 0)) AS locked, pg_backend_pid() AS pid",
    [ctx.requestId],
  );
  const backendPid = lock.rows[0]?.pid;
  if (lock.rows[0]?.locked !== true || backendPid === undefined) {
    await client.query('ROLLBACK');
    throw new ExecutorError('in_progress', 'another attempt of this request is still running', true);
  }
  const prior = await storedResult(client, ctx.requestId);
  if (prior !== undefined) {
    await client.query('ROLLBACK');
    return { ok: true, output: prior };
  }
  await client.query(
    "SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true)",
    [String(timeoutMs), String(target.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS)],
  );
  const rowsAffected: number[] = [];
  for (const [i, text] of statements.entries()) {
    try {
      // Extended protocol: the server refuses a second statement hiding in one string.
      const query: pg.QueryConfig & { queryMode: 'extended' } = { text, queryMode: 'extended' };
      const r = await queryWithin(client, query, { target, backendPid, timeoutMs });
      rowsAffected.push(r.rowCount ?? 0);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (err instanceof DeadlineExceeded) {
        return failure(
          'statement_timeout',
          `statement ${i + 1} ${err.message} and was cancelled; nothing was committed`,
          {
            failedStatement: i,
            code: '57014',
            rolledBack: true,
          },
        );
      }
      const transient = transientError(err, secrets);
      if (transient) throw transient;
      const code = sqlStateOf(err) ?? 'unknown';
      return failure('sql_error', `statement ${i + 1} failed (${code}): ${sqlErrorSummary(err, secrets)}`, {
        failedStatement: i,
        code,
        rolledBack: true,
      });
    }
  }
  const output = { rowsAffected, total: rowsAffected.reduce((a, b) => a + b, 0) };
  const drift = driftFromPreview(ctx, rowsAffected);
  if (drift) {
    await client.query('ROLLBACK');
    return drift;
  }
  // Triggers the SQL created (on the marker table, deferred ones at COMMIT) run here: bounded too.
  const deadline = { target, backendPid, timeoutMs };
  try {
    await queryWithin(
      client,
      {
        text: `INSERT INTO ${MARKER_TABLE} (request_id, result) VALUES ($1, $2)`,
        values: [ctx.requestId, JSON.stringify(output)],
      },
      deadline,
    );
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (err instanceof DeadlineExceeded)
      return failure('statement_timeout', `recording the run ${err.message}; nothing was committed`, {
        code: '57014',
        rolledBack: true,
      });
    return concurrentResult(client, ctx, err);
  }
  try {
    await queryWithin(client, { text: 'COMMIT' }, deadline);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    // Stopped mid-COMMIT, it may or may not have committed: the retry reads the marker and knows.
    if (err instanceof DeadlineExceeded)
      throw new ExecutorError(
        'commit_interrupted',
        `COMMIT ${err.message}; the retry checks its outcome`,
        true,
      );
    return concurrentResult(client, ctx, err);
  }
  return { ok: true, output };
}

/**
 * Reality moved since the approved preview: rows affected beyond the rule's tolerance. Then
 * nothing is committed and the request fails with both figures (SPEC 13).
 */
function driftFromPreview(ctx: ExecutionContext, rowsAffected: number[]): ExecutionResult | undefined {
  const approved = ctx.approved;
  const sql = approved?.preview.sql;
  if (!approved || !sql || (approved.preview.status !== 'ok' && approved.preview.status !== 'partial'))
    return undefined;
  const previewed = sql.statements.map((s) => (s.mode === 'run' ? s.rows : undefined));
  const drifts = rowsDrift(previewed, rowsAffected, approved.drift.rows);
  if (drifts.length === 0) return undefined;
  return failure('drift_detected', `drift detected: ${describeRowsDrift(drifts)}; nothing was committed`, {
    drift: drifts.map((d) => ({ ...d, statement: d.statement + 1 })),
    previewHash: approved.preview.hash,
    rowsAffected,
    rolledBack: true,
  });
}

/** A concurrent attempt that committed first is the run that counts; any other error is thrown. */
async function concurrentResult(
  client: pg.Client,
  ctx: ExecutionContext,
  err: unknown,
): Promise<ExecutionResult> {
  if (sqlStateOf(err) === '23505') {
    const stored = await storedResult(client, ctx.requestId);
    if (stored !== undefined) return { ok: true, output: stored };
  }
  throw err;
}

async function execute(ctx: ExecutionContext): Promise<ExecutionResult> {
  const target = ctx.target;
  if (target?.type !== 'postgres')
    return failure('target_mismatch', 'postgres.sql needs a target of type postgres');
  const { statements, problems } = parseStatements(ctx.parameters);
  if (problems.length > 0) return failure('invalid_parameters', problems.join('; '));
  const secrets = targetSecrets(target);
  const client = await connect(target, ctx.signal);
  try {
    await ensureMarkerTable(client);
    return await runOnce(client, ctx, statements, target, secrets);
  } catch (err) {
    if (err instanceof ExecutorError) throw err;
    const transient = transientError(err, secrets);
    if (transient) throw transient;
    const code = sqlStateOf(err) ?? 'unknown';
    return failure('database_error', `${code}: ${sqlErrorSummary(err, secrets)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export const postgresSqlExecutor: Executor = {
  name: 'postgres.sql',
  targetType: 'postgres',
  validate(parameters: Record<string, unknown>, _target?: Target): string[] {
    return parseStatements(parameters).problems;
  },
  execute,
  preview: previewSql,
  canPreview: (target?: Target) => target?.type === 'postgres' && target.preview !== false,
};
