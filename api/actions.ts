// The /v1/actions routes (SPEC 6): submit, read, list, decide, cancel, redeem, complete, and the
// per-request audit trail and card. Business refusals come back from the workflow as typed
// ActionErrors and leave here as RFC 9457 problems.
import { type Request, type Response, Router } from 'express';
import type { z } from 'zod';
import { DelegationStore } from '../audit/delegation-store.js';
import type { RequestSummary } from '../audit/types.js';
import { buildApprovalCard } from '../bots/card.js';
import { verifyGateToken } from '../executors/gate-token.js';
import { gateClaimsOf } from '../executors/requester-secrets.js';
import { parseDuration } from '../policy/duration.js';
import { sameIdentity } from '../policy/identity.js';
import { ActionError, isSettled } from '../temporal/action-client.js';
import type { DecisionAnswer } from '../workflows/messages.js';
import { tooManyRefusals } from '../workflows/rules.js';
import { type ActionState, FINAL_STATUSES, type RefusedAttempt } from '../workflows/types.js';
import { call, invalid, notFound, problemFor } from './action-errors.js';
import { hasRole, type Principal, requireRole, roleProblem } from './auth.js';
import { openCursor, signCursor } from './cursor.js';
import type { ApiDeps } from './deps.js';
import { linksFor, presentAction, previewForRequester } from './present.js';
import { PROBLEM, ProblemError } from './problem.js';
import {
  cancelSchema,
  completeSchema,
  decisionSchema,
  idParamSchema,
  listQuerySchema,
  redeemSchema,
  reviewSchema,
  waitQuerySchema,
} from './schemas.js';
import { refuseGatewayLabels, submitAction } from './submit.js';

