// `postgres.grant`: a just-in-time login role on a target database with exactly the approved
// privileges and a VALID UNTIL, created idempotently per request and revoked (sessions killed,
// role dropped) when the TTL ends or the holder releases it. The password never leaves here.
import pg from 'pg';
import { z } from 'zod';
import type { Target } from '../config/types.js';
import { sha256Hex } from '../lib/sha256.js';
import type { ExecutionResult } from '../workflows/types.js';
import {
  connect,
  quoteQualified,
  sqlErrorSummary,
  sqlStateOf,
  targetSecrets,
  transientError,
} from './pg-util.js';
import { DEFAULT_LOCK_TIMEOUT_MS } from './postgres-sql-preview.js';
import { secretVariants } from './redact.js';
import { scramSha256Verifier } from './scram.js';
import { deriveSecret } from './secrets.js';
import {
  type ExecutionContext,
  type Executor,
  ExecutorError,
  failure,
  type PreviewContext,
  type PreviewOutcome,
} from './types.js';

const IDENT = /^[a-zA-Z_][a-zA-Z0-9_]*(\.[a-zA-Z_][a-zA-Z0-9_]*)?$/;
const SIMPLE_IDENT = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TABLE_PRIVILEGES = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'TRUNCATE',
  'REFERENCES',
  'TRIGGER',
] as const;
const SEQUENCE_PRIVILEGES = ['USAGE', 'SELECT', 'UPDATE'] as const;
/** Which privileges each object kind accepts (the allow-list). */
export const ALLOWED_PRIVILEGES: Record<string, readonly string[]> = {
  TABLE: TABLE_PRIVILEGES,
  'ALL TABLES IN SCHEMA': TABLE_PRIVILEGES,
  SCHEMA: ['USAGE', 'CREATE'],
  SEQUENCE: SEQUENCE_PRIVILEGES,
  'ALL SEQUENCES IN SCHEMA': SEQUENCE_PRIVILEGES,
};
const MAX_TTL_SECONDS = 31 * 24 * 3600;
export const GRANT_PASSWORD_PURPOSE = 'grant-password';

const paramsSchema = z.strictObject({
  privileges: z
    .array(
      z.strictObject({
        privilege: z.enum([
          'SELECT',
          'INSERT',
          'UPDATE',
          'DELETE',
          'TRUNCATE',
          'REFERENCES',
          'TRIGGER',
          'USAGE',
          'CREATE',
        ]),
        on: z.enum(['TABLE', 'SCHEMA', 'ALL TABLES IN SCHEMA', 'SEQUENCE', 'ALL SEQUENCES IN SCHEMA']),
        object: z.string().max(127).regex(IDENT, 'not a plain identifier (name or schema.name)'),
      }),
    )
    .min(1)
    .max(50),
  ttlSeconds: z.number().int().min(1).max(MAX_TTL_SECONDS).optional(),
});

export type GrantParameters = z.infer<typeof paramsSchema>;

export function parseGrantParameters(
  parameters: Record<string, unknown>,
): { ok: true; value: GrantParameters } | { ok: false; problems: string[] } {
  const parsed = paramsSchema.safeParse(parameters);
  if (!parsed.success)
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => `${i.path.join('.') || 'parameters'}: ${i.message}`),
    };
  const problems: string[] = [];
  parsed.data.privileges.forEach((p, i) => {
    if (!(ALLOWED_PRIVILEGES[p.on] ?? []).includes(p.privilege))
      problems.push(`privileges.${i}: ${p.privilege} cannot be granted on ${p.on}`);
    if (p.on.endsWith('IN SCHEMA') || p.on === 'SCHEMA') {
      if (!SIMPLE_IDENT.test(p.object)) problems.push(`privileges.${i}.object: must be a schema name`);
    }
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: parsed.data };
}

/** `airlock_<first 12 id chars>_<10 hex of sha256(id)>`: deterministic, lower case, 31 chars. */
export function grantRoleName(requestId: string): string {
  const readable = requestId
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 12);
  const digest = sha256Hex(requestId).slice(0, 10);
  return `airlock_${readable}_${digest}`;
}

