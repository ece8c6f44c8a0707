// Why: the environment is parsed once, strictly, at start-up (SPEC 9): a bad variable stops the process
// with a line naming it, booleans are never "truthy strings", and secret values never reach a message.
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { formatDuration, parseDuration } from './duration.js';
import { ConfigError } from './errors.js';

export type AirlockRole = 'all' | 'api' | 'worker';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** `capacity` requests at once, refilled evenly over `perMs` (AIRLOCK_RATE_LIMIT_*: `600/1m`). */
export interface RateLimit {
  capacity: number;
  perMs: number;
}

/**
 * writes: every POST under /v1/actions (submit, decisions, cancel, redeem, complete); reads:
 * everything else under /v1 (GETs, policy evaluation, audit export). Unset: not limited.
 */
export interface RateLimits {
  writes?: RateLimit;
  reads?: RateLimit;
}

export interface AirlockEnv {
  role: AirlockRole;
  logLevel: LogLevel;
  port: number;
  /**
   * The address the API listens on (HOST). Unset outside demo mode: every interface, as a
   * server behind a load balancer expects. Demo mode defaults to 127.0.0.1: it prints working
   * keys, so it must not be reachable from the network unless HOST says so.
   */
  host?: string;
  /** Without a trailing slash. */
  publicUrl: string;
  /** AIRLOCK_PUBLIC_URL was set; otherwise the composition root names the port it really listens on. */
  publicUrlExplicit: boolean;
  configPath: string;
  policyPath: string;
  /** True with AIRLOCK_DEMO=true, or when neither AIRLOCK_CONFIG nor AIRLOCK_POLICY is set. */
  demoMode: boolean;
  oidc?: {
    issuer: string;
    audience: string;
    jwksUrl: string;
    /** OIDC_PRINCIPAL_CLAIM; unset: the service config's oidc.principalClaim, else `email`. */
    principalClaim?: string;
    /**
     * OIDC_TRUST_UNVERIFIED_EMAIL=true: take the `email` claim without `email_verified: true`.
     * Off by default: an address a user typed into their profile is not who they are.
     */
    trustUnverifiedEmail: boolean;
  };
  temporal: {
    /** host:port of a real cluster; unset means the composition root starts a dev server. */
    address?: string;
    namespace: string;
    taskQueue: string;
    uiUrl?: string;
    cliPath?: string;
    /** TEMPORAL_METRICS_ADDRESS: host:port where the worker's Temporal runtime serves Prometheus metrics. */
    metricsAddress?: string;
    uiPort?: number;
    port?: number;
  };
  /** Unset means the embedded PGlite store under dataDir. */
  databaseUrl?: string;
  dataDir: string;
  /** 32 bytes; unset only in demo mode, where the composition root generates and persists one. */
  encryptionKey?: Buffer;
  /** Retired master keys (AIRLOCK_ENCRYPTION_KEYS_OLD): they still decrypt payloads and verify signatures. */
  previousEncryptionKeys: Buffer[];
  /** A PostgreSQL URL of the audit tables' owner, used only to migrate (the service role stays INSERT-only). */
  migrationDatabaseUrl?: string;
  /** How often the Temporal Schedule archives closed histories and signs a checkpoint. */
  archive: { intervalMs: number };
  /** How long a codec session cookie (GET /codec/login) lasts (AIRLOCK_CODEC_SESSION_TTL, default 8h). */
  codecSessionTtlMs: number;
  /**
   * The approver console: keySignIn (AIRLOCK_CONSOLE_KEY_SIGNIN, default on in demo mode only) lets a
   * person sign in with an API key; oidcClientId/Secret (CONSOLE_OIDC_CLIENT_ID, _SECRET) sign in
   * through OIDC_ISSUER with the authorization code flow and PKCE.
   */
  console: { keySignIn: boolean; oidcClientId?: string; oidcClientSecret?: string };
  /**
   * Workflows a worker keeps in memory (AIRLOCK_WORKER_CACHED_WORKFLOWS). Others are replayed from
   * their history when something happens to them (a decision, a timer); GET reads the state
   * snapshot in PostgreSQL, not the workflow. Each cached one costs ~0.2 MB (measured).
   */
  workerCachedWorkflows: number;
  teams?: {
    appId: string;
    appPassword: string;
    tenantId: string;
    allowedTenants: string[];
    /** Map users the policy does not list through the tenant directory's e-mail/UPN (TEAMS_DIRECTORY_LOOKUP). */
    directoryLookup: boolean;
  };
  /** emailLookup: map unmapped Slack users through users.info e-mail (SLACK_EMAIL_LOOKUP). */
  slack?: { botToken: string; signingSecret: string; emailLookup: boolean };
  botFramework: { openIdMetadataUrl?: string; tokenIssuer?: string; loginUrl?: string };
  slackApiUrl?: string;
  /**
   * OpenTelemetry tracing; set only when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT
   * or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and OTEL_SDK_DISABLED is not true.
   */
  tracing?: { tracesUrl: string; serviceName: string };
  /**
   * Per-principal token buckets on /v1 (AIRLOCK_RATE_LIMIT_WRITES, AIRLOCK_RATE_LIMIT_READS:
   * `<requests>/<duration>`, or `off`); a group left out is not limited.
   */
  rateLimits: RateLimits;
  /**
   * /metrics: token (METRICS_TOKEN) makes it require `Authorization: Bearer <token>`; port
   * (METRICS_PORT) serves it, with /healthz and /readyz, on a listener of its own, and no longer
   * on the API's port.
   */
  metrics: { token?: string; port?: number };
}

