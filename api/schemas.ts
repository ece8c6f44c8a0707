// The zod schemas that validate every API input; the OpenAPI document is generated from the
// same schemas, so the docs cannot drift from what the server accepts.
import { z } from 'zod';
import { REQUEST_ID_PATTERN } from '../lib/request-id.js';
import type { ActionPreview } from '../workflows/preview-types.js';

const MAX_DEPTH = 16;
const MAX_STRING = 64 * 1024;

/** JSON value with bounded nesting and string length (SPEC 1: "strings and nesting bounded"). */
export const boundedJson = z.unknown().superRefine((value, ctx) => {
  const problem = checkBounds(value, 0);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

function checkBounds(value: unknown, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return `nested deeper than ${MAX_DEPTH} levels`;
  if (typeof value === 'string')
    return value.length > MAX_STRING ? `a string is longer than ${MAX_STRING} characters` : undefined;
  if (Array.isArray(value)) {
    for (const v of value) {
      const p = checkBounds(v, depth + 1);
      if (p) return p;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.length > 256) return 'a key is longer than 256 characters';
      const p = checkBounds(v, depth + 1);
      if (p) return p;
    }
  }
  return undefined;
}

/**
 * Why a string may not be stored, logged or shown as it is; undefined when it may. Refused: C0
 * controls, DEL, C1 controls (tab, LF and CR are text where the field is multi-line), and UTF-16
 * surrogates without their pair.
 */
function unsafeText(value: string, multiline: boolean): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = value.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return `is not well-formed Unicode (a lone surrogate at position ${i})`;
    }
    const control = c < 0x20 || (c >= 0x7f && c <= 0x9f);
    if (!control || (multiline && (c === 0x09 || c === 0x0a || c === 0x0d))) continue;
    const code = c.toString(16).toUpperCase().padStart(4, '0');
    return `must not contain control characters (U+${code} at position ${i})`;
  }
  return undefined;
}

/**
 * One walk over a whole request body: every string and every key, at any depth, is refused with
 * its field path when it holds a control character or a lone surrogate. PostgreSQL cannot store
 * NUL (22021) nor lone surrogates in JSON (22P05), and logs, cards and consoles mis-show the rest.
 * Strings under `multiline` top-level fields (free text, SQL, diffs) may hold tab, CR and LF.
 */
export function noControlCharacters(multiline: readonly string[] = []) {
  return (body: unknown, ctx: z.RefinementCtx): void => {
    let reported = 0;
    const walk = (value: unknown, path: (string | number)[], text: boolean): void => {
      if (reported >= 10) return;
      if (typeof value === 'string') {
        const problem = unsafeText(value, text);
        if (problem) {
          reported++;
          ctx.addIssue({ code: 'custom', message: problem, path });
        }
      } else if (Array.isArray(value)) {
        for (const [i, v] of value.entries()) walk(v, [...path, i], text);
      } else if (value && typeof value === 'object') {
        for (const [key, v] of Object.entries(value)) {
          const keyProblem = unsafeText(key, false);
          if (keyProblem && reported < 10) {
            reported++;
            ctx.addIssue({ code: 'custom', message: `a key ${keyProblem}`, path: [...path, key] });
            continue;
          }
          walk(v, [...path, key], text || (path.length === 0 && multiline.includes(key)));
        }
      }
    };
    walk(body, [], false);
  };
}

/** Top-level fields of a body whose strings are free text (tab, CR, LF allowed). */
const TEXT_FIELDS = ['justification', 'reason', 'diff', 'parameters', 'details', 'breakGlass'] as const;

const dotted = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$/, 'must be dotted lower-case words, e.g. db.export');

/** A value safe to put in a Temporal visibility query and a search attribute. */
const keyword = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9@._:+/-]+$/, 'may contain only letters, digits and @ . _ : + / -');

export const agentSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  model: z.string().min(1).max(200).optional(),
  session: z.string().min(1).max(200).optional(),
  onBehalfOf: z.string().min(1).max(320).optional(),
});

export const diffSchema = z.union([
  z.strictObject({ before: z.string().max(MAX_STRING), after: z.string().max(MAX_STRING) }),
  z.strictObject({ unified: z.string().max(MAX_STRING) }),
]);

