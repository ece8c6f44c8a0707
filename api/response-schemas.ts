// The zod schemas of what the API answers: api/present.ts is typed by them and the OpenAPI
// document describes every response from them, so a generated client reads real fields.
import { z } from 'zod';
import type { ActionStatus } from '../workflows/types.js';
import { previewSchema } from './schemas.js';

export const ACTION_STATUSES = [
  'evaluating',
  'pending_approval',
  'approved',
  'executing',
  'succeeded',
  'failed',
  'denied',
  'expired',
  'cancelled',
  'active',
  'revoked',
] as const;

export const actionStatusSchema = z.enum(ACTION_STATUSES);
// The documented list and the workflow's type stay one, both ways.
const statusesMatch: [ActionStatus, (typeof ACTION_STATUSES)[number]] extends [
  (typeof ACTION_STATUSES)[number],
  ActionStatus,
]
  ? true
  : never = true;
void statusesMatch;

export const actionLinksSchema = z.object({
  self: z.string().optional(),
  audit: z.string().optional(),
  card: z.string().optional(),
  /** The request's page in the approver console. */
  console: z.string().optional(),
  temporalUi: z.string().optional(),
});

/** 202 of a submit without `?wait=`: the id and where to read it. */
export const acceptedSchema = z.object({
  id: z.string(),
  status: actionStatusSchema.optional(),
  links: actionLinksSchema,
});

// Nested shapes the workflow owns (workflows/types.ts) are documented as open objects; the cast
// lets its interfaces (which have no index signature) satisfy them.
const open = z.looseObject({}) as unknown as z.ZodType<object>;

const requestView = z.looseObject({
  action: z.string(),
  resource: z.string(),
  environment: z.string(),
  parameters: z.record(z.string(), z.unknown()),
}) as unknown as z.ZodType<{
  action: string;
  resource: string;
  environment: string;
  parameters: Record<string, unknown>;
}>;

/** A request as GET /v1/actions/{id} shows it (api/present.ts). */
export const actionViewSchema = z.object({
  id: z.string(),
  status: actionStatusSchema,
  requester: z.string(),
  request: requestView,
  parametersHash: z.string(),
  executor: z.string(),
  target: z.string().optional(),
  risk: z.string().optional(),
  policy: z
    .object({
      effect: z.string(),
      rule: z.string().optional(),
      version: z.string().optional(),
      reason: z.string().optional(),
    })
    .optional(),
  stage: z
    .object({
      number: z.number().int(),
      of: z.number().int().optional(),
      approvers: z.array(z.string()),
      minApprovals: z.number().int(),
      deadline: z.string().optional(),
    })
    .optional(),
  decidedBy: z.string().optional(),
  reason: z.string().optional(),
  decisions: z.array(open),
  refusedAttempts: z.array(open).optional(),
  enrichment: open.optional(),
  preview: previewSchema.optional(),
  result: open.optional(),
  grant: open.optional(),
  gate: z.object({ expiresAt: z.string().optional(), redeemedAt: z.string().optional() }).optional(),
  breakGlass: z
    .object({
      reason: z.string(),
      by: z.string(),
      at: z.string(),
      reviewDueAt: z.string(),
      overdue: z.boolean().optional(),
      reposts: z.number().int().optional(),
      review: z
        .object({
          outcome: z.enum(['acknowledged', 'incident']),
          by: z.string(),
          channel: z.string(),
          reason: z.string().optional(),
          at: z.string(),
        })
        .optional(),
    })
    .optional()
    .describe('Set when the requester broke the glass: it ran without approval and awaits its review'),
  standing: z
    .object({
      created: z.object({ id: z.string(), expiresAt: z.string(), approvers: z.array(z.string()) }).optional(),
      notCreated: z.string().optional(),
      usedId: z.string().optional(),
      usedApprovers: z.array(z.string()).optional(),
    })
    .optional()
    .describe('The standing approval this request created, or the one that approved it'),
  approvalToken: z.string().optional().describe('Gate mode: the one-time token, shown to the requester'),
  submittedAt: z.string(),
  decidedAt: z.string().optional(),
  executedAt: z.string().optional(),
  endedAt: z.string().optional(),
  updatedAt: z.string().optional(),
  links: actionLinksSchema,
});
export type ActionView = z.output<typeof actionViewSchema>;

