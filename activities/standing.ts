// Standing approvals and delegations as the workflow sees them (SPEC 14): find the standing
// approval of a request's scope, then, once the workflow has judged it, claim it (the store's
// conditional UPDATE: a revoked or expired one never comes back), store the one a request's approvers chose, and read the delegations a
// decider holds. The workflow judges what it gets (workflows/rules.ts).
import { DelegationStore } from '../audit/delegation-store.js';
import { StandingStore, scopeHashOf } from '../audit/standing-store.js';
import type { Delegation, StandingApproval, StandingScope } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

export function createStandingActivities({ audit }: ActivityDeps) {
  const store = new StandingStore(audit.db);
  const delegations = new DelegationStore(audit.db);
  return {
    /** The delegations a decider holds at this moment (the workflow judges them). */
    async delegationsHeld(input: { delegate: string; at: string }): Promise<Delegation[]> {
      return delegations.heldBy(input.delegate, input.at);
    },
    /** The standing approval that may cover a request (not yet used: the workflow judges it first). */
    async findStanding(input: {
      scope: StandingScope;
      parameters: Record<string, unknown>;
      now: string;
    }): Promise<{ scopeHash: string; found?: StandingApproval }> {
      const scopeHash = scopeHashOf(input.scope, input.parameters);
      const found = await store.newestFor(scopeHash, input.now);
      return found ? { scopeHash, found } : { scopeHash };
    },
    /** Uses it for the request, unless it was revoked or expired since it was found. */
    async claimStanding(input: {
      id: string;
      requestId: string;
      now: string;
    }): Promise<StandingApproval | null> {
      return (await store.claim(input.id, input.requestId, input.now)) ?? null;
    },
    async createStanding(input: {
      id: string;
      requestId: string;
      scope: StandingScope;
      parameters: Record<string, unknown>;
      approvers: string[];
      createdAt: string;
      expiresAt: string;
    }): Promise<{ scopeHash: string }> {
      const { parameters, ...rest } = input;
      const scopeHash = scopeHashOf(input.scope, parameters);
      await store.create({ ...rest, scopeHash });
      return { scopeHash };
    },
  };
}
