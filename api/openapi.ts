// The OpenAPI 3.1 document, generated from the same zod schemas that validate requests
// (OpenAPI 3.1 schemas are JSON Schema 2020-12, which zod emits directly).
import { z } from 'zod';
import {
  acceptedSchema,
  actionPageSchema,
  actionViewSchema,
  decisionResultSchema,
} from './response-schemas.js';
import {
  actionRequestSchema,
  cancelSchema,
  completeSchema,
  decisionSchema,
  evaluateSchema,
  exportQuerySchema,
  historyQuerySchema,
  listQuerySchema,
  previewSchema,
  redeemSchema,
} from './schemas.js';

const schema = (s: z.ZodType, io: 'input' | 'output' = 'input') =>
  z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' });

const problem = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problem } },
});
const json = (description: string, ref?: string) => ({
  description,
  content: {
    'application/json': { schema: ref ? { $ref: `#/components/schemas/${ref}` } : { type: 'object' } },
  },
});
const body = (ref: string) => ({
  required: true,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
});
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const waitParam = {
  name: 'wait',
  in: 'query',
  required: false,
  schema: { type: 'integer', minimum: 0, maximum: 60 },
  description:
    'Hold the response up to this many seconds until the request settles (a final status, an active grant, or a gate token ready)',
};
const errors = {
  '400': problemResponse('Invalid input'),
  '401': problemResponse('Missing or invalid credentials'),
  '403': problemResponse('Not allowed'),
};

function queryParams(s: z.ZodObject) {
  const js = schema(s) as { properties?: Record<string, unknown> };
  return Object.entries(js.properties ?? {}).map(([name, sch]) => ({
    name,
    in: 'query',
    required: false,
    schema: sch,
  }));
}