export function actionsRouter(deps: ApiDeps): Router {
  const router = Router();
  const { actions } = deps;

  router.post('/v1/actions', requireRole('requester'), async (req, res) => {
    const { wait } = waitQuerySchema.parse(req.query);
    const principal = req.principal!;
    refuseGatewayLabels(req.body);
    const { input, created } = await submitAction(deps, principal, req.body, req.get('idempotency-key'));
    res.locals.requestId = input.requestId; // for the request log line (api/app.ts)
    const status = created ? 202 : 200;
    if (wait) {
      const state = await call(() => actions.waitForSettled(input.requestId, wait * 1000));
      // A request that has settled within the wait is answered like any finished read (200);
      // one still on its way keeps the 202 of "accepted, not done".
      res
        .status(isSettled(state) ? 200 : status)
        .json(presentAction(state, { id: principal.id, isRequester: true }, deps.masterKey));
      return;
    }
    res
      .status(status)
      .json({ id: input.requestId, status: created ? 'evaluating' : undefined, links: linksFor(input) });
  });

  router.get('/v1/actions', requireRole('requester', 'approver', 'auditor'), async (req, res) => {
    res.json(await listActions(deps, req.principal!, listQuerySchema.parse(req.query)));
  });

  router.get('/v1/actions/:id', requireRole('requester', 'approver', 'auditor'), async (req, res) => {
    const { wait } = waitQuerySchema.parse(req.query);
    let state = await readable(req);
    // The same long poll as submit's: clients wait on an existing request without a busy loop.
    if (wait && !isSettled(state))
      state = await call(() => actions.waitForSettled(state.requestId, wait * 1000));
    res.json(presentAction(state, viewerOf(req, state), deps.masterKey));
  });

  router.get('/v1/actions/:id/card', requireRole('requester', 'approver', 'auditor'), async (req, res) => {
    const state = await readable(req);
    const viewer = viewerOf(req, state);
    const preview = state.preview && viewer.isRequester ? previewForRequester(state.preview) : state.preview;
    res.json(buildApprovalCard({ ...state, ...(preview ? { preview } : {}) }));
  });

  router.get('/v1/actions/:id/audit', requireRole('auditor'), async (req, res) => {
    const { id } = idParamSchema.parse(req.params);
    const events = await deps.audit.eventsFor(id);
    if (events.length === 0) throw notFound();
    const verification = await deps.audit.verifyRequest(id);
    res.json({ id, events, verification });
  });

  router.post('/v1/actions/:id/decisions', requireRole('approver', 'requester'), async (req, res) => {
    const { id } = idParamSchema.parse(req.params);
    const body = decisionSchema.parse(req.body);
    res.json({ id, ...(await decideAction(deps, req.principal!, id, body)) });
  });

  router.post('/v1/actions/:id/review', requireRole('approver', 'requester'), async (req, res) => {
    const { id } = idParamSchema.parse(req.params);
    const state = await reviewAction(deps, req.principal!, id, reviewSchema.parse(req.body));
    res.json(presentAction(state, viewerOf(req, state), deps.masterKey));
  });

  router.post('/v1/actions/:id/cancel', requireRole('requester', 'admin'), async (req, res) => {
    const { id } = idParamSchema.parse(req.params);
    const body = cancelSchema.parse(req.body ?? {});
    const principal = req.principal!;
    await ownedForChange(req, 'cancel');
    const state = await call(() =>
      actions.cancel(id, {
        by: principal.id,
        isAdmin: principal.roles.includes('admin'),
        reason: body.reason,
      }),
    );
    res.json(presentAction(state, viewerOf(req, state), deps.masterKey));
  });

  router.post('/v1/actions/:id/redeem', requireRole('requester'), async (req, res) => {
    const { id } = idParamSchema.parse(req.params);
    const body = redeemSchema.parse(req.body);
    const principal = req.principal!;
    // Ownership first: only the requester's own failed tries are recorded on its request, so
    // nobody else can fill another request's trail (and state) with refusals.
    const state = await ownedForChange(req, 'redeem');
    const { token, ...stated } = body;
    const check = verifyGateToken({
      masterKey: deps.masterKey,
      token,
      expect: gateClaimsOf({ ...state, requestId: id }),
      stated,
      now: new Date(),
    });
    if (!check.ok) {
      // A forged, stale or borrowed token is evidence: recorded on the request it was tried on.
      await recordRefusal(deps, id, {
        code: 'invalid_token',
        what: 'redeem',
        actor: principal.id,
        channel: 'api',
        detail: `the approval token is not valid for this request (${check.reason})`,
      });
      throw new ProblemError({
        status: 401,
        type: PROBLEM.invalidToken,
        title: 'Invalid approval token',
        detail: `the token is not valid for this request (${check.reason})`,
      });
    }
    const after = await call(() => actions.redeem(id, { tokenId: check.tokenId, by: principal.id }));
    res.json(presentAction(after, viewerOf(req, after), deps.masterKey));
  });

  router.post('/v1/actions/:id/complete', requireRole('requester'), async (req, res) => {
    const { id } = idParamSchema.parse(req.params);
    const body = completeSchema.parse(req.body ?? {});
    const principal = req.principal!;
    await ownedForChange(req, 'complete');
    // An admin may end someone's active grant early (a release, recorded under the admin's name).
    const report = {
      by: principal.id,
      isAdmin: principal.roles.includes('admin'),
      outcome: body.outcome ?? 'succeeded',
      details: body.details,
    };
    const state = await call(() => actions.complete(id, report));
    res.json(presentAction(state, viewerOf(req, state), deps.masterKey));
  });

  /**
   * Reads a request for a change only its owner may make (an admin may also cancel). Nobody
   * else's attempt reaches the workflow, so others cannot grow a request's history or use up its
   * update budget; a caller who may not see the request gets the 404 of an unknown id (no
   * existence oracle), one who may see it (approver, auditor) the workflow's 403.
   */
  async function ownedForChange(req: Request, what: OwnerChange): Promise<ActionState> {
    const state = await readableBy(req);
    const principal = req.principal!;
    if (mayChange(what, principal.id, principal.roles.includes('admin'), state)) return state;
    deps.logger.warn(
      { requestId: state.requestId, principal: principal.id, what },
      "refused a change to another principal's request",
    );
    if (!seesAll(principal.roles)) throw notFound();
    throw problemFor(new ActionError('not_requester', OWNER_ONLY[what]));
  }

  /** Reads a request, hiding other people's requests from a plain requester (404, not 403). */
  async function readable(req: Request): Promise<ActionState> {
    const state = await readableBy(req);
    if (!seesAll(req.principal!.roles) && !viewerOf(req, state).isRequester) throw notFound();
    return state;
  }

  async function readableBy(req: Request): Promise<ActionState> {
    const { id } = idParamSchema.parse(req.params);
    return call(() => actions.state(id));
  }

  return router;
}

/** A request as this principal may read it: a plain requester's view of others' is a 404. */
export async function readActionFor(deps: ApiDeps, principal: Principal, id: string): Promise<ActionState> {
  const state = await call(() => deps.actions.state(id));
  if (!seesAll(principal.roles) && !sameIdentity(state.requester, principal.id)) throw notFound();
  return state;
}

