// Why: the service configuration (SPEC 9) decides which credentials run which action, so it is parsed
// strictly at start-up: unknown keys, bad durations and dangling targets stop the process with file, field, line.
import { readFile } from 'node:fs/promises';
import { type Document, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { collectionKeyOffsets } from '../lib/yaml-keys.js';
import { type Canonical, canonicalAddress, canonicalPrincipal } from '../policy/identity.js';
import { parseCallbackPattern } from './callback-allow.js';
import { parseDuration } from './duration.js';
import { ConfigError, formatPath, zodIssueLines } from './errors.js';
import { interpolateTree } from './interpolate.js';
import { mcpSchema } from './mcp.js';
import { parseResourcePattern } from './resource-pattern.js';
import type { ActionBinding, ApiKeyEntry, Role, ServiceConfig, Target } from './types.js';

export const ROLES = ['requester', 'approver', 'auditor', 'admin'] as const satisfies readonly Role[];

/** Executors the service ships, and the target type each one needs (null: takes no target). */
export const EXECUTOR_TARGET_TYPES: Record<string, Target['type'] | null> = {
  'http.request': 'http',
  'postgres.sql': 'postgres',
  'postgres.grant': 'postgres',
  callback: null,
  'mcp.call': null,
};

const text = (what: string) =>
  z
    .string({ error: `must be ${what}` })
    .trim()
    .min(1, `must be ${what}`);

const duration = (fallback: string) =>
  z
    .unknown()
    .optional()
    .transform((value, ctx): number => {
      const ms = typeof value === 'string' ? parseDuration(value) : undefined;
      if (value === undefined) return parseDuration(fallback) as number;
      if (ms === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a duration like 500ms, 30s, 15m or 1h, got ${JSON.stringify(value)}`,
        });
        return z.NEVER;
      }
      return ms;
    });

const urlWith = (protocols: string[], message: string) =>
  text('a URL').refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, message);

const roles = z
  .array(z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }), { error: 'must be a list of roles' })
  .min(1, 'must name at least one role')
  .transform((list) => [...new Set(list)]);

/** An identity in its canonical form (policy/identity.ts), the only form identities are compared in. */
const identity = (canonicalise: (raw: string) => Canonical, what: string) =>
  z.string({ error: `must be ${what}` }).transform((raw, ctx): string => {
    const canonical = canonicalise(raw);
    if (canonical.ok) return canonical.identity;
    ctx.addIssue({ code: 'custom', message: `must be ${what}: ${canonical.reason}` });
    return z.NEVER;
  });

const apiKey = z.strictObject({
  // Service names are lower-cased too: a key's principal is written by hand, once.
  principal: identity((raw) => canonicalPrincipal(raw.toLowerCase()), 'an e-mail address or a service name'),
  /** The human this key's caller always acts for (an agent's key): it wins over the body's agent.onBehalfOf. */
  onBehalfOf: identity(canonicalAddress, 'an e-mail address').optional(),
  roles,
  sha256: z
    .string({ error: "must be the key's SHA-256 as 64 hex digits" })
    .regex(/^[0-9a-fA-F]{64}$/, "must be the key's SHA-256 as 64 hex digits")
    .transform((hex) => hex.toLowerCase()),
});

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name');
const headerValue = z
  .string({ error: 'must be a string (quote numbers)' })
  .refine((v) => !/[\r\n\0]/.test(v), 'must not contain line breaks');

const environmentName = z
  .string({ error: 'must name an environment (for example production)' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be an environment name: letters, digits and . _ -');

const resourcePattern = z.string({ error: 'must be a resource glob' }).superRefine((value, ctx) => {
  if (value.trim().length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must be a resource glob, not empty' });
    return;
  }
  const parsed = parseResourcePattern(value);
  if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem });
});

const resourceList = z
  .array(resourcePattern, {
    error: 'must list the resources this target holds, as globs (for example ["api:{path}"])',
  })
  .min(1, 'must list at least one resource glob');

/** Every executing target says where it lives: requests are held to it (see docs/security.md). */
const placement = {
  environment: environmentName.optional(),
  resources: resourceList.optional(),
};

/** Both placement fields are required; said with what they are for, not just "is required". */
function requirePlacement(
  t: { environment?: string | undefined; resources?: string[] | undefined },
  ctx: z.RefinementCtx,
) {
  if (t.environment === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['environment'],
      message:
        'is required: the environment this target belongs to (for example production); requests for other environments never run on it',
    });
  if (t.resources === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['resources'],
      message:
        'is required: the resources this target holds, as globs (for example ["admin-api:{path}"]); requests naming other resources never run on it',
    });
}

const httpTarget = z
  .strictObject({
    type: z.literal('http'),
    ...placement,
    baseUrl: urlWith(['http:', 'https:'], 'must be an http:// or https:// URL'),
    headers: z.record(headerName, headerValue).default({}),
    timeout: duration('10s'),
    maxResponseBytes: z
      .number({ error: 'must be a whole number of bytes' })
      .int('must be a whole number of bytes')
      .positive('must be positive')
      .default(65536),
    // For targets whose answers may carry what requester and approvers must not read.
    returnBody: z.boolean({ error: 'must be true or false' }).default(true),
    preview: z
      .strictObject({
        method: z.literal('GET', { error: 'must be GET: a preview only reads' }),
        path: text('a path under baseUrl, with {name} for parameters.name (for example "/state{path}")')
          .refine((p) => p.startsWith('/') || p.startsWith('{'), 'must start with "/" or a {parameter}')
          .refine((p) => !('problem' in parseResourcePattern(p)), 'a brace must enclose a parameter name'),
      })
      .optional(),
  })
  .superRefine(requirePlacement)
  .transform(
    (t): Target => ({
      type: 'http',
      environment: t.environment as string,
      resources: t.resources as string[],
      baseUrl: t.baseUrl,
      headers: t.headers,
      timeoutMs: t.timeout,
      maxResponseBytes: t.maxResponseBytes,
      ...(t.returnBody ? {} : { returnBody: false }),
      ...(t.preview ? { preview: t.preview } : {}),
    }),
  );

const postgresTarget = z
  .strictObject({
    type: z.literal('postgres'),
    ...placement,
    url: urlWith(['postgres:', 'postgresql:'], 'must be a postgres:// or postgresql:// URL'),
    statementTimeout: duration('30s'),
    lockTimeout: duration('5s'),
    preview: z.boolean({ error: 'must be true or false' }).default(true),
  })
  .superRefine(requirePlacement)
  .transform(
    (t): Target => ({
      type: 'postgres',
      environment: t.environment as string,
      resources: t.resources as string[],
      url: t.url,
      statementTimeoutMs: t.statementTimeout,
      lockTimeoutMs: t.lockTimeout,
      ...(t.preview ? {} : { preview: false }),
    }),
  );

const targetName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits and . _ - (starting with a letter or digit)');

const binding = z.strictObject({
  match: text('a glob over the action type (for example "http.*" or "*")'),
  executor: z.enum(Object.keys(EXECUTOR_TARGET_TYPES) as [string, ...string[]], {
    error: `must be one of ${Object.keys(EXECUTOR_TARGET_TYPES).join(', ')}`,
  }),
  target: text('a target name').optional(),
  /** With a target: its environment (inherited when left out). Without one: the environments served. */
  environment: z
    .union([environmentName, z.array(environmentName).min(1, 'must name an environment')])
    .optional(),
  /** Only without a target: the resources served (default: any, checked by whoever redeems the token). */
  resources: resourceList.optional(),
});

const serviceSchema = z
  .strictObject({
    apiKeys: z.array(apiKey).default([]),
    targets: z.record(targetName, z.discriminatedUnion('type', [httpTarget, postgresTarget])).default({}),
    actions: z
      .array(binding, { error: 'must be a list of action bindings' })
      .min(1, 'must list at least one binding'),
    callbacks: z
      .strictObject({
        allow: z
          .array(
            text('a callback URL pattern').superRefine((entry, ctx) => {
              const pattern = parseCallbackPattern(entry);
              if (typeof pattern === 'string') ctx.addIssue({ code: 'custom', message: pattern });
            }),
          )
          .default([]),
        /** Key material the per-requester Airlock-Signature keys derive from; unset = the master key. Use ${ENV}. */
        signingSecret: z.string().min(32, 'must be at least 32 characters').optional(),
      })
      .prefault({}),
    grants: z.strictObject({ defaultTtl: duration('15m'), maxTtl: duration('8h') }).prefault({}),
    gate: z.strictObject({ tokenTtl: duration('10m'), completionTimeout: duration('1h') }).prefault({}),
    oidc: z
      .strictObject({
        /** Unset: OIDC_PRINCIPAL_CLAIM, else `email` (verified only; config/env.ts). */
        principalClaim: text('a claim name').optional(),
        rolesClaim: text('a claim name').default('roles'),
        subjects: z
          .array(
            z.strictObject({
              match: text('a glob over the token subject'),
              principal: identity(canonicalPrincipal, 'an e-mail address or a service name').optional(),
              roles,
            }),
          )
          .default([]),
      })
      .optional(),
    mcp: mcpSchema.optional(),
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.apiKeys.forEach((key, index) => {
      const first = seen.get(key.sha256);
      if (first === undefined) seen.set(key.sha256, index);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['apiKeys', index, 'sha256'],
          message: `duplicates apiKeys[${first}].sha256`,
        });
    });
    config.actions.forEach((action, index) => {
      for (const message of bindingProblems(action, config.targets)) {
        ctx.addIssue({ code: 'custom', path: ['actions', index, 'target'], message });
      }
      for (const { field, message } of placementProblems(action, config.targets)) {
        ctx.addIssue({ code: 'custom', path: ['actions', index, field], message });
      }
    });
    if (config.grants.defaultTtl > config.grants.maxTtl) {
      ctx.addIssue({
        code: 'custom',
        path: ['grants', 'defaultTtl'],
        message: 'must not exceed grants.maxTtl',
      });
    }
  })
  .transform(
    (c): ServiceConfig => ({
      apiKeys: c.apiKeys.map(
        (k): ApiKeyEntry =>
          k.onBehalfOf === undefined ? { principal: k.principal, roles: k.roles, sha256: k.sha256 } : k,
      ),
      targets: c.targets,
      actions: [
        // An upstream's tools always run through mcp.call, ahead of any catch-all binding, in the
        // upstream's own environment and on its own tools' resources (mcp://<upstream>/<tool>).
        ...Object.entries(c.mcp?.upstreams ?? {}).map(
          ([name, upstream]): ActionBinding => ({
            match: `mcp.${name}.*`,
            executor: 'mcp.call',
            environments: [upstream.environment],
            resources: [`mcp://${name}/*`],
          }),
        ),
        ...c.actions.map(
          (a): ActionBinding =>
            a.target
              ? { match: a.match, executor: a.executor, target: a.target }
              : {
                  match: a.match,
                  executor: a.executor,
                  environments: listOf(a.environment),
                  resources: a.resources ?? ['*'],
                },
        ),
      ],
      callbacks: {
        allow: c.callbacks.allow,
        ...(c.callbacks.signingSecret ? { signingSecret: c.callbacks.signingSecret } : {}),
      },
      grants: { defaultTtlMs: c.grants.defaultTtl, maxTtlMs: c.grants.maxTtl },
      gate: { tokenTtlMs: c.gate.tokenTtl, completionTimeoutMs: c.gate.completionTimeout },
      ...(c.oidc ? { oidc: c.oidc } : {}),
      ...(c.mcp ? { mcp: c.mcp } : {}),
    }),
  );

