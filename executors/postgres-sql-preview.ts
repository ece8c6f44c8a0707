// The postgres.sql preview (SPEC 13): the approved statements run on the target inside one
// transaction with the target's statement_timeout and lock_timeout (and the client-side deadline
// the SQL cannot lift), then ROLLBACK, always. Reported per statement: rows affected and a bounded
// sample of the rows as they are and as they would be (a write runs as a data-modifying WITH whose
// RETURNING rows are counted and sampled, joined on the primary key to the rows as they were);
// reads are only EXPLAINed. Statements a rollback cannot undo are not run (sql-preview-guard.ts).
import type pg from 'pg';
import type { PostgresTarget } from '../config/types.js';
import { parseSqlParameter, SqlParseError, type SqlStatement } from '../policy/sql.js';
import type { RowSample, SqlStatementPreview } from '../workflows/preview-types.js';
import { DeadlineExceeded, queryWithin } from './pg-deadline.js';
import {
  connect,
  quoteQualified,
  sqlErrorSummary,
  sqlStateOf,
  targetSecrets,
  transientError,
} from './pg-util.js';
import { isWrite, previewModeOf } from './sql-preview-guard.js';
import type { PreviewContext, PreviewOutcome } from './types.js';

export const DEFAULT_LOCK_TIMEOUT_MS = 5_000;
/** Bounds of what a preview keeps: rows and columns per sample, characters per value and text. */
export const SAMPLE_LIMITS = { rows: 20, columns: 12, value: 60, text: 300, plan: 800, sampled: 5 } as const;
/** Column names whose values a sample never shows. */
const SECRET_COLUMN = /pass(word)?|secret|token|api_?key|private_?key|credential/i;
const SAVEPOINT = 'airlock_preview';

type Deadline = { target: PostgresTarget; backendPid: number; timeoutMs: number };

export async function previewSql(ctx: PreviewContext): Promise<PreviewOutcome> {
  const target = ctx.target;
  if (target?.type !== 'postgres')
    return { status: 'unavailable', reason: 'postgres.sql needs a target of type postgres', summary: [] };
  let parsed: SqlStatement[];
  try {
    parsed = parseSqlParameter(ctx.parameters.sql);
  } catch (err) {
    if (!(err instanceof SqlParseError)) throw err;
    return { status: 'unavailable', reason: err.message, summary: [] };
  }
  const modes = parsed.map(previewModeOf);
  const stopAt = modes.findIndex((m) => m.mode === 'not_run');
  const runnable = stopAt === -1 ? parsed.length : stopAt;
  const statements: SqlStatementPreview[] = parsed.map((s, i) => {
    const mode = modes[i]!;
    const base = { kind: s.kind, text: cut(s.text, SAMPLE_LIMITS.text), ...tableOf(s) };
    if (mode.mode === 'not_run') return { ...base, mode: 'not_run', note: mode.why };
    if (i > runnable)
      return { ...base, mode: 'not_run', note: `not previewed: statement ${runnable + 1} is not run` };
    return { ...base, mode: mode.mode };
  });
  const lockTimeoutMs = target.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const sql = { statements, rolledBack: true, statementTimeoutMs: target.statementTimeoutMs, lockTimeoutMs };
  if (runnable === 0) {
    return {
      status: 'unavailable',
      reason: `statement 1 (${label(parsed[0]!)}) is not run by a preview: ${statements[0]!.note}`,
      summary: statements.map((s, i) => summaryLine(s, i)),
      sql,
    };
  }

  const secrets = targetSecrets(target);
  const client = await connect(target, ctx.signal);
  let failedAt = -1;
  try {
    await client.query('BEGIN');
    const r = await client.query<{ pid: number }>(
      "SELECT pg_backend_pid() AS pid, set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true)",
      [String(target.statementTimeoutMs), String(lockTimeoutMs)],
    );
    const backendPid = r.rows[0]!.pid;
    let sampled = 0;
    for (let i = 0; i < runnable; i++) {
      failedAt = i;
      const remaining = ctx.deadline - Date.now();
      if (remaining <= 0) {
        return failed(sql, `the preview ran out of time before statement ${i + 1}; nothing was kept`);
      }
      const deadline = { target, backendPid, timeoutMs: Math.min(target.statementTimeoutMs, remaining) };
      const preview = statements[i]!;
      const statement = parsed[i]!;
      if (preview.mode === 'explain') {
        Object.assign(preview, await explain(client, statement.text, deadline));
      } else if (
        isWrite(statement.kind) &&
        statement.kind !== 'MergeStmt' &&
        sampled < SAMPLE_LIMITS.sampled
      ) {
        sampled++;
        Object.assign(preview, await runSampled(client, statement, deadline));
      } else {
        const plain = await queryWithin(
          client,
          { text: statement.text, queryMode: 'extended' } as pg.QueryConfig,
          deadline,
        );
        if (statement.kind !== 'ExplainStmt') preview.rows = plain.rowCount ?? 0;
      }
    }
    failedAt = -1;
  } catch (err) {
    if (failedAt < 0) throw err;
    const transient = transientError(err, secrets);
    const code = sqlStateOf(err);
    const which = `statement ${failedAt + 1} (${label(parsed[failedAt]!)})`;
    if (err instanceof DeadlineExceeded) return failed(sql, `${which} ${err.message}; nothing was kept`);
    if (code === '57014')
      return failed(
        sql,
        `${which} ran past the target's statement_timeout of ${target.statementTimeoutMs} ms; nothing was kept`,
      );
    if (code === '55P03')
      return failed(
        sql,
        `${which} waited longer than the target's lock_timeout of ${lockTimeoutMs} ms for a lock; nothing was kept`,
      );
    if (transient && code === undefined) throw transient;
    return failed(sql, `${which} fails on the target (${code ?? 'error'}): ${sqlErrorSummary(err, secrets)}`);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }

  const run = statements.filter((s) => s.mode === 'run');
  const rowsAffected = run.reduce((n, s) => n + (s.rows ?? 0), 0);
  const summary = statements.map((s, i) => summaryLine(s, i));
  if (stopAt !== -1) {
    return {
      status: 'partial',
      reason: `statement ${stopAt + 1} (${label(parsed[stopAt]!)}) is not run by a preview: ${statements[stopAt]!.note}`,
      summary,
      sql,
    };
  }
  return { status: 'ok', summary, rowsAffected, sql };
}