/** The grant password for a request, derived from the master key (never stored). */
export function grantPassword(masterKey: Buffer, requestId: string): string {
  return deriveSecret(masterKey, GRANT_PASSWORD_PURPOSE, requestId);
}

function grantStatement(p: GrantParameters['privileges'][number], role: string): string {
  const object =
    p.on === 'TABLE' || p.on === 'SEQUENCE' ? quoteQualified(p.object) : pg.escapeIdentifier(p.object);
  return `GRANT ${p.privilege} ON ${p.on} ${object} TO ${pg.escapeIdentifier(role)}`;
}

export interface GrantOptions {
  /** Printable ASCII, at least 16 characters; sent to the server only as a SCRAM verifier. */
  password: string;
  validUntil: Date | string;
}

export interface GrantExecutor extends Executor {
  grant(ctx: ExecutionContext, options: GrantOptions): Promise<ExecutionResult>;
  revoke(ctx: ExecutionContext): Promise<ExecutionResult>;
}

function lockRole(client: pg.Client, role: string): Promise<pg.QueryResult> {
  return client.query("SELECT pg_advisory_xact_lock(hashtextextended('airlock-role:' || $1, 0))", [role]);
}

/** Runs `body`, mapping errors: transient ones thrown retryable, others a failed result. */
async function guarded(
  ctx: ExecutionContext,
  secrets: string[],
  body: (client: pg.Client) => Promise<ExecutionResult>,
): Promise<ExecutionResult> {
  const target = ctx.target;
  if (target?.type !== 'postgres')
    return failure('target_mismatch', 'postgres.grant needs a target of type postgres');
  const all = [...secrets, ...targetSecrets(target)];
  const client = await connect(target, ctx.signal);
  try {
    return await body(client);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (err instanceof ExecutorError) throw err;
    const transient = transientError(err, all);
    if (transient) throw transient;
    const code = sqlStateOf(err) ?? 'unknown';
    return failure('grant_error', `${code}: ${sqlErrorSummary(err, all)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function grant(ctx: ExecutionContext, options: GrantOptions): Promise<ExecutionResult> {
  const parsed = parseGrantParameters(ctx.parameters);
  if (!parsed.ok) return failure('invalid_parameters', parsed.problems.join('; '));
  if (!/^[\x21-\x7e]{16,256}$/.test(options.password))
    return failure('invalid_password', 'the grant password must be 16-256 printable ASCII characters');
  const until = new Date(options.validUntil);
  if (!Number.isFinite(until.getTime()))
    return failure('invalid_parameters', 'validUntil is not a valid date');
  const validUntil = until.toISOString();
  const role = grantRoleName(ctx.requestId);
  const verifier = scramSha256Verifier(options.password);
  const secrets = secretVariants([options.password, verifier]);

  return guarded(ctx, secrets, async (client) => {
    await client.query('BEGIN');
    await lockRole(client, role);
    const exists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount === 1;
    const ident = pg.escapeIdentifier(role);
    const attrs =
      'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT ' +
      `PASSWORD ${pg.escapeLiteral(verifier)} VALID UNTIL ${pg.escapeLiteral(validUntil)}`;
    // A retry finds the role of an earlier committed attempt: bring it to this state again.
    await client.query(`${exists ? 'ALTER' : 'CREATE'} ROLE ${ident} WITH ${attrs}`);
    await client.query(
      `COMMENT ON ROLE ${ident} IS ${pg.escapeLiteral(`Airlock grant for request ${ctx.requestId}`)}`,
    );
    const db = await client.query<{ db: string; open: boolean }>(
      "SELECT current_database() AS db, has_database_privilege('public', current_database(), 'CONNECT') AS open",
    );
    const database = db.rows[0]?.db ?? '';
    if (db.rows[0]?.open !== true)
      await client.query(`GRANT CONNECT ON DATABASE ${pg.escapeIdentifier(database)} TO ${ident}`);
    for (const p of parsed.value.privileges) await client.query(grantStatement(p, role));
    await client.query('COMMIT');
    return { ok: true, output: { role, database, validUntil } };
  });
}

async function revoke(ctx: ExecutionContext): Promise<ExecutionResult> {
  const role = grantRoleName(ctx.requestId);
  const ident = pg.escapeIdentifier(role);
  return guarded(ctx, [], async (client) => {
    const database =
      (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db ?? '';
    const gone = { ok: true, output: { role, database, revoked: true, existed: false } };
    // First no new logins, then end the open sessions, then drop privileges and role.
    try {
      await client.query(`ALTER ROLE ${ident} NOLOGIN`);
    } catch (err) {
      if (sqlStateOf(err) === '42704') return gone;
      throw err;
    }
    let sessionsTerminated: number | null = null;
    try {
      const r = await client.query<{ n: number }>(
        'SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000))::int AS n FROM pg_stat_activity WHERE usename = $1',
        [role],
      );
      sessionsTerminated = r.rows[0]?.n ?? 0;
    } catch (err) {
      // Not allowed to signal those backends: the role loses its privileges regardless.
      if (sqlStateOf(err) !== '42501') throw err;
    }
    await client.query('BEGIN');
    await lockRole(client, role);
    if ((await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount !== 1) {
      await client.query('ROLLBACK');
      return gone;
    }
    await client.query(`DROP OWNED BY ${ident}`);
    await client.query(`DROP ROLE IF EXISTS ${ident}`);
    await client.query('COMMIT');
    return { ok: true, output: { role, database, revoked: true, existed: true, sessionsTerminated } };
  });
}

const ROLE_ATTRIBUTES = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT';
/** Rows of privileges a preview lists (ALL TABLES IN SCHEMA can expand to many). */
const MAX_LISTED_PRIVILEGES = 200;

/** What the role would hold, as the database reports it: tables, sequences, schemas, the database. */
const HELD_PRIVILEGES = `WITH r AS (SELECT oid FROM pg_roles WHERE rolname = $1)
SELECT a.privilege_type AS privilege, CASE WHEN c.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS "on",
  quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS object
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a, r WHERE a.grantee = r.oid
UNION ALL SELECT a.privilege_type, 'SCHEMA', quote_ident(n.nspname) FROM pg_namespace n, aclexplode(n.nspacl) a, r WHERE a.grantee = r.oid
UNION ALL SELECT a.privilege_type, 'DATABASE', quote_ident(d.datname) FROM pg_database d, aclexplode(d.datacl) a, r
  WHERE d.datname = current_database() AND a.grantee = r.oid
ORDER BY 2, 3, 1 LIMIT ${MAX_LISTED_PRIVILEGES + 1}`;

/**
 * The preview (SPEC 13): the exact statements the grant runs (the password only as a placeholder),
 * run in a transaction that is rolled back, and the privileges the role would then hold as the
 * database reports them; a GRANT on an object that does not exist shows up here, not at execution.
 */
async function previewGrant(
  ctx: PreviewContext,
  defaultTtlMs: number,
  maxTtlMs: number,
): Promise<PreviewOutcome> {
  const target = ctx.target;
  if (target?.type !== 'postgres')
    return { status: 'unavailable', reason: 'postgres.grant needs a target of type postgres', summary: [] };
  const parsed = parseGrantParameters(ctx.parameters);
  if (!parsed.ok) return { status: 'unavailable', reason: parsed.problems.join('; '), summary: [] };
  const role = grantRoleName(ctx.requestId);
  const ident = pg.escapeIdentifier(role);
  const ttlMs = Math.min(parsed.value.ttlSeconds ? parsed.value.ttlSeconds * 1000 : defaultTtlMs, maxTtlMs);
  const ttlSeconds = Math.round(ttlMs / 1000);
  const grants = parsed.value.privileges.map((p) => grantStatement(p, role));
  const secrets = targetSecrets(target);
  const client = await connect(target, ctx.signal);
  let step = 'connecting';
  try {
    await client.query('BEGIN');
    await client.query(
      "SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true)",
      [String(target.statementTimeoutMs), String(target.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS)],
    );
    step = 'CREATE ROLE';
    await client.query(`CREATE ROLE ${ident} WITH ${ROLE_ATTRIBUTES}`);
    const db = await client.query<{ db: string; open: boolean }>(
      "SELECT current_database() AS db, has_database_privilege('public', current_database(), 'CONNECT') AS open",
    );
    const database = db.rows[0]?.db ?? '';
    const connectGrant =
      db.rows[0]?.open === true
        ? []
        : [`GRANT CONNECT ON DATABASE ${pg.escapeIdentifier(database)} TO ${ident}`];
    for (const [i, text] of [...connectGrant, ...grants].entries()) {
      step = `statement ${i + 1} (${text.split(' TO ')[0]})`;
      await client.query(text);
    }
    step = 'reading the privileges';
    const held = await client.query<{ privilege: string; on: string; object: string }>(HELD_PRIVILEGES, [
      role,
    ]);
    const privileges = held.rows.slice(0, MAX_LISTED_PRIVILEGES);
    const statements = [
      `CREATE ROLE ${ident} WITH ${ROLE_ATTRIBUTES} PASSWORD '<SCRAM verifier of a password derived at execution>' VALID UNTIL '<execution time + ${ttlSeconds} s>'`,
      `COMMENT ON ROLE ${ident} IS 'Airlock grant for request ${ctx.requestId}'`,
      ...connectGrant,
      ...grants,
    ];
    const more =
      held.rows.length > MAX_LISTED_PRIVILEGES
        ? [`(more than ${MAX_LISTED_PRIVILEGES} privileges: the list is cut)`]
        : [];
    return {
      status: 'ok',
      summary: [
        `role ${role}: ${privileges.length} privilege(s) for ${ttlSeconds.toLocaleString('en-US')} s, then revoked`,
        ...more,
        'besides what PUBLIC holds on this database',
      ],
      grant: { role, statements, privileges, attributes: ROLE_ATTRIBUTES.split(' '), ttlSeconds },
    };
  } catch (err) {
    const transient = transientError(err, secrets);
    const code = sqlStateOf(err);
    if (transient && code === undefined) throw transient;
    return {
      status: 'failed',
      reason: `${step} fails on the target (${code ?? 'error'}): ${sqlErrorSummary(err, secrets)}`,
      summary: [],
    };
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

export interface GrantExecutorOptions {
  /** When set, `execute` derives the password itself (see grantPassword). */
  masterKey?: Buffer;
  /** TTL when the parameters give none (default one hour). */
  defaultTtlMs?: number;
  /** Upper bound on the TTL (default 31 days). */
  maxTtlMs?: number;
  now?: () => Date;
}

export function createPostgresGrantExecutor(options: GrantExecutorOptions = {}): GrantExecutor {
  const {
    masterKey,
    defaultTtlMs = 3_600_000,
    maxTtlMs = MAX_TTL_SECONDS * 1000,
    now = () => new Date(),
  } = options;
  return {
    name: 'postgres.grant',
    mode: 'lease',
    targetType: 'postgres',
    validate(parameters: Record<string, unknown>, _target?: Target): string[] {
      const parsed = parseGrantParameters(parameters);
      return parsed.ok ? [] : parsed.problems;
    },
    async execute(ctx: ExecutionContext): Promise<ExecutionResult> {
      if (masterKey === undefined)
        return failure('grant_needs_credentials', 'postgres.grant without a master key runs through grant()');
      const ttl = ctx.parameters.ttlSeconds;
      const ttlMs = Math.min(typeof ttl === 'number' ? ttl * 1000 : defaultTtlMs, maxTtlMs);
      const validUntil = new Date(now().getTime() + ttlMs);
      return grant(ctx, { password: grantPassword(masterKey, ctx.requestId), validUntil });
    },
    preview: (ctx: PreviewContext) => previewGrant(ctx, defaultTtlMs, maxTtlMs),
    grant,
    revoke,
  };
}

/** The built-in instance: the workflow calls grant() with a derived password and revoke(). */
export const postgresGrantExecutor: GrantExecutor = createPostgresGrantExecutor();