/**
 * Bounds a worker's memory however many requests wait: the SDK's default grows with the heap
 * (2,310 here). Measured with 2,000 pending: worker RSS 520 MB at 250, 771 MB at 5,000.
 */
// 100: worker RSS 416 MB with 500 pending (500: 470-480 MB); GET no longer needs the cache.
const DEFAULT_CACHED_WORKFLOWS = 100;

/**
 * 10 writes a second sustained, 600 at once: far above a person or a CI pipeline, low enough that
 * one principal cannot flood the workflows; reads (dashboards, polling agents) five times that.
 */
const DEFAULT_RATE_LIMITS = { writes: '600/1m', reads: '3000/1m' } as const;

/** Where demo mode listens unless HOST says otherwise: this machine only. */
export const DEMO_HOST = '127.0.0.1';

export const DEMO_CONFIG_PATH = fileURLToPath(new URL('../demo/airlock.yaml', import.meta.url));
export const DEMO_POLICY_PATH = fileURLToPath(new URL('../demo/policy.yaml', import.meta.url));

/** Variables whose values must never appear in a message. */
const SECRET_VARIABLES = new Set([
  'AIRLOCK_ENCRYPTION_KEY',
  'AIRLOCK_ENCRYPTION_KEYS_OLD',
  'AIRLOCK_MIGRATION_DATABASE_URL',
  'DATABASE_URL',
  'TEAMS_APP_PASSWORD',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'METRICS_TOKEN',
]);

// Blank counts as unset: `FOO=` in a compose file means "not configured", not "configured empty".
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const refined = <T>(message: string, parse: (raw: string) => T | undefined) =>
  z.string().transform((raw, ctx): T => {
    const value = parse(raw.trim());
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return value;
  });

const port = refined('must be an integer between 1 and 65535', (raw) => {
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  return n >= 1 && n <= 65535 ? n : undefined;
});

const cachedWorkflows = refined('must be an integer between 1 and 100000', (raw) => {
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  return n >= 1 && n <= 100_000 ? n : undefined;
});

/** PORT may be 0: listen on any free port (tests, several local instances). */
const listenPort = refined('must be an integer between 0 and 65535', (raw) => {
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  return n >= 0 && n <= 65535 ? n : undefined;
});

/** An IP address (v4, or v6 without brackets) or a host name: what `server.listen(port, host)` takes. */
const listenHost = refined(
  'must be an IP address or a host name (for example 127.0.0.1 or 0.0.0.0)',
  (raw) => (/^(?:[0-9a-fA-F:.]+|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$/.test(raw) ? raw : undefined),
);

const url = (protocols: string[], message: string) =>
  refined(message, (raw) => {
    try {
      return protocols.includes(new URL(raw).protocol) ? raw : undefined;
    } catch {
      return undefined;
    }
  });
const httpUrl = url(['http:', 'https:'], 'must be an http:// or https:// URL');

/** Strict: only true/false/1/0; `z.coerce.boolean()` would make "false" true. */
export const strictBoolean = refined('must be one of true, false, 1, 0', (raw) => {
  const v = raw.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return undefined;
});

const nonEmpty = refined('must not be blank', (raw) => (raw === '' ? undefined : raw));
const oneOf = <T extends string>(values: readonly T[]) =>
  refined(`must be one of ${values.join(', ')}`, (raw) => values.find((v) => v === raw.toLowerCase()));

const hostPort = refined('must be host:port (for example 127.0.0.1:7233)', (raw) => {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw);
  return match && Number(match[2]) >= 1 && Number(match[2]) <= 65535 ? raw : undefined;
});

