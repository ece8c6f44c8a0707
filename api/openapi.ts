// The OpenAPI 3.1 document, generated from the same zod schemas that validate requests and
// shape responses (OpenAPI 3.1 schemas are JSON Schema 2020-12, which zod emits directly).
// sdk/openapi.ts is generated from it; test/integration/sdk/openapi-lint.test.ts lints it.
import { z } from 'zod';
import { payloadsSchema } from './codec-routes.js';
import {
  acceptedSchema,
  actionAuditSchema,
  actionPageSchema,
  actionViewSchema,
  approvalCardSchema,
  callbackSecretSchema,
  decisionResultSchema,
  delegationPageSchema,
  delegationViewSchema,
  evidenceVerificationSchema,
  jwksSchema,
  livenessSchema,
  policyDecisionSchema,
  policySummarySchema,
  readinessSchema,
  standingApprovalSchema,
  standingPageSchema,
} from './response-schemas.js';
import {
  actionRequestSchema,
  cancelSchema,
  completeSchema,
  decisionSchema,
  delegationSchema,
  evaluateSchema,
  exportQuerySchema,
  historyQuerySchema,
  listQuerySchema,
  previewSchema,
  redeemSchema,
  reviewSchema,
} from './schemas.js';

const schema = (s: z.ZodType, io: 'input' | 'output' = 'input') =>
  z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const json = (description: string, schemaName: string) => ({
  description,
  content: { 'application/json': { schema: ref(schemaName) } },
});
const body = (schemaName: string, example: unknown) => ({
  required: true,
  content: { 'application/json': { schema: ref(schemaName), example } },
});

/** An id that parses (the ids are UUIDs), so "Try it out" gets a 404 rather than a 400. */
const EXAMPLE_ID = '00000000-0000-4000-8000-000000000000';
const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', format: 'uuid' },
  example: EXAMPLE_ID,
};
const waitParam = {
  name: 'wait',
  in: 'query',
  required: false,
  schema: { type: 'integer', minimum: 0, maximum: 60 },
  description:
    'Hold the response up to this many seconds until the request settles (a final status, an active grant, or a gate token ready)',
};

// What every authenticated route may answer; /v1 rate-limits per principal (429), and a
// Temporal or database outage is a 503 problem.
const authErrors = {
  '401': problemResponse('Missing or invalid credentials'),
  '403': problemResponse('The principal lacks the role'),
  '429': problemResponse('Too many requests for this principal (Retry-After says when to retry)'),
  '503': problemResponse('Temporal or the database is unavailable'),
};
const readErrors = { '400': problemResponse('Invalid query or path'), ...authErrors };
/** Routes that read a JSON body also refuse it as too large, not JSON, or malformed. */
const bodyErrors = {
  '400': problemResponse('Invalid body (field-level errors in `errors`)'),
  '413': problemResponse('Body larger than 256 KiB'),
  '415': problemResponse('The body is not application/json'),
  ...authErrors,
};
const notFound = { '404': problemResponse('No such request, or not one this principal may see') };

interface Operation {
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
  security?: unknown[];
}

/** One operation; the description defaults to the summary (linters want both). */
function op(o: Operation): Record<string, unknown> {
  const { tag, description, ...rest } = o;
  return { ...rest, tags: [tag], description: description ?? o.summary };
}

function queryParams(s: z.ZodObject) {
  const js = schema(s) as { properties?: Record<string, unknown> };
  return Object.entries(js.properties ?? {}).map(([name, sch]) => ({
    name,
    in: 'query',
    required: false,
    schema: sch,
  }));
}

/** The Action schema, with its preview as a reference to the Preview component. */
function actionComponent(): Record<string, unknown> {
  const action = schema(actionViewSchema, 'output') as { properties: Record<string, unknown> };
  action.properties.preview = ref('Preview');
  return action;
}

/** A request the demo (npm start) accepts and runs as it is: dev is free, demo-echo-dev serves it ("Try it out"). */
export const EXAMPLE_REQUEST = {
  action: 'http.config.update',
  resource: 'demo-echo-dev:/config',
  environment: 'dev',
  parameters: { method: 'POST', path: '/config', body: { feature: 'on' } },
  justification: 'turn the feature on in dev',
};

const TAGS = [
  { name: 'actions', description: 'Submit, read, decide and cancel action requests' },
  { name: 'gate', description: 'Gate mode: redeem the approval token, report the outcome' },
  { name: 'audit', description: 'The audit trail, archived histories and evidence packs (auditor)' },
  { name: 'policy', description: 'The active policy and dry runs' },
  { name: 'callbacks', description: 'Verifying the callbacks Airlock sends' },
  { name: 'codec', description: 'The Temporal codec server' },
  { name: 'health', description: 'Liveness and readiness' },
];

