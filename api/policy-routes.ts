// GET /v1/policy and POST /v1/policy/evaluate: what the policy is, and what a request would
// get from it, with no side effects (no workflow, no audit event).
import { type Request, Router } from 'express';
import { decisionForView, describePolicy, evaluatePolicy, type PolicyView } from '../policy/evaluate.js';
import { canonicalPrincipal } from '../policy/identity.js';
import { requireRole } from './auth.js';
import type { ApiDeps } from './deps.js';
import { agentFor } from './on-behalf-of.js';
import { PROBLEM, ProblemError } from './problem.js';
import { evaluateSchema } from './schemas.js';

export function policyRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/policy', requireRole('requester', 'approver', 'auditor'), (req, res) => {
    res.json(describePolicy(deps.policy.current(), viewOf(req)));
  });
  router.post('/v1/policy/evaluate', requireRole('requester', 'approver', 'auditor'), (req, res) => {
    const body = evaluateSchema.parse(req.body);
    const agent = agentFor(req.principal!, body.agent);
    const decision = evaluatePolicy(deps.policy.current(), {
      ...body,
      ...(agent ? { agent } : {}),
      requester: body.requester === undefined ? req.principal!.id : canonicalRequester(body.requester),
      now: new Date().toISOString(),
    });
    // Where it would run, or why it would be refused at submit (the same check as POST /v1/actions).
    const bound = deps.executors.bind(body, deps.config);
    res.json({
      ...decisionForView(decision, viewOf(req)),
      executor: bound.ok ? bound.executor.name : null,
      target: bound.ok ? (bound.target ?? null) : null,
      ...(bound.ok ? {} : { refused: { field: bound.field, detail: bound.detail } }),
    });
  });
  return router;
}

/** Approvers, auditors and admins read the whole policy; a plain requester what a dry run needs. */
function viewOf(req: Request): PolicyView {
  return req.principal!.roles.some((r) => r !== 'requester') ? 'full' : 'requester';
}

/** A dry run "as" someone is evaluated on the canonical identity a real request would carry. */
function canonicalRequester(raw: string): string {
  const canonical = canonicalPrincipal(raw);
  if (canonical.ok) return canonical.identity;
  throw new ProblemError({
    status: 400,
    type: PROBLEM.invalidBody,
    title: 'Invalid request',
    detail: `requester: ${canonical.reason}`,
    field: 'requester',
  });
}