function parseKey(raw: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(raw)) return undefined;
  const key = Buffer.from(raw, raw.includes('-') || raw.includes('_') ? 'base64url' : 'base64');
  return key.length === 32 ? key : undefined;
}

const encryptionKey = refined('must be the base64 encoding of exactly 32 bytes', parseKey);

/** Comma list of retired keys; each bad entry is named by its position, never shown. */
const encryptionKeyList = z.string().transform((raw, ctx): Buffer[] => {
  const entries = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const keys: Buffer[] = [];
  entries.forEach((entry, i) => {
    const key = parseKey(entry);
    if (key) keys.push(key);
    else
      ctx.addIssue({
        code: 'custom',
        message: `entry ${i + 1} of ${entries.length} must be the base64 encoding of exactly 32 bytes`,
      });
  });
  return keys;
});

const MIN_ARCHIVE_INTERVAL_MS = 1_000;
const MAX_ARCHIVE_INTERVAL_MS = 86_400_000;
const archiveInterval = refined(
  `must be a duration between ${formatDuration(MIN_ARCHIVE_INTERVAL_MS)} and ${formatDuration(MAX_ARCHIVE_INTERVAL_MS)} (for example 5m)`,
  (raw) => {
    const ms = parseDuration(raw);
    return ms !== undefined && ms >= MIN_ARCHIVE_INTERVAL_MS && ms <= MAX_ARCHIVE_INTERVAL_MS
      ? ms
      : undefined;
  },
);

const MIN_CODEC_SESSION_TTL_MS = 60_000;
const MAX_CODEC_SESSION_TTL_MS = 86_400_000;
const codecSessionTtl = refined(
  `must be a duration between ${formatDuration(MIN_CODEC_SESSION_TTL_MS)} and ${formatDuration(MAX_CODEC_SESSION_TTL_MS)} (for example 8h)`,
  (raw) => {
    const ms = parseDuration(raw);
    return ms !== undefined && ms >= MIN_CODEC_SESSION_TTL_MS && ms <= MAX_CODEC_SESSION_TTL_MS
      ? ms
      : undefined;
  },
);

function parseRateLimit(raw: string): RateLimit | 'off' | undefined {
  if (raw.toLowerCase() === 'off') return 'off';
  const match = /^(\d{1,7})\s*\/\s*(\S+)$/.exec(raw);
  const capacity = match ? Number(match[1]) : Number.NaN;
  const perMs = match ? parseDuration(match[2]!) : undefined;
  return capacity >= 1 && perMs !== undefined ? { capacity, perMs } : undefined;
}

const rateLimit = refined('must be <requests>/<duration> (for example 600/1m) or off', parseRateLimit);

const commaList = z.string().transform((raw) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
);

