// GET /v1/standing and DELETE /v1/standing/{id} (SPEC 14): the standing approvals in force, and
// revoking one at once. A revocation is one UPDATE the next request's claim sees; it and every
// refused attempt are written to the trail of the request that created the standing approval.
import { Router } from 'express';
import { StandingStore } from '../audit/standing-store.js';
import { sameIdentity } from '../policy/identity.js';
import type { StandingApproval } from '../workflows/types.js';
import { hasRole, requireRole } from './auth.js';
import type { ApiDeps } from './deps.js';
import { PROBLEM, ProblemError } from './problem.js';
import { standingIdParamSchema } from './schemas.js';

export function standingRouter(deps: ApiDeps): Router {
  const router = Router();
  const store = new StandingStore(deps.audit.db);
  const trail = (s: StandingApproval, type: string, actor: string, data: Record<string, unknown>) => {
    const at = new Date().toISOString();
    return deps.audit.append({
      requestId: s.requestId,
      eventKey: `api:${type}:${s.id}:${actor}:${at}`,
      type,
      actor,
      at,
      data: { standingId: s.id, ...data },
    });
  };

  router.get('/v1/standing', requireRole('requester', 'approver', 'auditor'), async (req, res) => {
    const principal = req.principal!;
    // A plain requester sees the standing approvals made for its own requests.
    const seesAll = hasRole(principal, 'approver', 'auditor');
    const items = await store.list(seesAll ? {} : { requester: principal.id });
    const now = Date.now();
    res.json({ items: items.map((s) => ({ ...s, status: statusOf(s, now) })) });
  });

  router.delete('/v1/standing/:id', requireRole('approver'), async (req, res) => {
    const { id } = standingIdParamSchema.parse(req.params);
    const principal = req.principal!;
    const standing = await store.get(id);
    if (!standing) throw notFound();
    const mayRevoke =
      principal.roles.includes('admin') || standing.approvers.some((a) => sameIdentity(a, principal.id));
    if (!mayRevoke) {
      const detail = 'only an approver of this standing approval or an admin can revoke it';
      await trail(standing, 'attempt.refused', principal.id, {
        code: 'not_an_approver',
        what: 'standing.revoke',
        channel: 'api',
        detail,
      });
      throw new ProblemError({ status: 403, type: PROBLEM.forbidden, title: 'Refused', detail });
    }
    const at = new Date().toISOString();
    if (await store.revoke(id, principal.id, at)) {
      await trail(standing, 'standing.revoked', principal.id, { uses: standing.uses });
    }
    const after = (await store.get(id))!;
    res.json({ ...after, status: statusOf(after, Date.now()) });
  });

  return router;
}

function statusOf(s: StandingApproval, now: number): 'active' | 'revoked' | 'expired' {
  if (s.revokedAt) return 'revoked';
  return Date.parse(s.expiresAt) <= now ? 'expired' : 'active';
}

const notFound = () =>
  new ProblemError({
    status: 404,
    type: PROBLEM.notFound,
    title: 'Not found',
    detail: 'no such standing approval',
  });