export const actionPageSchema = z.object({
  items: z.array(open),
  nextCursor: z.string().optional(),
});

export const decisionResultSchema = z.object({
  id: z.string(),
  status: actionStatusSchema,
  approvals: z.number().int(),
  needed: z.number().int(),
});

/** Shallow shapes of the other answers: their top-level fields, documented; the rest stays open. */
export const approvalCardSchema = z.looseObject({
  requestId: z.string(),
  title: z.string(),
  action: z.string(),
  risk: z.string(),
  status: z.string(),
  statusLine: z.string(),
  fields: z.array(open),
  parametersHash: z.string(),
});

export const actionAuditSchema = z.object({
  id: z.string(),
  events: z.array(open),
  verification: open,
});

export const evidenceVerificationSchema = z.looseObject({
  ok: z.boolean().describe('The chain, every checkpoint and every archived history verified'),
  chain: open,
  checkpoints: z.looseObject({ ok: z.boolean(), count: z.number().int() }),
  histories: z.looseObject({ ok: z.boolean(), count: z.number().int() }),
  database: open.optional(),
});

export const policySummarySchema = z.looseObject({
  view: z.enum(['full', 'requester']),
  version: z.string(),
  source: z.string(),
  loadedAt: z.string(),
  rules: z.array(open),
  default: open,
});

export const policyDecisionSchema = z.looseObject({
  effect: z.enum(['allow', 'deny', 'require_approval']),
  rule: z.string().optional(),
  reason: z.string().optional(),
  stages: z.array(open),
  executor: z.string().nullable().describe('The executor it would run on; null when submit would refuse it'),
  target: z.string().nullable(),
  refused: z.object({ field: z.string(), detail: z.string() }).optional(),
});

export const callbackSecretSchema = z.object({
  principal: z.string(),
  secret: z.string(),
  algorithm: z.literal('HMAC-SHA256'),
  header: z.literal('Airlock-Signature'),
  signs: z.string(),
});
export type CallbackSecretView = z.output<typeof callbackSecretSchema>;

export const jwksSchema = z.object({ keys: z.array(open) });
export const livenessSchema = z.object({ status: z.literal('ok') });
export const readinessSchema = z.object({ status: z.enum(['ready', 'not ready']), checks: open });

/** A standing approval as GET /v1/standing lists it (api/standing-routes.ts). */
export const standingApprovalSchema = z.object({
  id: z.string(),
  requestId: z.string().describe('The request whose approval created it'),
  scope: z.object({
    rule: z.string(),
    action: z.string(),
    resource: z.string(),
    environment: z.string(),
    requester: z.string(),
    onBehalfOf: z.string().optional(),
    vary: z.array(z.string()).describe('Parameters allowed to differ; the others must be equal'),
  }),
  scopeHash: z.string(),
  approvers: z.array(z.string()),
  createdAt: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().optional(),
  revokedBy: z.string().optional(),
  uses: z.number().int(),
  lastUsedAt: z.string().optional(),
  status: z.enum(['active', 'revoked', 'expired']),
});

export const standingPageSchema = z.object({ items: z.array(standingApprovalSchema) });

/** A delegation as /v1/delegations shows it (api/delegation-routes.ts). */
export const delegationViewSchema = z.object({
  id: z.string(),
  delegator: z.string(),
  delegate: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  reason: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  endedAt: z.string().optional(),
  endedBy: z.string().optional(),
  status: z.enum(['scheduled', 'active', 'expired', 'ended']),
});

export const delegationPageSchema = z.object({ items: z.array(delegationViewSchema) });
