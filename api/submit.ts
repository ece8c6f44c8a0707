// Submit, one way for REST and the MCP gateway: validate the body, bind its executor and target,
// check the callback and the justification, and start the request's one workflow. The workflow
// then owns the request: it enriches it, evaluates the policy again with Airlock's own context
// and preview, and writes every audit event. The one row written before the start is the seed
// (temporal/action-client.ts says why it stays).
import { callbackAllowed, callbackUrlProblem } from '../config/callback-allow.js';
import { evaluatePolicy } from '../policy/evaluate.js';
import { justificationShortfall } from '../policy/justification.js';
import { workflowIdFor } from '../temporal/action-client.js';
import type { ActionRequestBody, ActionRequestInput } from '../workflows/types.js';
import { call, invalid } from './action-errors.js';
import type { Principal } from './auth.js';
import type { ApiDeps } from './deps.js';
import { hashOf, requestIdFor } from './ids.js';
import { agentFor } from './on-behalf-of.js';
import { PROBLEM, ProblemError } from './problem.js';
import { actionRequestSchema } from './schemas.js';
import { bindExecution } from './submit-binding.js';

/**
 * The one submit path (REST and MCP): validates the body, resolves its executor, checks the
 * callback and justification, and starts the request's workflow. The requester is the
 * authenticated principal; an idempotency key may come from a header as well as the body.
 */
export async function submitAction(
  deps: ApiDeps,
  principal: Principal,
  rawBody: unknown,
  headerKey?: string,
): Promise<{ input: ActionRequestInput; created: boolean }> {
  const parsed = actionRequestSchema.parse(rawBody) as ActionRequestBody;
  const agent = agentFor(principal, parsed.agent);
  const body: ActionRequestBody = agent ? { ...parsed, agent } : parsed;
  if (headerKey && body.idempotencyKey && headerKey !== body.idempotencyKey) {
    throw new ProblemError({
      status: 400,
      type: PROBLEM.invalidBody,
      title: 'Conflicting idempotency keys',
      detail: 'the Idempotency-Key header and the idempotencyKey field differ',
      field: 'idempotencyKey',
    });
  }
  const idempotencyKey = headerKey ?? body.idempotencyKey;
  if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 255)) {
    throw invalid('idempotencyKey', 'must be 1 to 255 characters');
  }
  const execution = bindExecution(deps, body);
  checkCallback(deps, body);
  checkJustification(deps, body, principal.id);

  const { idempotencyKey: _ignored, ...bodyWithoutKey } = body;
  const requestId = requestIdFor(principal.id, idempotencyKey);
  const input: ActionRequestInput = {
    requestId,
    requester: principal.id,
    request: { ...bodyWithoutKey, ...(idempotencyKey ? { idempotencyKey } : {}) },
    parametersHash: hashOf(body.parameters),
    bodyHash: hashOf(bodyWithoutKey),
    submittedAt: new Date().toISOString(),
    execution,
    links: {
      api: `${deps.publicUrl}/v1/actions/${requestId}`,
      temporalUi: deps.temporalUiUrl
        ? `${deps.temporalUiUrl}/namespaces/${encodeURIComponent(deps.namespace)}/workflows/${workflowIdFor(requestId)}`
        : undefined,
    },
  };
  const { created } = await call(() => deps.actions.start(input));
  deps.metrics?.submitted(body.action, body.environment);
  return { input, created };
}

/**
 * labels.via is the MCP gateway's mark (the card says "via MCP" from it): a REST caller that set
 * it would pass its request off as the gateway's.
 */
export function refuseGatewayLabels(body: unknown): void {
  const labels = (body as { labels?: unknown } | undefined)?.labels;
  if (labels && typeof labels === 'object' && Object.hasOwn(labels, 'via')) {
    throw invalid('labels.via', 'is set by Airlock for requests made through the MCP gateway');
  }
}

function checkCallback(deps: ApiDeps, body: ActionRequestBody): void {
  if (body.callbackUrl === undefined) return;
  const problem = callbackUrlProblem(body.callbackUrl);
  if (problem) throw invalid('callbackUrl', problem);
  if (!callbackAllowed(deps.config.callbacks.allow, body.callbackUrl)) {
    throw invalid('callbackUrl', 'this callback URL is not allowed by the service configuration');
  }
}

/**
 * Fails fast with a 400 instead of a policy denial when the matching rule wants a longer
 * justification; the workflow applies the same check to its final decision.
 */
function checkJustification(deps: ApiDeps, body: ActionRequestBody, requester: string): void {
  const decision = evaluatePolicy(deps.policy.current(), {
    action: body.action,
    resource: body.resource,
    environment: body.environment,
    parameters: body.parameters,
    agent: body.agent,
    labels: body.labels,
    justification: body.justification,
    requester,
    now: new Date().toISOString(),
  });
  const shortfall = justificationShortfall(decision, body.justification);
  if (shortfall) throw invalid('justification', shortfall);
}