const envSchema = z.object({
  AIRLOCK_ROLE: optional(oneOf(['all', 'api', 'worker'] as const)),
  AIRLOCK_DEMO: optional(strictBoolean),
  LOG_LEVEL: optional(oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const)),
  PORT: optional(listenPort),
  HOST: optional(listenHost),
  AIRLOCK_PUBLIC_URL: optional(httpUrl),
  AIRLOCK_CONFIG: optional(nonEmpty),
  AIRLOCK_POLICY: optional(nonEmpty),
  OIDC_ISSUER: optional(httpUrl),
  OIDC_AUDIENCE: optional(nonEmpty),
  OIDC_JWKS_URL: optional(httpUrl),
  OIDC_PRINCIPAL_CLAIM: optional(nonEmpty),
  OIDC_TRUST_UNVERIFIED_EMAIL: optional(strictBoolean),
  AIRLOCK_CONSOLE_KEY_SIGNIN: optional(strictBoolean),
  CONSOLE_OIDC_CLIENT_ID: optional(nonEmpty),
  CONSOLE_OIDC_CLIENT_SECRET: optional(nonEmpty),
  TEMPORAL_ADDRESS: optional(hostPort),
  TEMPORAL_NAMESPACE: optional(nonEmpty),
  TEMPORAL_TASK_QUEUE: optional(nonEmpty),
  TEMPORAL_UI_URL: optional(httpUrl),
  TEMPORAL_CLI_PATH: optional(nonEmpty),
  TEMPORAL_UI_PORT: optional(port),
  TEMPORAL_PORT: optional(port),
  TEMPORAL_METRICS_ADDRESS: optional(hostPort),
  DATABASE_URL: optional(url(['postgres:', 'postgresql:'], 'must be a postgres:// or postgresql:// URL')),
  AIRLOCK_DATA_DIR: optional(nonEmpty),
  AIRLOCK_ENCRYPTION_KEY: optional(encryptionKey),
  AIRLOCK_ENCRYPTION_KEYS_OLD: optional(encryptionKeyList),
  AIRLOCK_MIGRATION_DATABASE_URL: optional(
    url(['postgres:', 'postgresql:'], 'must be a postgres:// or postgresql:// URL'),
  ),
  AIRLOCK_ARCHIVE_INTERVAL: optional(archiveInterval),
  AIRLOCK_CODEC_SESSION_TTL: optional(codecSessionTtl),
  AIRLOCK_WORKER_CACHED_WORKFLOWS: optional(cachedWorkflows),
  TEAMS_APP_ID: optional(nonEmpty),
  TEAMS_APP_PASSWORD: optional(nonEmpty),
  TEAMS_APP_TENANT_ID: optional(nonEmpty),
  TEAMS_ALLOWED_TENANTS: optional(commaList),
  TEAMS_DIRECTORY_LOOKUP: optional(strictBoolean),
  SLACK_BOT_TOKEN: optional(nonEmpty),
  SLACK_SIGNING_SECRET: optional(nonEmpty),
  SLACK_EMAIL_LOOKUP: optional(strictBoolean),
  BOTFRAMEWORK_OPENID_METADATA_URL: optional(httpUrl),
  BOTFRAMEWORK_TOKEN_ISSUER: optional(nonEmpty),
  BOTFRAMEWORK_LOGIN_URL: optional(url(['https:'], 'must be an https:// URL')),
  SLACK_API_URL: optional(httpUrl),
  OTEL_EXPORTER_OTLP_ENDPOINT: optional(httpUrl),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optional(httpUrl),
  OTEL_SERVICE_NAME: optional(nonEmpty),
  OTEL_SDK_DISABLED: optional(strictBoolean),
  METRICS_TOKEN: optional(
    refined('must be at least 16 characters (for example: openssl rand -hex 32)', (raw) =>
      raw.length >= 16 ? raw : undefined,
    ),
  ),
  METRICS_PORT: optional(listenPort),
  AIRLOCK_RATE_LIMIT_WRITES: optional(rateLimit),
  AIRLOCK_RATE_LIMIT_READS: optional(rateLimit),
});
type RawEnv = z.infer<typeof envSchema>;

