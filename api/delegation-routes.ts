// POST/GET/DELETE /v1/delegations (SPEC 14): an approver hands their approvals to one other person
// for a period. The workflow decides what a delegate may decide (workflows/rules.ts
// judgeDelegatedDecision); here a delegation is created, listed and ended. Each delegation has an
// audit trail of its own, under its id (GET /v1/actions/{id}/audit reads it): created, ended,
// and every refused attempt to create or end one.
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { z } from 'zod';
import { DelegationStore } from '../audit/delegation-store.js';
import { canonicalPrincipal, sameIdentity } from '../policy/identity.js';
import type { Delegation } from '../workflows/types.js';
import { hasRole, type Principal, requireRole } from './auth.js';
import type { ApiDeps } from './deps.js';
import { PROBLEM, ProblemError } from './problem.js';
import { delegationSchema, standingIdParamSchema } from './schemas.js';

const MAX_WINDOW_MS = 90 * 24 * 3_600_000;

/** The delegation operations the API and the console share; each refusal lands in a trail. */
export function delegationService(deps: ApiDeps) {
  const store = new DelegationStore(deps.audit.db);
  const trail = (trailId: string, type: string, actor: string, data: Record<string, unknown>) => {
    const at = new Date().toISOString();
    return deps.audit.append({
      requestId: trailId,
      eventKey: `api:${type}:${actor}:${at}:${randomUUID()}`,
      type,
      actor,
      at,
      data,
    });
  };
  /** A refused change, recorded in the trail it concerns (the delegator's, for a refused create). */
  const refuse = async (trailId: string, actor: string, status: number, what: string, detail: string) => {
    await trail(trailId, 'attempt.refused', actor, {
      code: 'delegation_refused',
      what,
      channel: 'api',
      detail,
    });
    return new ProblemError({
      status,
      type: status === 403 ? PROBLEM.forbidden : PROBLEM.invalidBody,
      title: status === 403 ? 'Refused' : 'Invalid delegation',
      detail,
    });
  };

  return {
    async create(principal: Principal, body: DelegationBody): Promise<DelegationView> {
      const refusalTrail = `delegations:${principal.id}`;
      const delegate = canonicalPrincipal(body.delegate);
      if (!delegate.ok)
        throw await refuse(
          refusalTrail,
          principal.id,
          400,
          'delegation.create',
          `delegate: ${delegate.reason}`,
        );
      const now = Date.now();
      const startsAt = body.start ? Date.parse(body.start) : now;
      const endsAt = Date.parse(body.end);
      const problem = sameIdentity(delegate.identity, principal.id)
        ? 'you cannot delegate to yourself'
        : endsAt <= Math.max(startsAt, now)
          ? 'end must be after start and in the future'
          : endsAt - startsAt > MAX_WINDOW_MS
            ? 'a delegation lasts at most 90 days'
            : undefined;
      if (problem) throw await refuse(refusalTrail, principal.id, 400, 'delegation.create', problem);
      // One person for a period: overlapping delegations would hand the same approvals to two.
      const open = await store.openFrom(principal.id, new Date(now).toISOString());
      const overlapping = open.find(
        (d) => Date.parse(d.startsAt) < endsAt && startsAt < Date.parse(d.endsAt),
      );
      if (overlapping) {
        throw await refuse(
          refusalTrail,
          principal.id,
          400,
          'delegation.create',
          `you already delegate to ${overlapping.delegate} until ${overlapping.endsAt} (delegation ${overlapping.id}); end it first`,
        );
      }
      const delegation: Delegation = {
        id: randomUUID(),
        delegator: principal.id,
        delegate: delegate.identity,
        startsAt: new Date(startsAt).toISOString(),
        endsAt: new Date(endsAt).toISOString(),
        reason: body.reason,
        createdBy: principal.id,
        createdAt: new Date(now).toISOString(),
      };
      await store.create(delegation);
      await trail(delegation.id, 'delegation.created', principal.id, { ...delegation });
      return view(delegation, now);
    },

    /** Admins and auditors see every delegation; an approver those it gave or holds. */
    async list(principal: Principal): Promise<DelegationView[]> {
      const all = hasRole(principal, 'auditor', 'admin');
      const items = await store.list(all ? {} : { person: principal.id });
      const now = Date.now();
      return items.map((d) => view(d, now));
    },

    async end(principal: Principal, id: string): Promise<DelegationView> {
      const delegation = await store.get(id);
      const mayEnd =
        delegation &&
        (principal.roles.includes('admin') ||
          sameIdentity(delegation.delegator, principal.id) ||
          sameIdentity(delegation.delegate, principal.id));
      if (!delegation) throw notFound();
      if (!mayEnd) {
        throw await refuse(
          id,
          principal.id,
          403,
          'delegation.end',
          'only its delegator, its delegate or an admin can end a delegation',
        );
      }
      const at = new Date().toISOString();
      if (await store.end(id, principal.id, at))
        await trail(id, 'delegation.ended', principal.id, { endedAt: at });
      return view((await store.get(id))!, Date.now());
    },
  };
}

export function delegationRouter(deps: ApiDeps): Router {
  const router = Router();
  const delegations = delegationService(deps);

  router.post('/v1/delegations', requireRole('approver'), async (req, res) => {
    res.status(201).json(await delegations.create(req.principal!, delegationSchema.parse(req.body)));
  });

  router.get('/v1/delegations', requireRole('approver', 'auditor'), async (req, res) => {
    res.json({ items: await delegations.list(req.principal!) });
  });

  router.delete('/v1/delegations/:id', requireRole('approver'), async (req, res) => {
    const { id } = standingIdParamSchema.parse(req.params);
    res.json(await delegations.end(req.principal!, id));
  });

  return router;
}

type DelegationBody = z.infer<typeof delegationSchema>;
export type DelegationView = Delegation & { status: 'ended' | 'expired' | 'scheduled' | 'active' };

function view(d: Delegation, now: number): DelegationView {
  const status = d.endedAt
    ? 'ended'
    : Date.parse(d.endsAt) <= now
      ? 'expired'
      : Date.parse(d.startsAt) > now
        ? 'scheduled'
        : 'active';
  return { ...d, status };
}

const notFound = () =>
  new ProblemError({ status: 404, type: PROBLEM.notFound, title: 'Not found', detail: 'no such delegation' });