function bindingProblems(
  action: { executor: string; target?: string | undefined },
  targets: Record<string, Target>,
): string[] {
  const wanted = EXECUTOR_TARGET_TYPES[action.executor];
  if (action.target === undefined) {
    return wanted ? [`is required for executor ${action.executor} (a ${wanted} target)`] : [];
  }
  const target = targets[action.target];
  if (!target) {
    const known = Object.keys(targets);
    return [`unknown target "${action.target}" (defined: ${known.length ? known.join(', ') : 'none'})`];
  }
  if (wanted === null) return [`executor ${action.executor} takes no target`];
  if (wanted !== undefined && target.type !== wanted) {
    return [`executor ${action.executor} needs a ${wanted} target, "${action.target}" is ${target.type}`];
  }
  return [];
}

const listOf = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : [...new Set(typeof value === 'string' ? [value] : value)];

/**
 * A binding with a target inherits the target's environment and resources (it may repeat the
 * environment, never contradict it); one without a target must say which environments it serves.
 */
function placementProblems(
  action: {
    target?: string | undefined;
    environment?: string | string[] | undefined;
    resources?: string[] | undefined;
  },
  targets: Record<string, Target>,
): { field: string; message: string }[] {
  if (action.target === undefined) {
    return action.environment === undefined
      ? [
          {
            field: 'environment',
            message:
              'is required for a binding without a target: name the environment(s) it serves (for example production)',
          },
        ]
      : [];
  }
  const target = Object.hasOwn(targets, action.target) ? targets[action.target] : undefined;
  if (target === undefined) return [];
  const problems: { field: string; message: string }[] = [];
  const named = listOf(action.environment);
  if (named.some((e) => e !== target.environment)) {
    problems.push({
      field: 'environment',
      message: `target "${action.target}" is in ${target.environment}; a binding with a target runs only in its target's environment (leave environment out to inherit it)`,
    });
  }
  if (action.resources !== undefined) {
    problems.push({
      field: 'resources',
      message: `are declared by the target (targets.${action.target}.resources), not by a binding with a target`,
    });
  }
  return problems;
}

