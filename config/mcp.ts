// Why: the MCP gateway's tools (SPEC 10) decide which request an agent's tool call becomes, so
// they are checked at start-up like the rest of the service config: a broken JSON Schema, a
// `{{args.x}}` naming no declared argument, or an upstream with neither command nor URL stops it.
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { templateProblem, templateReferences, templateStrings } from './template.js';
import type { McpConfig, McpTool, McpUpstream } from './types.js';

/** Names of the tools the gateway itself offers; config tools may not take them. */
export const BUILTIN_TOOL_NAMES = ['airlock_wait', 'airlock_status'] as const;

const text = (what: string) =>
  z
    .string({ error: `must be ${what}` })
    .trim()
    .min(1, `must be ${what}`);

const dotted = z
  .string({ error: 'must be an action type' })
  .regex(/^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$/, 'must be dotted lower-case words, e.g. db.export');

const template = (what: string) =>
  text(what).superRefine((value, ctx) => {
    const problem = templateProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const validator = new AjvJsonSchemaValidator();

const inputSchema = z
  .record(z.string(), z.unknown(), { error: 'must be a JSON Schema (a mapping with type: object)' })
  .superRefine((schema, ctx) => {
    if (schema.type !== 'object') {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message: 'must be "object" (tool arguments are an object)',
      });
      return;
    }
    try {
      validator.getValidator(schema as never);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `is not a valid JSON Schema: ${(err as Error).message}` });
    }
  });

const headerValue = z
  .string({ error: 'must be a string (quote numbers)' })
  .refine((v) => !/[\r\n\0]/.test(v), 'must not contain line breaks');

const tool = z
  .strictObject({
    name: z
      .string({ error: 'must be a tool name' })
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, _ or - (dots are for upstream tools)')
      .refine((n) => !(BUILTIN_TOOL_NAMES as readonly string[]).includes(n), 'is a built-in tool name'),
    title: text('a title').optional(),
    description: text('a description of what the tool does'),
    inputSchema,
    action: dotted,
    resource: template('a resource, fixed or templated ({{args.NAME}})'),
    environment: template('an environment, fixed or templated ({{args.NAME}})'),
    /** Which arguments are the request's parameters: a list of names, or a mapping of templates. */
    parameters: z
      .union([z.array(text('an argument name')), z.record(z.string(), z.unknown())], {
        error: 'must be a list of argument names or a mapping of parameter templates',
      })
      .optional(),
    justification: template('a justification template').optional(),
  })
  .superRefine((t, ctx) => {
    const declared = declaredArguments(t.inputSchema);
    const check = (path: PropertyKey[], refs: string[]) => {
      for (const ref of refs) {
        const top = ref.split('.')[0]!;
        if (declared && !declared.has(top)) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `refers to argument ${top}, which inputSchema.properties does not declare`,
          });
        }
      }
    };
    check(['resource'], templateReferences(t.resource));
    check(['environment'], templateReferences(t.environment));
    if (t.justification) check(['justification'], templateReferences(t.justification));
    if (Array.isArray(t.parameters)) {
      t.parameters.forEach((name, i) => {
        check(['parameters', i], [name]);
      });
    } else if (t.parameters) {
      for (const s of templateStrings(t.parameters, ['parameters'])) {
        const problem = templateProblem(s.text);
        if (problem) ctx.addIssue({ code: 'custom', path: s.path, message: problem });
        check(s.path, templateReferences(s.text));
      }
    }
  });

function declaredArguments(schema: Record<string, unknown>): Set<string> | undefined {
  const props = schema.properties;
  return props && typeof props === 'object' ? new Set(Object.keys(props)) : undefined;
}

const timeout = z
  .unknown()
  .optional()
  .transform((value, ctx): number => {
    if (value === undefined) return 60_000;
    const ms = typeof value === 'string' ? parseDuration(value) : undefined;
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a duration like 30s or 5m, got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    return ms;
  });