export const actionRequestSchema = z
  .strictObject({
    action: dotted.describe('Action type, dotted: db.export, db.schema.migrate, http.request'),
    resource: z.string().min(1).max(1024).describe('What the action touches'),
    environment: keyword.describe('production, staging, dev, ...'),
    parameters: z
      .record(z.string(), boundedJson)
      .describe('The exact parameters that will run; the approval is bound to their hash'),
    justification: z.string().max(4000).optional(),
    agent: agentSchema.optional(),
    diff: diffSchema.optional(),
    labels: z.record(z.string().max(64), z.string().max(1024)).optional(),
    callbackUrl: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional(),
    idempotencyKey: z.string().min(1).max(255).optional(),
    breakGlass: z
      .strictObject({ reason: z.string().min(1).max(4000).describe('Why this cannot wait for approval') })
      .optional()
      .describe(
        'Run at once, without approval, where the matched rule lets the requester break the glass; a stage approver reviews it afterwards',
      ),
  })
  .refine((b) => !b.labels || Object.keys(b.labels).length <= 32, {
    message: 'at most 32 labels',
    path: ['labels'],
  })
  .superRefine(noControlCharacters(TEXT_FIELDS));

export type ActionRequestPayload = z.infer<typeof actionRequestSchema>;

export const decisionSchema = z
  .strictObject({
    decision: z.enum(['approve', 'deny']),
    reason: z.string().max(2000).optional(),
    standing: z
      .strictObject({
        ttl: z
          .string()
          .max(32)
          .describe(
            'How long later requests in the same scope are approved too, e.g. "2h" (at most the rule\'s standing.maxTtl)',
          ),
      })
      .optional()
      .describe('Approve this and the same again: a standing approval, where the rule allows it'),
  })
  .superRefine(noControlCharacters(TEXT_FIELDS));

/** POST /v1/delegations: hand one's approvals to one person for a period. */
export const delegationSchema = z
  .strictObject({
    delegate: z.string().min(3).max(320).describe('Who may decide in your name (an e-mail address)'),
    start: z.iso.datetime({ offset: true }).optional().describe('When it begins (default: now)'),
    end: z.iso.datetime({ offset: true }).describe('When it ends (at most 90 days after it begins)'),
    reason: z.string().min(1).max(2000),
  })
  .superRefine(noControlCharacters(TEXT_FIELDS));

export const standingIdParamSchema = z.strictObject({ id: z.uuid() });

/** A break-glass review: acknowledged, or flagged as an incident (with a reason). */
export const reviewSchema = z
  .strictObject({
    outcome: z.enum(['acknowledge', 'incident']),
    reason: z.string().max(2000).optional(),
  })
  .superRefine(noControlCharacters(TEXT_FIELDS));

export const cancelSchema = z
  .strictObject({ reason: z.string().max(2000).optional() })
  .superRefine(noControlCharacters(TEXT_FIELDS));

/** The token, and optionally what the redeeming side is about to run: each part given must match. */
export const redeemSchema = z
  .strictObject({
    token: z.string().min(1).max(4096),
    environment: keyword.optional().describe('The environment the redeeming side runs in'),
    resource: z.string().min(1).max(1024).optional().describe('The resource it is about to touch'),
    parametersHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 as 64 lower-case hex digits')
      .optional()
      .describe('The parameters hash of what it is about to run'),
  })
  .superRefine(noControlCharacters());

export const completeSchema = z
  .strictObject({
    outcome: z.enum(['succeeded', 'failed']).optional(),
    details: z.record(z.string(), boundedJson).optional(),
  })
  .superRefine(noControlCharacters(TEXT_FIELDS));

export const waitQuerySchema = z.strictObject({
  wait: z.coerce.number().int().min(0).max(60).optional(),
});

export const listQuerySchema = z.strictObject({
  status: keyword.optional(),
  requester: keyword.optional(),
  action: keyword.optional(),
  environment: keyword.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(4096).optional(),
});

export const evaluateSchema = z
  .strictObject({
    action: dotted,
    resource: z.string().min(1).max(1024),
    environment: keyword,
    parameters: z.record(z.string(), boundedJson).default({}),
    justification: z.string().max(4000).optional(),
    agent: agentSchema.optional(),
    labels: z.record(z.string().max(64), z.string().max(1024)).optional(),
    requester: z.string().min(1).max(320).optional(),
    preview: z
      .record(z.string(), boundedJson)
      .optional()
      .describe(
        'A preview to evaluate rules that read `preview` against (the shape of Preview); absent: none yet',
      ),
  })
  .superRefine(noControlCharacters(TEXT_FIELDS));

export const idParamSchema = z.strictObject({
  id: z.string().regex(REQUEST_ID_PATTERN, 'is not a request id'),
});