/**
 * One page of GET /v1/actions as this principal may see it (a plain requester only its own),
 * with the signed cursor of the next page; shared by REST and the console.
 */
export async function listActions(
  deps: ApiDeps,
  principal: Principal,
  q: z.infer<typeof listQuerySchema>,
): Promise<{ items: RequestSummary[]; nextCursor: string | undefined }> {
  const all = seesAll(principal.roles);
  if (!all && q.requester && q.requester !== principal.id) {
    throw new ProblemError({
      status: 403,
      type: PROBLEM.forbidden,
      title: 'Forbidden',
      detail: 'requesters list only their own requests',
    });
  }
  const token = q.cursor === undefined ? undefined : openCursor(deps.masterKey, q.cursor);
  const after = token === undefined ? undefined : cursorPosition(token);
  if (q.cursor !== undefined && after === undefined) {
    throw invalid('cursor', 'is not a cursor this service issued; pass nextCursor from a previous page');
  }
  const { cursor: _cursor, ...filters } = q;
  const page = await deps.audit.listRequests({
    ...filters,
    after,
    requester: all ? q.requester : principal.id,
  });
  const next = page.next && Buffer.from(JSON.stringify(page.next)).toString('base64url');
  return { items: page.items, nextCursor: signCursor(deps.masterKey, next) };
}

/**
 * A break-glass review (acknowledge, or flag an incident) by a principal, the one path for the
 * API and the console: the workflow judges it (a stage approver, never the requester); a review
 * after the request closed is recorded here, since its workflow no longer can.
 */
export async function reviewAction(
  deps: ApiDeps,
  principal: Principal,
  id: string,
  body: { outcome: 'acknowledge' | 'incident'; reason?: string | undefined },
): Promise<ActionState> {
  if (!hasRole(principal, 'approver'))
    await refuseNonApprover(deps, id, principal.id, `review:${body.outcome}`);
  const reviewer = { id: principal.id, channel: 'api' as const };
  try {
    return await call(() =>
      deps.actions.review(id, { outcome: body.outcome, reason: body.reason, reviewer }),
    );
  } catch (err) {
    if (!(err instanceof ProblemError && err.extra?.code === 'request_closed')) throw err;
    // A reviewed request closes: a second review comes too late and is recorded as such.
    const ended = await deps.actions.state(id).catch(() => undefined);
    const by = ended?.breakGlass?.review?.by;
    const code = by ? 'already_reviewed' : 'not_break_glass';
    const detail = by
      ? `this break-glass request was already reviewed by ${by}`
      : 'this request did not break the glass';
    await appendRefusal(deps, id, 'api:late', {
      code,
      what: `review:${body.outcome}`,
      actor: principal.id,
      channel: 'api',
      detail,
    });
    throw problemFor(new ActionError(code, detail));
  }
}

/**
 * The one decision path of an authenticated principal (REST and the console): a caller without
 * the approver role is refused here (self-approval recorded), everyone else through the
 * workflow's rules; a decision on an ended request is recorded in the trail before the 409.
 */
export async function decideAction(
  deps: ApiDeps,
  principal: Principal,
  id: string,
  body: { decision: 'approve' | 'deny'; reason?: string | undefined; standing?: { ttl: string } | undefined },
): Promise<DecisionAnswer> {
  // A delegate may decide for their delegator without the approver role of their own, as in
  // chat; the workflow judges what the delegation covers.
  if (!hasRole(principal, 'approver') && !(await holdsDelegation(deps, principal.id)))
    await refuseNonApprover(deps, id, principal.id, body.decision);
  const approver = { id: principal.id, channel: 'api' as const };
  const standing = body.standing ? { ttlMs: standingTtl(body.standing.ttl) } : undefined;
  try {
    return await call(() =>
      deps.actions.decide(id, {
        decision: body.decision,
        reason: body.reason,
        approver,
        ...(standing ? { standing } : {}),
      }),
    );
  } catch (err) {
    if (err instanceof ProblemError && err.extra?.code === 'request_closed') {
      await recordLateAttempt(deps, id, principal.id, body.decision);
    }
    throw err;
  }
}

type OwnerChange = 'cancel' | 'redeem' | 'complete';

const OWNER_ONLY: Record<OwnerChange, string> = {
  cancel: 'only the requester or an admin can cancel',
  redeem: 'only the requester can redeem its token',
  complete: 'only the requester can report completion',
};