const upstream = z
  .strictObject({
    command: text('a command').optional(),
    args: z.array(z.string(), { error: 'must be a list of strings' }).default([]),
    cwd: text('a directory').optional(),
    /** Server-held environment for a stdio upstream (secrets through ${ENV} or ${file:}). */
    env: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
        z.string(),
      )
      .default({}),
    url: z
      .string({ error: 'must be a URL' })
      .refine((u) => {
        try {
          return ['http:', 'https:'].includes(new URL(u).protocol);
        } catch {
          return false;
        }
      }, 'must be an http:// or https:// URL')
      .optional(),
    /** Server-held headers for a Streamable HTTP upstream. */
    headers: z
      .record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name'), headerValue)
      .default({}),
    /** The environment its calls run in, for the policy: the upstream's own, never the agent's word. */
    environment: z
      .string({ error: 'must be an environment name' })
      .regex(/^[A-Za-z0-9@._:+/-]+$/, 'may contain only letters, digits and @ . _ : + / -')
      .default('production'),
    timeout,
  })
  .superRefine((u, ctx) => {
    if ((u.command === undefined) === (u.url === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'needs exactly one of command (stdio) or url (Streamable HTTP)',
      });
    }
    if (u.url !== undefined && (u.args.length > 0 || u.cwd || Object.keys(u.env).length > 0)) {
      ctx.addIssue({
        code: 'custom',
        message: 'args, cwd and env are for a stdio upstream (command), not a url',
      });
    }
    if (u.command !== undefined && Object.keys(u.headers).length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['headers'],
        message: 'headers are for a url upstream, not a command',
      });
    }
  });

export const mcpSchema = z
  .strictObject({
    waitSeconds: z
      .number({ error: 'must be a whole number of seconds' })
      .int('must be a whole number of seconds')
      .min(1, 'must be at least 1')
      .max(3600, 'must be at most 3600')
      .default(50),
    tools: z.array(tool, { error: 'must be a list of tools' }).default([]),
    upstreams: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must be 1 to 32 lower-case letters, digits, _ or -'),
        upstream,
      )
      .default({}),
  })
  .superRefine((m, ctx) => {
    const seen = new Map<string, number>();
    m.tools.forEach((t, i) => {
      const first = seen.get(t.name);
      if (first === undefined) seen.set(t.name, i);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['tools', i, 'name'],
          message: `duplicates tools[${first}].name`,
        });
    });
  })
  .transform(
    (m): McpConfig => ({
      waitSeconds: m.waitSeconds,
      tools: m.tools.map(
        (t): McpTool => ({
          name: t.name,
          ...(t.title ? { title: t.title } : {}),
          description: t.description,
          inputSchema: t.inputSchema,
          action: t.action,
          resource: t.resource,
          environment: t.environment,
          ...(t.parameters !== undefined ? { parameters: t.parameters } : {}),
          ...(t.justification ? { justification: t.justification } : {}),
        }),
      ),
      upstreams: Object.fromEntries(
        Object.entries(m.upstreams).map(([name, u]): [string, McpUpstream] => [
          name,
          u.url !== undefined
            ? {
                transport: 'http',
                url: u.url,
                headers: u.headers,
                environment: u.environment,
                timeoutMs: u.timeout,
              }
            : {
                transport: 'stdio',
                command: u.command!,
                args: u.args,
                env: u.env,
                ...(u.cwd ? { cwd: u.cwd } : {}),
                environment: u.environment,
                timeoutMs: u.timeout,
              },
        ]),
      ),
    }),
  );

/** The action type of an upstream tool: `mcp.<upstream>.<tool>`, the tool's name made a dotted word. */
export function upstreamAction(upstream: string, toolName: string): string {
  return `mcp.${upstream}.${actionWord(toolName)}`;
}

/** A tool name as one lower-case action word (`getSum` -> `getsum`, `read.file` -> `read_file`). */
export function actionWord(toolName: string): string {
  const word = toolName
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/^[^a-z0-9]+/, '');
  return word === '' ? 'tool' : word;
}