/** An instant: any ISO-8601 date or date-time, normalized to UTC `...Z`. */
const instant = z
  .string()
  .max(64)
  .refine(
    // PostgreSQL has no year 0 (nor before): such an instant would fail in the database.
    (s) => /^\d{4}-\d{2}-\d{2}/.test(s) && !Number.isNaN(Date.parse(s)) && new Date(s).getUTCFullYear() >= 1,
    'must be an ISO-8601 date or time from year 1 on',
  )
  .transform((s) => new Date(s).toISOString());

const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

export const exportQuerySchema = z
  .strictObject({
    from: instant.optional().describe('Start (inclusive) of the period, on the time events were recorded'),
    to: instant.optional().describe('End (exclusive); default now'),
    format: z.enum(['jsonl', 'csv']).default('jsonl'),
    decrypt: flag
      .optional()
      .describe('Include each archived history with its payloads decrypted (auditor or admin)'),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { message: 'must be after from', path: ['to'] });

export const historyQuerySchema = z.strictObject({
  decrypt: flag
    .optional()
    .describe('Decrypt the payloads (auditor or admin); the SHA-256 headers then do not apply'),
});

/**
 * Airlock's preview of an action (workflows/preview-types.ts ActionPreview), as GET
 * /v1/actions/{id} returns it under `preview`: documented here so the OpenAPI document (and the
 * console and SDK built from it) describe the same shape. Never an input.
 */
const rowSample = z.object({
  columns: z.array(z.string()),
  rows: z.array(z.array(z.string().nullable())),
  truncated: z.boolean(),
});
export const previewSchema = z
  .object({
    status: z
      .enum(['ok', 'partial', 'unavailable', 'failed'])
      .describe(
        'ok: computed; partial: up to a statement a preview may not run; unavailable; failed (reason)',
      ),
    computedBy: z
      .literal('airlock')
      .describe("Airlock's own computation, unlike request.diff (the requester's claim)"),
    executor: z.string(),
    computedAt: z.string(),
    durationMs: z.number(),
    reason: z.string().optional().describe('Why the preview is partial, unavailable or failed'),
    summary: z
      .array(z.string())
      .describe('Lines for people: "1. UPDATE customers: 1,204 rows (sample below)"'),
    rowsAffected: z.number().int().optional().describe('Total rows affected (postgres.sql), only when ok'),
    sql: z
      .object({
        statements: z.array(
          z.object({
            kind: z.string().describe('PostgreSQL parse node: UpdateStmt, SelectStmt, ...'),
            text: z.string(),
            mode: z.enum(['run', 'explain', 'not_run']),
            table: z.string().optional(),
            rows: z.number().int().optional().describe('Rows affected; execution is held to it (drift)'),
            estimatedRows: z.number().int().optional(),
            plan: z.string().optional(),
            before: rowSample.optional(),
            after: rowSample.optional(),
            note: z.string().optional(),
          }),
        ),
        rolledBack: z.boolean(),
        statementTimeoutMs: z.number(),
        lockTimeoutMs: z.number(),
      })
      .optional(),
    http: z
      .object({
        method: z.literal('GET'),
        path: z.string(),
        status: z.number().int(),
        currentHash: z.string().describe('SHA-256 of the current state; execution refuses when it changed'),
        diff: z.string().describe('Unified diff from the current state to the proposed body'),
        truncated: z.boolean(),
      })
      .optional(),
    grant: z
      .object({
        role: z.string(),
        statements: z.array(z.string()),
        privileges: z.array(z.object({ privilege: z.string(), on: z.string(), object: z.string() })),
        attributes: z.array(z.string()),
        ttlSeconds: z.number().int(),
      })
      .optional(),
    withheld: z
      .string()
      .optional()
      .describe("In the requester's own view: the figures, rows and reasons are shown to approvers only"),
    hash: z
      .string()
      .optional()
      .describe('SHA-256 of the canonical JSON of the rest: what approvers approved'),
  })
  .describe('What Airlock computed the action would do, with server-held credentials and no lasting effect');

// The documented shape and the type stay one: every ActionPreview is a valid `Preview`, and the
// schema names every field of it (an extra optional field would not fail the first check alone).
const previewShapeMatches: ActionPreview extends z.output<typeof previewSchema>
  ? Exclude<keyof ActionPreview, keyof z.output<typeof previewSchema>> extends never
    ? true
    : never
  : never = true;
void previewShapeMatches;