/** ` (line 4)` for the node at path, or its nearest existing parent. */
function lineOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): string {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return ` (line ${lines.linePos(node.range[0]).line})`;
  }
  return '';
}

export interface ParseOptions {
  /** Reads `${file:/path}` secrets; defaults to a synchronous read. */
  readFile?: (path: string) => string;
}

/** Parses and validates a service config; throws ConfigError with one line per problem. */
export function parseServiceConfig(
  source: string,
  fileName: string,
  env: NodeJS.ProcessEnv,
  options: ParseOptions = {},
): ServiceConfig {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return `${fileName}:${pos.line}:${pos.col}: YAML syntax error: ${e.message}`;
      }),
    );
  }
  const collectionKeys = collectionKeyOffsets(doc);
  if (collectionKeys.length > 0) {
    throw new ConfigError(
      collectionKeys.map((offset) => {
        const pos = lines.linePos(offset);
        return `${fileName}:${pos.line}:${pos.col}: a mapping key must be a plain value, not a list or a mapping`;
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // An alias without its anchor (`*x`), or one that expands too much, is found only here.
    throw new ConfigError([`${fileName}: YAML error: ${(error as Error).message}`]);
  }
  if (data === null || data === undefined)
    throw new ConfigError([`${fileName}: is empty (expected apiKeys, targets, actions)`]);
  if (typeof data !== 'object' || Array.isArray(data))
    throw new ConfigError([`${fileName}: must be a mapping`]);

  const interpolated = interpolateTree(data, {
    fileName,
    env,
    ...(options.readFile ? { readFile: options.readFile } : {}),
  });
  const problems = interpolated.problems.map((p) => ({ path: p.path, detail: p.detail }));
  const result = serviceSchema.safeParse(interpolated.value, { reportInput: true });
  if (!result.success) {
    // A value that failed interpolation is blank; its follow-on schema errors would only add noise.
    const failed = new Set(problems.map((p) => formatPath(p.path)));
    problems.push(...zodIssueLines(result.error).filter((i) => !failed.has(formatPath(i.path))));
  }
  if (problems.length > 0) {
    throw new ConfigError(
      problems.map((p) => {
        const field = formatPath(p.path);
        return `${fileName}: ${field === '' ? '' : `${field}: `}${p.detail}${lineOf(doc, lines, p.path)}`;
      }),
    );
  }
  return result.data as ServiceConfig;
}

/** Reads and parses the service config file at path. */
export async function loadServiceConfig(
  path: string,
  env: NodeJS.ProcessEnv,
  options: ParseOptions = {},
): Promise<ServiceConfig> {
  let source: string;
  try {
    source = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError([`${path}: cannot read the service configuration${code ? ` (${code})` : ''}`]);
  }
  return parseServiceConfig(source, path, env, options);
}