/** The workflow's own rules (workflows/rules.ts judgeCancel, the redeem and complete handlers). */
function mayChange(what: OwnerChange, by: string, isAdmin: boolean, state: ActionState): boolean {
  if (what === 'cancel') {
    return isAdmin || sameIdentity(state.requester, by) || sameIdentity(state.request.agent?.onBehalfOf, by);
  }
  if (what === 'complete' && isAdmin && state.status === 'active') return true;
  return sameIdentity(state.requester, by);
}

/** Approvers, auditors and admins see every request; a plain requester only its own. */
const seesAll = (roles: readonly string[]) => roles.some((r) => r !== 'requester');

function viewerOf(req: Request, state: ActionState) {
  const id = req.principal!.id;
  return { id, isRequester: id.toLowerCase() === state.requester.toLowerCase() };
}

/**
 * Records a refusal the API made before the workflow saw the attempt: through the workflow (it
 * keeps it in the state and the trail), or straight into the trail when the workflow has ended.
 */
async function recordRefusal(deps: ApiDeps, requestId: string, attempt: Omit<RefusedAttempt, 'at'>) {
  try {
    await deps.actions.reportRefusal(requestId, attempt);
  } catch {
    await appendRefusal(deps, requestId, 'api:refused', attempt);
  }
}

/**
 * A decision from a caller without the approver role never reaches the workflow. On the caller's
 * own request it is a self-approval attempt, a security event recorded like the workflow records
 * one: through the refusal signal, aggregated per actor, and no longer sent once the actor has
 * been refused too often (nor on an ended request, whose workflow cannot take it), so the trail
 * cannot grow without bound. On any other request it is the role's 403, the same for an unknown
 * id, so the answer tells nothing about other people's requests.
 */
async function holdsDelegation(deps: ApiDeps, who: string): Promise<boolean> {
  const held = await new DelegationStore(deps.audit.db).heldBy(who, new Date().toISOString());
  return held.length > 0;
}

async function refuseNonApprover(
  deps: ApiDeps,
  requestId: string,
  actor: string,
  what: string,
): Promise<never> {
  const state = await deps.actions.state(requestId).catch(() => undefined);
  if (!state || !sameIdentity(state.requester, actor)) throw roleProblem(['approver']);
  const detail = 'you cannot decide your own request';
  if (tooManyRefusals(state.refusals, actor)) {
    throw problemFor(new ActionError('too_many_refusals', 'too many refused attempts on this request'));
  }
  if (!FINAL_STATUSES.includes(state.status)) {
    await deps.actions
      .reportRefusal(requestId, { code: 'self_approval', what, actor, channel: 'api', detail })
      .catch((err: unknown) =>
        deps.logger.warn({ requestId, err: String(err) }, 'could not record a refused attempt'),
      );
  }
  throw problemFor(new ActionError('self_approval', detail));
}

/** A decision on a request that has ended: its workflow cannot record it, so the API does. */
function recordLateAttempt(deps: ApiDeps, requestId: string, actor: string, what: string): Promise<void> {
  return appendRefusal(deps, requestId, 'api:late', {
    code: 'request_ended',
    what,
    actor,
    channel: 'api',
    detail: 'decision after the request ended',
  });
}

async function appendRefusal(
  deps: ApiDeps,
  requestId: string,
  keyPrefix: string,
  attempt: Omit<RefusedAttempt, 'at'>,
): Promise<void> {
  const at = new Date().toISOString();
  await deps.audit
    .append({
      requestId,
      eventKey: `${keyPrefix}:${attempt.actor}:${at}`,
      type: 'attempt.refused',
      actor: attempt.actor,
      at,
      data: { code: attempt.code, what: attempt.what, channel: attempt.channel, detail: attempt.detail },
    })
    .catch((err: unknown) =>
      deps.logger.warn({ requestId, err: String(err) }, 'could not record a refused attempt'),
    );
}

/** The TTL an approver gives a standing approval, in the policy's duration grammar. */
function standingTtl(text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw invalid('standing.ttl', (err as Error).message);
  }
}

export type { Response };

/** The list position inside a cursor token (signed by us, so only its shape is checked). */
function cursorPosition(token: string): { submittedAt: string; requestId: string } | undefined {
  try {
    const p = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    return typeof p.submittedAt === 'string' && typeof p.requestId === 'string'
      ? { submittedAt: p.submittedAt, requestId: p.requestId }
      : undefined;
  } catch {
    return undefined;
  }
}