function failed(sql: PreviewOutcome['sql'], reason: string): PreviewOutcome {
  const statements = sql!.statements.map((s) => ({
    ...s,
    rows: undefined,
    before: undefined,
    after: undefined,
  }));
  return { status: 'failed', reason, summary: [], sql: { ...sql!, statements } };
}

/** EXPLAIN (no ANALYZE: nothing runs) for a read: the planner's estimate and the plan's first lines. */
async function explain(
  client: pg.Client,
  text: string,
  deadline: Deadline,
): Promise<Partial<SqlStatementPreview>> {
  const r = await queryWithin<{ 'QUERY PLAN': string }>(client, { text: `EXPLAIN ${text}` }, deadline);
  const lines = r.rows.map((row) => row['QUERY PLAN']);
  const estimate = /rows=(\d+)/.exec(lines[0] ?? '');
  return {
    ...(estimate ? { estimatedRows: Number(estimate[1]) } : {}),
    plan: cut(lines.join('\n'), SAMPLE_LIMITS.plan),
  };
}

/**
 * Runs a write as `WITH airlock_rows AS (<statement> RETURNING <table>.*)`, counting all its rows
 * and sampling the first ones with the same rows as they were (the main query sees the snapshot
 * from before the statement). Where that form cannot run (a data-modifying WITH of its own), the
 * statement runs as it is and only its count is kept.
 */
async function runSampled(
  client: pg.Client,
  statement: SqlStatement,
  deadline: Deadline,
): Promise<Partial<SqlStatementPreview>> {
  const node = statement.node as { relation?: RangeVar; returningList?: unknown[] };
  const relation = node.relation;
  if (!relation) return plainRows(client, statement, deadline);
  const qualified = quoteQualified([relation.schemaname, relation.relname].filter(Boolean).join('.'));
  const ref = quoteQualified(relation.alias?.aliasname ?? relation.relname);
  const keys = await primaryKey(client, qualified, deadline);
  const ownReturning = (node.returningList?.length ?? 0) > 0;
  const joinOld = !ownReturning && statement.kind !== 'DeleteStmt' && keys.length > 0;
  // Primary key columns are never NULL: `=` lets the join use the key's index.
  const on = keys.map((k) => `airlock_old.${k} = n.${k}`).join(' AND ');
  const text = [
    `WITH airlock_rows AS (${statement.text}${ownReturning ? '' : `\nRETURNING ${ref}.*`})`,
    'SELECT (SELECT count(*) FROM airlock_rows)::bigint AS total,',
    `(SELECT coalesce(json_agg(json_build_array(row_to_json(n), ${joinOld ? 'row_to_json(airlock_old)' : 'NULL'})), '[]')`,
    `FROM (SELECT * FROM airlock_rows LIMIT ${SAMPLE_LIMITS.rows}) n`,
    joinOld ? `LEFT JOIN ${qualified} airlock_old ON ${on}` : '',
    ') AS sample',
  ].join('\n');
  await client.query(`SAVEPOINT ${SAVEPOINT}`);
  let r: pg.QueryResult<{
    total: string;
    sample: [Record<string, unknown>, Record<string, unknown> | null][];
  }>;
  try {
    r = await queryWithin(client, { text, queryMode: 'extended' } as pg.QueryConfig, deadline);
  } catch (err) {
    if (err instanceof DeadlineExceeded || sqlStateOf(err) === '57014' || sqlStateOf(err) === '55P03')
      throw err;
    // The sampling form is refused (or the statement itself fails: then running it says so).
    await client.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
    return plainRows(client, statement, deadline);
  }
  const rows = Number(r.rows[0]!.total);
  const pairs = r.rows[0]!.sample;
  const more = rows > pairs.length;
  const returned = sampleOf(
    pairs.map((p) => p[0]),
    more,
  );
  const note = ownReturning ? "the sample shows the statement's own RETURNING columns" : undefined;
  const caveat =
    statement.kind === 'InsertStmt'
      ? 'sequences it draws values from advance even though it was rolled back'
      : undefined;
  const notes = [note, caveat].filter(Boolean).join('; ');
  const extra = notes ? { note: notes } : {};
  if (statement.kind === 'DeleteStmt') return { rows, before: returned, ...extra };
  const before = joinOld
    ? sampleOf(
        pairs.map((p) => p[1]).filter((x) => x !== null),
        more,
      )
    : undefined;
  return { rows, ...(before && before.rows.length > 0 ? { before } : {}), after: returned, ...extra };
}