export function buildOpenApi(publicUrl: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Airlock',
      version: '1',
      description:
        'Action-level approvals: every privileged action becomes a durable Temporal workflow that waits for a verified human decision.',
    },
    servers: [{ url: publicUrl }],
    security: [{ bearer: [] }, { apiKey: [] }],
    paths: {
      '/v1/actions': {
        post: {
          operationId: 'submitAction',
          tags: ['actions'],
          summary: 'Submit an action for approval',
          parameters: [
            waitParam,
            { name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 255 } },
          ],
          requestBody: body('ActionRequest'),
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
            '413': problemResponse('Body larger than 256 KiB'),
            ...errors,
          },
        },
        get: {
          operationId: 'listActions',
          tags: ['actions'],
          summary: 'List requests, newest first (the request index in the audit database)',
          parameters: queryParams(listQuerySchema),
          responses: { '200': json('A page of requests', 'ActionPage'), ...errors },
        },
      },
      '/v1/actions/{id}': {
        get: {
          operationId: 'getAction',
          tags: ['actions'],
          summary: 'A request and its state',
          parameters: [idParam, waitParam],
          responses: {
            '200': json('The request', 'Action'),
            '404': problemResponse('No such request'),
            ...errors,
          },
        },
      },
      '/v1/actions/{id}/card': {
        get: {
          operationId: 'getActionCard',
          tags: ['actions'],
          summary: 'The channel-neutral approval card',
          parameters: [idParam],
          responses: { '200': json('The card model'), ...errors },
        },
      },
      '/v1/actions/{id}/audit': {
        get: {
          operationId: 'getActionAudit',
          tags: ['audit'],
          summary: 'Audit events of a request and their verification',
          parameters: [idParam],
          responses: { '200': json('Events'), ...errors },
        },
      },
      '/v1/actions/{id}/decisions': {
        post: {
          operationId: 'decideAction',
          tags: ['actions'],
          summary: 'Approve or deny',
          parameters: [idParam],
          requestBody: body('Decision'),
          responses: {
            '200': json('Decision recorded', 'DecisionResult'),
            '409': problemResponse('Already decided or ended'),
            ...errors,
          },
        },
      },
      '/v1/actions/{id}/cancel': {
        post: {
          operationId: 'cancelAction',
          tags: ['actions'],
          summary: 'Cancel a pending request',
          parameters: [idParam],
          requestBody: body('Cancel'),
          responses: {
            '200': json('Cancelled', 'Action'),
            '409': problemResponse('Not cancellable'),
            ...errors,
          },
        },
      },
      '/v1/actions/{id}/redeem': {
        post: {
          operationId: 'redeemAction',
          tags: ['gate'],
          summary: 'Redeem a gate-mode approval token once',
          parameters: [idParam],
          requestBody: body('Redeem'),
          responses: {
            '200': json('Redeemed', 'Action'),
            '409': problemResponse('Already redeemed'),
            ...errors,
          },
        },
      },
      '/v1/actions/{id}/complete': {
        post: {
          operationId: 'completeAction',
          tags: ['gate'],
          summary: 'Report a gate-mode outcome or release a JIT grant',
          parameters: [idParam],
          requestBody: body('Complete'),
          responses: {
            '200': json('Recorded', 'Action'),
            '409': problemResponse('Nothing to complete'),
            ...errors,
          },
        },
      },
      '/v1/actions/{id}/history': {
        get: {
          operationId: 'getActionHistory',
          tags: ['audit'],
          summary: 'The archived Temporal history of a closed request (auditor)',
          description:
            'The exact archived text (payloads encrypted); its SHA-256 is in the X-Airlock-History-Sha256 header and in the chain event history.archived. With decrypt=true, the payloads are decrypted.',
          parameters: [idParam, ...queryParams(historyQuerySchema)],
          responses: {
            '200': json('History (protobuf JSON)'),
            '404': problemResponse('Not archived yet'),
            ...errors,
          },
        },
      },
      '/v1/audit/verify': {
        get: {
          operationId: 'verifyAudit',
          tags: ['audit'],
          summary:
            'Recompute the chain, checkpoints and archived histories; name the first broken link (auditor)',
          responses: { '200': json('Verification report'), ...errors },
        },
      },
      '/v1/audit/export': {
        get: {
          operationId: 'exportAudit',
          tags: ['audit'],
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
            ...errors,
          },
        },
      },
      '/.well-known/airlock-audit-keys.json': {
        get: {
          operationId: 'getAuditKeys',
          tags: ['audit'],
          summary: 'Public Ed25519 keys of checkpoints and evidence packs (JWKS)',
          security: [],
          responses: { '200': json('JWKS') },
        },
      },
      '/codec/decode': {
        post: {
          operationId: 'codecDecode',
          tags: ['codec'],
          summary: 'Temporal codec server: decrypt payloads (auditor or admin; CORS for the Temporal UI)',
          responses: { '200': json('Payloads'), ...errors },
        },
      },
      '/codec/encode': {
        post: {
          operationId: 'codecEncode',
          tags: ['codec'],
          summary: 'Temporal codec server: encrypt payloads (admin)',
          responses: { '200': json('Payloads'), ...errors },
        },
      },
      '/v1/policy': {
        get: {
          operationId: 'getPolicy',
          tags: ['policy'],
          summary: 'The active policy',
          description:
            'By file name and content hash. Approvers, auditors and admins see all of it; a plain requester sees the rules (names, matches, effects, risk, stage sizes) without identities, groups or channels.',
          responses: { '200': json('Policy summary'), ...errors },
        },
      },
      '/v1/policy/evaluate': {
        post: {
          operationId: 'evaluatePolicy',
          tags: ['policy'],
          summary: 'Dry-run the policy for a request',
          requestBody: body('EvaluateRequest'),
          responses: { '200': json('The decision'), ...errors },
        },
      },
      '/v1/callback-secret': {
        get: {
          operationId: 'getCallbackSecret',
          tags: ['callbacks'],
          summary: "The key that signs this requester's callbacks (Airlock-Signature)",
          description:
            'Each requester has its own key, derived from the master key and its identity: it verifies only callbacks of its own requests.',
          responses: { '200': json('The HMAC-SHA256 key'), ...errors },
        },
      },
      '/healthz': {
        get: {
          operationId: 'getLiveness',
          tags: ['health'],
          summary: 'Liveness',
          security: [],
          responses: { '200': json('Alive') },
        },
      },
      '/readyz': {
        get: {
          operationId: 'getReadiness',
          tags: ['health'],
          summary: 'Readiness (Temporal, database)',
          security: [],
          responses: { '200': json('Ready'), '503': json('Not ready') },
        },
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
        Redeem: schema(redeemSchema),
        Complete: schema(completeSchema),
        EvaluateRequest: schema(evaluateSchema),
        Action: schema(actionViewSchema, 'output'),
        Accepted: schema(acceptedSchema, 'output'),
        Submitted: {
          oneOf: [{ $ref: '#/components/schemas/Action' }, { $ref: '#/components/schemas/Accepted' }],
        },
        ActionPage: schema(actionPageSchema, 'output'),
        DecisionResult: schema(decisionResultSchema, 'output'),
        Preview: schema(previewSchema, 'output'),
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status'],
          properties: {
            type: { type: 'string', format: 'uri-reference' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            field: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { field: { type: 'string' }, detail: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  };
}