/** Variables that must be set together; a partial set names the missing ones. */
const GROUPS: { name: string; members: (keyof RawEnv)[] }[] = [
  { name: 'OIDC', members: ['OIDC_ISSUER', 'OIDC_AUDIENCE', 'OIDC_JWKS_URL'] },
  { name: 'Teams', members: ['TEAMS_APP_ID', 'TEAMS_APP_PASSWORD', 'TEAMS_APP_TENANT_ID'] },
  { name: 'Slack', members: ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'] },
];

/** Presence checks across variables; they read the raw strings so they report even when a value is bad. */
function crossChecks(env: NodeJS.ProcessEnv): string[] {
  const isSet = (name: string) => (env[name] ?? '').trim() !== '';
  const lines: string[] = [];
  for (const group of GROUPS) {
    const set = group.members.filter(isSet);
    const missing = group.members.filter((m) => !isSet(m));
    if (set.length > 0 && missing.length > 0) {
      for (const m of missing) {
        lines.push(
          `${m}: is not set, but ${set.join(' and ')} is; set all or none of ${group.members.join(', ')}`,
        );
      }
    }
  }
  if (isSet('AIRLOCK_MIGRATION_DATABASE_URL') && !isSet('DATABASE_URL')) {
    lines.push(
      'AIRLOCK_MIGRATION_DATABASE_URL: is set but DATABASE_URL is not (the embedded store has no separate owner role)',
    );
  }
  if (isSet('TEAMS_ALLOWED_TENANTS') && !isSet('TEAMS_APP_ID')) {
    lines.push('TEAMS_ALLOWED_TENANTS: is set but Teams is not configured (TEAMS_APP_ID is not set)');
  }
  const demo = strictBoolean.safeParse(env.AIRLOCK_DEMO ?? '');
  if (!isDemoMode(demo.success ? demo.data : undefined, isSet('AIRLOCK_CONFIG'), isSet('AIRLOCK_POLICY'))) {
    const why = 'is required outside demo mode (set it, or AIRLOCK_DEMO=true for a local demo)';
    if (!isSet('AIRLOCK_CONFIG')) lines.push(`AIRLOCK_CONFIG: ${why}`);
    if (!isSet('AIRLOCK_POLICY')) lines.push(`AIRLOCK_POLICY: ${why}`);
    if (!isSet('AIRLOCK_ENCRYPTION_KEY')) {
      lines.push(`AIRLOCK_ENCRYPTION_KEY: ${why}; generate one with: openssl rand -base64 32`);
    }
  }
  return lines;
}

/** Demo mode is explicit (AIRLOCK_DEMO) or implied by no files at all; one file alone is not a demo. */
function isDemoMode(flag: boolean | undefined, hasConfig: boolean, hasPolicy: boolean): boolean {
  return flag ?? (!hasConfig && !hasPolicy);
}

function toAirlockEnv(raw: RawEnv): AirlockEnv {
  const port = raw.PORT ?? 8080;
  const demoMode = isDemoMode(
    raw.AIRLOCK_DEMO,
    raw.AIRLOCK_CONFIG !== undefined,
    raw.AIRLOCK_POLICY !== undefined,
  );
  const env: AirlockEnv = {
    role: raw.AIRLOCK_ROLE ?? 'all',
    logLevel: raw.LOG_LEVEL ?? 'info',
    port,
    ...(raw.HOST ? { host: raw.HOST } : demoMode ? { host: DEMO_HOST } : {}),
    publicUrl: (raw.AIRLOCK_PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    publicUrlExplicit: raw.AIRLOCK_PUBLIC_URL !== undefined,
    configPath: raw.AIRLOCK_CONFIG ?? DEMO_CONFIG_PATH,
    policyPath: raw.AIRLOCK_POLICY ?? DEMO_POLICY_PATH,
    demoMode,
    temporal: {
      namespace: raw.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: raw.TEMPORAL_TASK_QUEUE ?? 'airlock',
    },
    dataDir: raw.AIRLOCK_DATA_DIR ?? '.airlock',
    previousEncryptionKeys: raw.AIRLOCK_ENCRYPTION_KEYS_OLD ?? [],
    archive: { intervalMs: raw.AIRLOCK_ARCHIVE_INTERVAL ?? 5 * 60_000 },
    codecSessionTtlMs: raw.AIRLOCK_CODEC_SESSION_TTL ?? 8 * 3_600_000,
    console: {
      keySignIn: raw.AIRLOCK_CONSOLE_KEY_SIGNIN ?? demoMode,
      ...(raw.CONSOLE_OIDC_CLIENT_ID ? { oidcClientId: raw.CONSOLE_OIDC_CLIENT_ID } : {}),
      ...(raw.CONSOLE_OIDC_CLIENT_SECRET ? { oidcClientSecret: raw.CONSOLE_OIDC_CLIENT_SECRET } : {}),
    },
    workerCachedWorkflows: raw.AIRLOCK_WORKER_CACHED_WORKFLOWS ?? DEFAULT_CACHED_WORKFLOWS,
    botFramework: {},
    rateLimits: rateLimitsOf(raw),
    metrics: {
      ...(raw.METRICS_TOKEN ? { token: raw.METRICS_TOKEN } : {}),
      ...(raw.METRICS_PORT !== undefined ? { port: raw.METRICS_PORT } : {}),
    },
  };
  if (raw.TEMPORAL_ADDRESS) env.temporal.address = raw.TEMPORAL_ADDRESS;
  if (raw.TEMPORAL_UI_URL) env.temporal.uiUrl = raw.TEMPORAL_UI_URL.replace(/\/+$/, '');
  if (raw.TEMPORAL_CLI_PATH) env.temporal.cliPath = raw.TEMPORAL_CLI_PATH;
  if (raw.TEMPORAL_UI_PORT) env.temporal.uiPort = raw.TEMPORAL_UI_PORT;
  if (raw.TEMPORAL_PORT) env.temporal.port = raw.TEMPORAL_PORT;
  if (raw.TEMPORAL_METRICS_ADDRESS) env.temporal.metricsAddress = raw.TEMPORAL_METRICS_ADDRESS;
  if (raw.DATABASE_URL) env.databaseUrl = raw.DATABASE_URL;
  if (raw.AIRLOCK_MIGRATION_DATABASE_URL) env.migrationDatabaseUrl = raw.AIRLOCK_MIGRATION_DATABASE_URL;
  if (raw.AIRLOCK_ENCRYPTION_KEY) env.encryptionKey = raw.AIRLOCK_ENCRYPTION_KEY;
  if (raw.OIDC_ISSUER && raw.OIDC_AUDIENCE && raw.OIDC_JWKS_URL) {
    env.oidc = {
      issuer: raw.OIDC_ISSUER,
      audience: raw.OIDC_AUDIENCE,
      jwksUrl: raw.OIDC_JWKS_URL,
      ...(raw.OIDC_PRINCIPAL_CLAIM ? { principalClaim: raw.OIDC_PRINCIPAL_CLAIM } : {}),
      trustUnverifiedEmail: raw.OIDC_TRUST_UNVERIFIED_EMAIL ?? false,
    };
  }
  if (raw.TEAMS_APP_ID && raw.TEAMS_APP_PASSWORD && raw.TEAMS_APP_TENANT_ID) {
    env.teams = {
      appId: raw.TEAMS_APP_ID,
      appPassword: raw.TEAMS_APP_PASSWORD,
      tenantId: raw.TEAMS_APP_TENANT_ID,
      // Default: only the bot's own tenant may talk to it.
      allowedTenants: raw.TEAMS_ALLOWED_TENANTS?.length
        ? raw.TEAMS_ALLOWED_TENANTS
        : [raw.TEAMS_APP_TENANT_ID],
      directoryLookup: raw.TEAMS_DIRECTORY_LOOKUP ?? false,
    };
  }
  if (raw.SLACK_BOT_TOKEN && raw.SLACK_SIGNING_SECRET) {
    env.slack = {
      botToken: raw.SLACK_BOT_TOKEN,
      signingSecret: raw.SLACK_SIGNING_SECRET,
      emailLookup: raw.SLACK_EMAIL_LOOKUP ?? false,
    };
  }
  if (raw.BOTFRAMEWORK_OPENID_METADATA_URL)
    env.botFramework.openIdMetadataUrl = raw.BOTFRAMEWORK_OPENID_METADATA_URL;
  if (raw.BOTFRAMEWORK_TOKEN_ISSUER) env.botFramework.tokenIssuer = raw.BOTFRAMEWORK_TOKEN_ISSUER;
  if (raw.BOTFRAMEWORK_LOGIN_URL) env.botFramework.loginUrl = raw.BOTFRAMEWORK_LOGIN_URL;
  if (raw.SLACK_API_URL) env.slackApiUrl = raw.SLACK_API_URL.replace(/\/+$/, '');
  const tracesUrl = otlpTracesUrl(raw);
  if (tracesUrl && !raw.OTEL_SDK_DISABLED) {
    env.tracing = { tracesUrl, serviceName: raw.OTEL_SERVICE_NAME ?? 'airlock' };
  }
  return env;
}

function rateLimitsOf(raw: RawEnv): RateLimits {
  const limits: RateLimits = {};
  for (const [group, name] of [
    ['writes', 'AIRLOCK_RATE_LIMIT_WRITES'],
    ['reads', 'AIRLOCK_RATE_LIMIT_READS'],
  ] as const) {
    const limit = raw[name] ?? parseRateLimit(DEFAULT_RATE_LIMITS[group]);
    if (limit && limit !== 'off') limits[group] = limit;
  }
  return limits;
}

/**
 * The OTLP/HTTP traces URL as the OpenTelemetry specification builds it: the signal-specific
 * variable is used as it is, the generic one gets `/v1/traces` appended.
 */
function otlpTracesUrl(raw: RawEnv): string | undefined {
  if (raw.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return raw.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.trim();
  if (raw.OTEL_EXPORTER_OTLP_ENDPOINT) {
    return `${raw.OTEL_EXPORTER_OTLP_ENDPOINT.trim().replace(/\/+$/, '')}/v1/traces`;
  }
  return undefined;
}

/** Parses the process environment; throws ConfigError with one line per bad variable. */
export function parseEnv(env: NodeJS.ProcessEnv): AirlockEnv {
  const result = envSchema.safeParse(env);
  const lines = result.success
    ? []
    : result.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        const raw = env[name];
        const shown =
          raw === undefined || SECRET_VARIABLES.has(name)
            ? ''
            : `, got ${JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}...` : raw)}`;
        const detail = issue.code === 'custom' ? issue.message : 'must be a string';
        return `${name}: ${detail}${shown}`;
      });
  lines.push(...crossChecks(env));
  if (!result.success || lines.length > 0) throw new ConfigError(lines);
  return toAirlockEnv(result.data);
}