async function plainRows(client: pg.Client, statement: SqlStatement, deadline: Deadline) {
  const r = await queryWithin(
    client,
    { text: statement.text, queryMode: 'extended' } as pg.QueryConfig,
    deadline,
  );
  return { rows: r.rowCount ?? 0 };
}

interface RangeVar {
  schemaname?: string;
  relname: string;
  alias?: { aliasname?: string };
}

/** The primary key's columns, quoted, or none (then no "before" sample for an UPDATE). */
async function primaryKey(client: pg.Client, qualified: string, deadline: Deadline): Promise<string[]> {
  const r = await queryWithin<{ name: string }>(
    client,
    {
      text: `SELECT quote_ident(a.attname) AS name FROM pg_index i
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
        WHERE i.indrelid = to_regclass($1) AND i.indisprimary
        ORDER BY array_position(i.indkey::int2[], a.attnum)`,
      values: [qualified],
    },
    deadline,
  );
  return r.rows.map((row) => row.name);
}

/** Rows as text: at most SAMPLE_LIMITS columns and characters, credential-like columns hidden. */
export function sampleOf(rows: Record<string, unknown>[], more: boolean): RowSample {
  const all = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const columns = all.slice(0, SAMPLE_LIMITS.columns);
  let truncated = more || all.length > columns.length;
  const values = rows.slice(0, SAMPLE_LIMITS.rows).map((row) =>
    columns.map((c) => {
      const v = row[c];
      if (v === null || v === undefined) return null;
      if (SECRET_COLUMN.test(c)) return '••••';
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      if (Array.from(text).length > SAMPLE_LIMITS.value) truncated = true;
      return cut(text, SAMPLE_LIMITS.value);
    }),
  );
  return { columns, rows: values, truncated };
}

function tableOf(s: SqlStatement): { table?: string } {
  const relation = (s.node as { relation?: RangeVar }).relation;
  if (!relation?.relname) return {};
  return { table: [relation.schemaname, relation.relname].filter(Boolean).join('.') };
}

/** The statement's first words (`VACUUM customers`, `CREATE INDEX CONCURRENTLY`), for people. */
function label(s: SqlStatement): string {
  return cut(s.text.split(/\s+/).slice(0, 3).join(' '), 40);
}

const count = (n: number) => `${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'}`;

/** "UPDATE customers: 1,204 rows (sample below)", one line per statement. */
export function summaryLine(s: SqlStatementPreview, i: number): string {
  const verb = s.text.split(/\s+/)[0]?.toUpperCase() ?? s.kind;
  const what = s.table ? `${verb} ${s.table}` : verb;
  const n = `${i + 1}. ${what}`;
  if (s.mode === 'not_run') return `${n}: not run (${s.note ?? 'not previewed'})`;
  if (s.mode === 'explain')
    return `${n}: read, not run${s.estimatedRows !== undefined ? ` (planner estimate ${count(s.estimatedRows)})` : ''}`;
  if (s.rows === undefined) return `${n}: run and rolled back`;
  const sample = s.before || s.after ? ' (sample below)' : '';
  return `${n}: ${count(s.rows)}${sample}`;
}

function cut(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