export function buildOpenApi(publicUrl: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Airlock',
      version: '1',
      description:
        'Action-level approvals: every privileged action becomes a durable Temporal workflow that waits for a verified human decision. Errors are RFC 9457 problems whose `type` is a stable URN.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Airlock' },
      contact: { name: 'Airlock', url: `${publicUrl}/docs` },
    },
    servers: [{ url: publicUrl }],
    security: [{ bearer: [] }, { apiKey: [] }],
    tags: TAGS,
    paths: {
      '/v1/actions': {
        post: op({
          operationId: 'submitAction',
          tag: 'actions',
          summary: 'Submit an action for approval',
          description:
            'Starts the request. The answer is 202 with its id and links; with ?wait= it holds until the request settles and returns the request (200 when settled, 202 when still on its way). The same Idempotency-Key and body answer 200 with the first request.',
          parameters: [
            waitParam,
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', maxLength: 255 },
            },
          ],
          requestBody: body('ActionRequest', EXAMPLE_REQUEST),
          responses: {
            '202': json(
              'Accepted: the workflow started (with ?wait=, the request as it stands)',
              'Submitted',
            ),
            '200': json(
              'Settled within ?wait=, or the same idempotency key and body were seen before',
              'Submitted',
            ),
            '409': problemResponse('The idempotency key was used with another body'),
            ...bodyErrors,
          },
        }),
        get: op({
          operationId: 'listActions',
          tag: 'actions',
          summary: 'List requests, newest first (the request index in the audit database)',
          parameters: queryParams(listQuerySchema),
          responses: { '200': json('A page of requests', 'ActionPage'), ...readErrors },
        }),
      },
      '/v1/actions/{id}': {
        get: op({
          operationId: 'getAction',
          tag: 'actions',
          summary: 'A request and its state',
          description:
            'With ?wait=, held until the request settles or the wait ends (a long poll, as submit).',
          parameters: [idParam, waitParam],
          responses: { '200': json('The request', 'Action'), ...notFound, ...readErrors },
        }),
      },
      '/v1/actions/{id}/card': {
        get: op({
          operationId: 'getActionCard',
          tag: 'actions',
          summary: 'The channel-neutral approval card',
          parameters: [idParam],
          responses: { '200': json('The card model', 'ApprovalCard'), ...notFound, ...readErrors },
        }),
      },
      '/v1/actions/{id}/audit': {
        get: op({
          operationId: 'getActionAudit',
          tag: 'audit',
          summary: 'Audit events of a request and their verification (auditor)',
          parameters: [idParam],
          responses: { '200': json('Events', 'ActionAudit'), ...notFound, ...readErrors },
        }),
      },
      '/v1/actions/{id}/decisions': {
        post: op({
          operationId: 'decideAction',
          tag: 'actions',
          summary: 'Approve or deny',
          parameters: [idParam],
          requestBody: body('Decision', { decision: 'approve', reason: 'checked the parameters' }),
          responses: {
            '200': json('Decision recorded', 'DecisionResult'),
            ...notFound,
            '409': problemResponse('Already decided, or the request has ended'),
            ...bodyErrors,
          },
        }),
      },
      '/v1/actions/{id}/review': {
        post: op({
          operationId: 'reviewBreakGlass',
          tag: 'actions',
          summary: 'Review a break-glass request after the fact (a stage approver, not its requester)',
          description:
            "Acknowledge it, or flag it as an incident with a reason. Due within the rule's breakGlass.reviewWithin; once overdue the request is marked and its cards posted again.",
          parameters: [idParam],
          requestBody: body('Review', { outcome: 'acknowledge', reason: 'the outage ticket explains it' }),
          responses: {
            '200': json('Review recorded', 'Action'),
            ...notFound,
            '409': problemResponse('Already reviewed, or not a break-glass request'),
            ...bodyErrors,
          },
        }),
      },
      '/v1/standing': {
        get: op({
          operationId: 'listStanding',
          tag: 'actions',
          summary: 'Standing approvals, newest first (a plain requester sees those for its own requests)',
          responses: { '200': json('Standing approvals', 'StandingPage'), ...readErrors },
        }),
      },
      '/v1/standing/{id}': {
        delete: op({
          operationId: 'revokeStanding',
          tag: 'actions',
          summary: 'Revoke a standing approval at once (one of its approvers, or an admin)',
          parameters: [idParam],
          responses: {
            '200': json('Revoked (or already revoked)', 'StandingApproval'),
            ...notFound,
            ...readErrors,
          },
        }),
      },
      '/v1/delegations': {
        post: op({
          operationId: 'createDelegation',
          tag: 'actions',
          summary: 'Hand your approvals to one person for a period',
          description:
            'The delegate may decide, in your name, what you may decide, while it holds; never their own request nor one made on their behalf, and never what they hold passed on again (no chains). One delegation at a time.',
          requestBody: body('Delegation', {
            delegate: 'dev@example.com',
            end: '2030-01-08T00:00:00Z',
            reason: 'on leave for a week',
          }),
          responses: { '201': json('Created', 'DelegationView'), ...bodyErrors },
        }),
        get: op({
          operationId: 'listDelegations',
          tag: 'actions',
          summary: 'Delegations you gave or hold (auditors and admins: all)',
          responses: { '200': json('Delegations', 'DelegationPage'), ...readErrors },
        }),
      },
      '/v1/delegations/{id}': {
        delete: op({
          operationId: 'endDelegation',
          tag: 'actions',
          summary: 'End a delegation at once (its delegator, its delegate, or an admin)',
          parameters: [idParam],
          responses: { '200': json('Ended', 'DelegationView'), ...notFound, ...readErrors },
        }),
      },
      '/v1/actions/{id}/cancel': {
        post: op({
          operationId: 'cancelAction',
          tag: 'actions',
          summary: 'Cancel a pending request (its requester, or an admin)',
          parameters: [idParam],
          requestBody: body('Cancel', { reason: 'no longer needed' }),
          responses: {
            '200': json('Cancelled', 'Action'),
            ...notFound,
            '409': problemResponse('Not cancellable'),
            ...bodyErrors,
          },
        }),
      },
      '/v1/actions/{id}/redeem': {
        post: op({
          operationId: 'redeemAction',
          tag: 'gate',
          summary: 'Redeem a gate-mode approval token once',
          description:
            'The token comes from GET /v1/actions/{id} (approvalToken, requester only) or the callback. environment, resource and parametersHash, when given, must match the request.',
          parameters: [idParam],
          requestBody: body('Redeem', { token: 'v2.paste-the-approvalToken-here' }),
          responses: {
            '200': json('Redeemed', 'Action'),
            ...notFound,
            '409': problemResponse('Already redeemed'),
            ...bodyErrors,
          },
        }),
      },
      '/v1/actions/{id}/complete': {
        post: op({
          operationId: 'completeAction',
          tag: 'gate',
          summary: 'Report a gate-mode outcome or release a JIT grant',
          parameters: [idParam],
          requestBody: body('Complete', { outcome: 'succeeded', details: { exitCode: 0 } }),
          responses: {
            '200': json('Recorded', 'Action'),
            ...notFound,
            '409': problemResponse('Nothing to complete'),
            ...bodyErrors,
          },
        }),
      },
      '/v1/actions/{id}/history': {
        get: op({
          operationId: 'getActionHistory',
          tag: 'audit',
          summary: 'The archived Temporal history of a closed request (auditor)',
          description:
            'The exact archived text (payloads encrypted); its SHA-256 is in the X-Airlock-History-Sha256 header and in the chain event history.archived. With decrypt=true, the payloads are decrypted.',
          parameters: [idParam, ...queryParams(historyQuerySchema)],
          responses: {
            '200': {
              description: 'History (Temporal protobuf JSON)',
              content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } },
            },
            '404': problemResponse('No such request, or not archived yet'),
            ...readErrors,
          },
        }),
      },
      '/v1/audit/verify': {
        get: op({
          operationId: 'verifyAudit',
          tag: 'audit',
          summary:
            'Recompute the chain, checkpoints and archived histories; name the first broken link (auditor)',
          responses: { '200': json('Verification report', 'EvidenceVerification'), ...readErrors },
        }),
      },
      '/v1/audit/export': {
        get: op({
          operationId: 'exportAudit',
          tag: 'audit',
          summary: 'A signed evidence pack for a period, verifiable offline (auditor)',
          parameters: queryParams(exportQuerySchema),
          responses: {
            '200': {
              description: 'The pack',
              content: {
                'application/x-ndjson': { schema: { type: 'string' } },
                'text/csv': { schema: { type: 'string' } },
              },
            },
            ...readErrors,
          },
        }),
      },
      '/.well-known/airlock-audit-keys.json': {
        get: op({
          operationId: 'getAuditKeys',
          tag: 'audit',
          summary: 'Public Ed25519 keys of checkpoints and evidence packs (JWKS)',
          security: [],
          responses: { '200': json('JWKS', 'Jwks') },
        }),
      },
      '/codec/decode': {
        post: op({
          operationId: 'codecDecode',
          tag: 'codec',
          summary: 'Temporal codec server: decrypt payloads (auditor or admin; CORS for the Temporal UI)',
          requestBody: body('Payloads', { payloads: [] }),
          responses: { '200': json('Payloads', 'Payloads'), ...bodyErrors },
        }),
      },
      '/codec/encode': {
        post: op({
          operationId: 'codecEncode',
          tag: 'codec',
          summary: 'Temporal codec server: encrypt payloads (admin)',
          requestBody: body('Payloads', { payloads: [] }),
          responses: { '200': json('Payloads', 'Payloads'), ...bodyErrors },
        }),
      },
      '/v1/policy': {
        get: op({
          operationId: 'getPolicy',
          tag: 'policy',
          summary: 'The active policy',
          description:
            'By file name and content hash. Approvers, auditors and admins see all of it; a plain requester sees the rules (names, matches, effects, risk, stage sizes) without identities, groups or channels.',
          responses: { '200': json('Policy summary', 'PolicySummary'), ...readErrors },
        }),
      },
      '/v1/policy/evaluate': {
        post: op({
          operationId: 'evaluatePolicy',
          tag: 'policy',
          summary: 'Dry-run the policy for a request',
          requestBody: body('EvaluateRequest', EXAMPLE_REQUEST),
          responses: { '200': json('The decision', 'PolicyDecision'), ...bodyErrors },
        }),
      },
      '/v1/callback-secret': {
        get: op({
          operationId: 'getCallbackSecret',
          tag: 'callbacks',
          summary: "The key that signs this requester's callbacks (Airlock-Signature)",
          description:
            'Each requester has its own key, derived from the master key and its identity: it verifies only callbacks of its own requests.',
          responses: { '200': json('The HMAC-SHA256 key', 'CallbackSecret'), ...readErrors },
        }),
      },
      '/healthz': {
        get: op({
          operationId: 'getLiveness',
          tag: 'health',
          summary: 'Liveness',
          security: [],
          responses: { '200': json('Alive', 'Liveness') },
        }),
      },
      '/readyz': {
        get: op({
          operationId: 'getReadiness',
          tag: 'health',
          summary: 'Readiness (Temporal, database)',
          security: [],
          responses: { '200': json('Ready', 'Readiness'), '503': json('Not ready', 'Readiness') },
        }),
      },
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key or an OIDC JWT' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
      schemas: {
        ActionRequest: schema(actionRequestSchema),
        Decision: schema(decisionSchema),
        Cancel: schema(cancelSchema),
        Review: schema(reviewSchema),
        Delegation: schema(delegationSchema),
        Redeem: schema(redeemSchema),
        Complete: schema(completeSchema),
        EvaluateRequest: schema(evaluateSchema),
        Payloads: schema(payloadsSchema),
        Action: actionComponent(),
        Accepted: schema(acceptedSchema, 'output'),
        Submitted: { oneOf: [ref('Action'), ref('Accepted')] },
        ActionPage: schema(actionPageSchema, 'output'),
        DecisionResult: schema(decisionResultSchema, 'output'),
        ApprovalCard: schema(approvalCardSchema, 'output'),
        ActionAudit: schema(actionAuditSchema, 'output'),
        EvidenceVerification: schema(evidenceVerificationSchema, 'output'),
        PolicySummary: schema(policySummarySchema, 'output'),
        PolicyDecision: schema(policyDecisionSchema, 'output'),
        CallbackSecret: schema(callbackSecretSchema, 'output'),
        Jwks: schema(jwksSchema, 'output'),
        Liveness: schema(livenessSchema, 'output'),
        Readiness: schema(readinessSchema, 'output'),
        Preview: schema(previewSchema, 'output'),
        StandingApproval: schema(standingApprovalSchema, 'output'),
        StandingPage: schema(standingPageSchema, 'output'),
        DelegationView: schema(delegationViewSchema, 'output'),
        DelegationPage: schema(delegationPageSchema, 'output'),
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details; branch on `type` (urn:airlock:problem:<slug>)',
          required: ['type', 'title', 'status'],
          properties: {
            type: { type: 'string', format: 'uri-reference' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            field: { type: 'string', description: 'The first field at fault' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { field: { type: 'string' }, detail: { type: 'string' } },
              },
            },
          },
          additionalProperties: true,
        },
      },
    },
  };
}
