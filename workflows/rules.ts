// The pure decision rules of SPEC 4: who may decide, and when a stage is approved or denied.
// Plain functions over plain data, so they are unit-tested without Temporal and the workflow
// only applies their verdicts.
import { canonicalOrUndefined, sameForSelfApproval, sameIdentity } from '../policy/identity.js';
import type { ApprovalStage, PolicyDecision, PolicyInput } from '../policy/types.js';
import type { ReviewInput } from './messages.js';
import type { ActionPreview, DriftTolerance } from './preview-types.js';
import type {
  ActionRequestInput,
  ActionStatus,
  AgentInfo,
  BreakGlassState,
  DecisionInput,
  Delegation,
  Enrichment,
  RecordedDecision,
  RefusalCode,
  RefusedAttempt,
  StandingApproval,
} from './types.js';
import { FINAL_STATUSES } from './types.js';

export interface DecisionContext {
  status: ActionStatus;
  requester: string;
  agent?: AgentInfo;
  stages: ApprovalStage[];
  stageIndex: number;
  decisions: RecordedDecision[];
  denyReasonRequired: boolean;
}

export type Verdict = { ok: true } | { ok: false; code: RefusalCode; detail: string };

/** Identities that count as "the requester" for the no-self-approval rule. */
export function requesterIdentities(requester: string, agent?: AgentInfo): string[] {
  return [requester, agent?.onBehalfOf, agent?.name].filter((x): x is string => !!x && x.trim() !== '');
}

/** Everyone allowed to decide now: members of the current stage or an earlier one. */
export function eligibleApprovers(stages: ApprovalStage[], stageIndex: number): Set<string> {
  const ids = new Set<string>();
  for (const stage of stages.slice(0, stageIndex + 1)) {
    for (const id of stage.approverIdentities) {
      const canonical = canonicalOrUndefined(id);
      if (canonical !== undefined) ids.add(canonical);
    }
  }
  return ids;
}

/** Whether this decision may be recorded; the first failing rule names the refusal. */
export function judgeDecision(ctx: DecisionContext, input: DecisionInput): Verdict {
  // Membership and "already decided" compare canonical forms exactly; a name that has none matches nobody.
  const who = canonicalOrUndefined(input.approver.id);
  if (
    FINAL_STATUSES.includes(ctx.status) ||
    ctx.status === 'approved' ||
    ctx.status === 'executing' ||
    ctx.status === 'active'
  ) {
    return { ok: false, code: 'request_ended', detail: `the request is already ${ctx.status}` };
  }
  if (ctx.status !== 'pending_approval') {
    return {
      ok: false,
      code: 'not_pending',
      detail: `the request is not waiting for a decision (${ctx.status})`,
    };
  }
  // Self-approval over-matches on purpose (tags stripped, odd spellings folded): refusing is the safe side.
  if (
    requesterIdentities(ctx.requester, ctx.agent).some((id) => sameForSelfApproval(id, input.approver.id))
  ) {
    return { ok: false, code: 'self_approval', detail: 'you cannot decide your own request' };
  }
  if (who === undefined || !eligibleApprovers(ctx.stages, ctx.stageIndex).has(who)) {
    return {
      ok: false,
      code: 'not_an_approver',
      detail: 'you are not an approver of this request at its current stage',
    };
  }
  // A delegate's decision counts as its delegator's: neither decides again.
  if (ctx.decisions.some((d) => sameIdentity(d.approver.id, who) || sameIdentity(d.asDelegateOf, who))) {
    return { ok: false, code: 'already_decided', detail: 'you have already decided this request' };
  }
  if (input.decision === 'deny' && ctx.denyReasonRequired && !input.reason?.trim()) {
    return { ok: false, code: 'reason_required', detail: 'a deny needs a reason' };
  }
  return { ok: true };
}

export type Tally = { outcome: 'approved' | 'denied' | 'pending'; approvals: number; needed: number };

/** One authorized deny ends it; otherwise distinct approvers are counted against the stage's minimum. */
export function tally(decisions: RecordedDecision[], stage: ApprovalStage): Tally {
  const approvers = new Set<string>();
  for (const d of decisions) {
    if (d.decision === 'deny')
      return { outcome: 'denied', approvals: approvers.size, needed: stage.minApprovals };
    const slot = d.asDelegateOf ?? d.approver.id;
    approvers.add(canonicalOrUndefined(slot) ?? slot);
  }
  const outcome = approvers.size >= stage.minApprovals ? 'approved' : 'pending';
  return { outcome, approvals: approvers.size, needed: stage.minApprovals };
}

/** Who may cancel: the requester (or the human it acts for) or an admin, while nothing was decided. */
export function judgeCancel(
  status: ActionStatus,
  requester: string,
  agent: AgentInfo | undefined,
  by: string,
  isAdmin: boolean,
): Verdict {
  const mayCancel = isAdmin || sameIdentity(requester, by) || sameIdentity(agent?.onBehalfOf, by);
  if (!mayCancel)
    return { ok: false, code: 'not_requester', detail: 'only the requester or an admin can cancel' };
  if (status !== 'pending_approval' && status !== 'evaluating') {
    return {
      ok: false,
      code: 'not_cancellable',
      detail: `a request that is ${status} can no longer be cancelled`,
    };
  }
  return { ok: true };
}

/** What the policy sees of a request: its fields, the requester and the enrichment as `context`. */
export function policyInputFor(
  input: ActionRequestInput,
  enrichment: Enrichment | undefined,
  now: string,
  preview?: Record<string, unknown>,
): PolicyInput {
  return {
    action: input.request.action,
    resource: input.request.resource,
    environment: input.request.environment,
    parameters: input.request.parameters,
    agent: input.request.agent,
    labels: input.request.labels,
    justification: input.request.justification,
    requester: input.requester,
    context: { ...enrichment },
    ...(preview !== undefined ? { preview } : {}),
    now,
  };
}

/** A channel that failed to take a card is tried again after 5 s, 10 s, 20 s ... at most 5 min
 * apart, 12 times (about 35 minutes); the API and the other channels work meanwhile. */
export const CARD_REPOST = { firstMs: 5_000, maxMs: 5 * 60_000, attempts: 12 } as const;

export function nextRepostDelay(delayMs: number): number {
  return Math.min(delayMs * 2, CARD_REPOST.maxMs);
}

export type Wake = { inMs: number; reason: 'deadline' | 'reminder' | 'repost' };

/** When the stage loop wakes next, and why; undefined once the stage's deadline has passed. */
export function nextWake(at: {
  now: number;
  deadlineMs: number;
  /** Set while the stage's reminder is still to be sent. */
  reminderBeforeMs?: number;
  /** Set while some channel still has to be posted to again. */
  repostAt?: number;
}): Wake | undefined {
  const remaining = at.deadlineMs - at.now;
  if (remaining <= 0) return undefined;
  let wake: Wake =
    at.reminderBeforeMs === undefined
      ? { inMs: remaining, reason: 'deadline' }
      : { inMs: Math.max(0, remaining - at.reminderBeforeMs), reason: 'reminder' };
  if (at.repostAt !== undefined) {
    const inMs = Math.max(0, at.repostAt - at.now);
    if (inMs <= wake.inMs) wake = { inMs, reason: 'repost' };
  }
  return wake;
}

/**
 * How much one request holds of refused attempts: distinct (actor, code, what) entries, each with
 * a count; past `entries` only a counter grows. An approver refused `perActor` times is turned away
 * before its message enters the workflow's history.
 */
export const REFUSAL_LIMITS = { entries: 50, perActor: 20 } as const;

/** Actors of refusals: identities compare canonically, other names (`unverified`) as they are. */
const sameActor = (a: string, b: string): boolean => a === b || sameIdentity(a, b);

const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/**
 * Adds a refusal to the state, aggregated per actor, code and what was tried. `audit` says whether
 * this one goes to the trail: the first of its kind, then at counts 2, 4, 8 ... and at the count
 * that turns its actor away (with the count),
 * so repeats stay visible without one event each.
 */
export function recordRefusal(
  state: { refusals: RefusedAttempt[]; refusalsOverflow?: number },
  attempt: Omit<RefusedAttempt, 'at' | 'count' | 'firstAt'>,
  now: string,
): { entry: RefusedAttempt; audit: boolean } {
  const known = state.refusals.find(
    (r) => sameActor(r.actor, attempt.actor) && r.code === attempt.code && r.what === attempt.what,
  );
  if (known) {
    known.count = (known.count ?? 1) + 1;
    known.at = now;
    known.detail = attempt.detail;
    // The count that turns an actor away is written too, so the stored state shows it.
    return { entry: known, audit: isPowerOfTwo(known.count) || known.count === REFUSAL_LIMITS.perActor };
  }
  if (state.refusals.length >= REFUSAL_LIMITS.entries) {
    const count = (state.refusalsOverflow ?? 0) + 1;
    state.refusalsOverflow = count;
    return { entry: { ...attempt, at: now, firstAt: now, count }, audit: isPowerOfTwo(count) };
  }
  const entry: RefusedAttempt = { ...attempt, at: now, firstAt: now, count: 1 };
  state.refusals.push(entry);
  return { entry, audit: true };
}

/** Whether this actor has been refused often enough on the request to be turned away at the door. */
export function tooManyRefusals(refusals: RefusedAttempt[], actor: string): boolean {
  let total = 0;
  for (const r of refusals) if (sameActor(r.actor, actor)) total += r.count ?? 1;
  return total >= REFUSAL_LIMITS.perActor;
}

/** A statement whose rows affected at execution strayed from its preview beyond the tolerance. */
export interface RowsDrift {
  /** 0-based statement index. */
  statement: number;
  previewed: number;
  actual: number;
  allowed: number;
}

/** How many rows a statement may differ by: exact unless the rule's `drift.rows` says more. */
export function allowedRowsDrift(previewed: number, tolerance: DriftTolerance['rows']): number {
  if (tolerance === undefined) return 0;
  if ('absolute' in tolerance) return tolerance.absolute;
  return Math.floor((previewed * tolerance.percent) / 100);
}

/**
 * The statements whose rows affected differ from the preview's beyond the tolerance; statements
 * the preview did not run (reads, statements after one it may not run) are not held to anything.
 */
export function rowsDrift(
  previewed: readonly (number | undefined)[],
  actual: readonly number[],
  tolerance: DriftTolerance['rows'],
): RowsDrift[] {
  const drifts: RowsDrift[] = [];
  actual.forEach((rows, statement) => {
    const expected = previewed[statement];
    if (expected === undefined) return;
    const allowed = allowedRowsDrift(expected, tolerance);
    if (Math.abs(rows - expected) > allowed)
      drifts.push({ statement, previewed: expected, actual: rows, allowed });
  });
  return drifts;
}

/** What a person reads about a drift: "statement 1 affected 1,210 rows, the preview 1,204 (exact)". */
export function describeRowsDrift(drifts: readonly RowsDrift[]): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return drifts
    .map(
      (d) =>
        `statement ${d.statement + 1} affected ${n(d.actual)} rows, the approved preview ${n(d.previewed)} (${d.allowed === 0 ? 'exact match required' : `±${n(d.allowed)} allowed`})`,
    )
    .join('; ');
}

/** Why a rule with `requirePreview: true` stops the request, or undefined when it may go on. */
export function missingRequiredPreview(
  requirePreview: boolean | undefined,
  rule: string,
  preview: ActionPreview | undefined,
): string | undefined {
  if (requirePreview !== true || preview?.status === 'ok') return undefined;
  // A failed preview's reason quotes the target (its error, its schema), which the requester's
  // view of the preview withholds: the outcome reason, which the requester reads, names only the
  // status then (approvers read the reason in the preview). Airlock's own judgement of the
  // requester's statements (partial, unavailable) is theirs to read.
  const why =
    preview === undefined
      ? 'this action has no preview'
      : preview.status === 'failed'
        ? 'the preview failed'
        : `the preview is ${preview.status}: ${preview.reason ?? 'no reason given'}`;
  return `rule ${rule} requires a verified preview, and ${why}`;
}

/**
 * Whether this requester may break the glass on the rule the policy matched: never where it
 * denies, only where the rule names a break-glass group the requester (the authenticated
 * principal, not a name an agent gives) belongs to, and only with a reason long enough.
 */
export function judgeBreakGlass(policy: PolicyDecision, requester: string, reason: string): Verdict {
  const refuse = (detail: string): Verdict => ({ ok: false, code: 'break_glass_refused', detail });
  if (policy.effect === 'deny') {
    return refuse(`break-glass is never allowed where the policy denies (rule ${policy.rule})`);
  }
  const breakGlass = policy.breakGlass;
  if (policy.effect !== 'require_approval' || !breakGlass) {
    return refuse(`rule ${policy.rule} does not allow break-glass`);
  }
  const who = canonicalOrUndefined(requester);
  if (who === undefined || !breakGlass.approverIdentities.some((id) => sameIdentity(id, who))) {
    return refuse(
      `you are not in a break-glass group of rule ${policy.rule} (${breakGlass.approvers.join(', ')})`,
    );
  }
  if (reason.trim().length < breakGlass.minReasonLength) {
    return refuse(
      `rule ${policy.rule} requires a break-glass reason of at least ${breakGlass.minReasonLength} characters`,
    );
  }
  return { ok: true };
}

export interface ReviewContext {
  breakGlass?: BreakGlassState;
  requester: string;
  agent?: AgentInfo;
  stages: ApprovalStage[];
}

/**
 * Whether this review of a break-glass request may be recorded: once, by an approver of any of
 * the rule's stages who is not the requester (self-review is self-approval), an incident with a reason.
 */
export function judgeReview(ctx: ReviewContext, input: ReviewInput): Verdict {
  if (!ctx.breakGlass) {
    return { ok: false, code: 'not_break_glass', detail: 'this request did not break the glass' };
  }
  if (ctx.breakGlass.review) {
    return {
      ok: false,
      code: 'already_reviewed',
      detail: `this break-glass request was already reviewed by ${ctx.breakGlass.review.by}`,
    };
  }
  if (
    requesterIdentities(ctx.requester, ctx.agent).some((id) => sameForSelfApproval(id, input.reviewer.id))
  ) {
    return { ok: false, code: 'self_approval', detail: 'you cannot review your own break-glass request' };
  }
  const who = canonicalOrUndefined(input.reviewer.id);
  if (who === undefined || !eligibleApprovers(ctx.stages, ctx.stages.length - 1).has(who)) {
    return {
      ok: false,
      code: 'not_a_reviewer',
      detail: "only an approver of the rule's stages can review a break-glass request",
    };
  }
  if (input.outcome === 'incident' && !input.reason?.trim()) {
    return { ok: false, code: 'reason_required', detail: 'flagging an incident needs a reason' };
  }
  return { ok: true };
}

/** An overdue break-glass review is posted again every `reviewWithin`, this many times, then only waited for. */
export const BREAK_GLASS_REPOSTS = 10;

/** Whether an approver may ask for "this and the same again for ttl": the rule allows it, within maxTtl. */
export function judgeStandingRequest(policy: PolicyDecision | undefined, input: DecisionInput): Verdict {
  if (!input.standing) return { ok: true };
  const refuse = (detail: string): Verdict => ({ ok: false, code: 'standing_not_allowed', detail });
  if (input.decision !== 'approve') return refuse('only an approval can stand for later requests');
  if (!policy?.standing) return refuse(`rule ${policy?.rule ?? 'default'} does not allow standing approvals`);
  if (policy.risk === 'critical') return refuse('standing approvals are never allowed for critical risk');
  if (!(input.standing.ttlMs > 0) || input.standing.ttlMs > policy.standing.maxTtlMs) {
    return refuse(
      `a standing approval may last at most ${formatMs(policy.standing.maxTtlMs)} under rule ${policy.rule}`,
    );
  }
  return { ok: true };
}

export type StandingGrant = { ttlMs: number; approvers: string[] } | { refused: string } | undefined;

/**
 * What the approvals that approved a request make of "and the same again": nothing when nobody
 * asked; a standing approval for the shortest TTL asked when enough distinct approvers to satisfy
 * the stage asked (two-person rule: both); otherwise the reason there is none.
 */
export function standingFromApprovals(decisions: RecordedDecision[], stage: ApprovalStage): StandingGrant {
  const approvals = decisions.filter((d) => d.decision === 'approve');
  const asking = new Map<string, number>();
  for (const d of approvals) {
    if (!d.standing) continue;
    const id = canonicalOrUndefined(d.approver.id) ?? d.approver.id;
    asking.set(id, Math.min(asking.get(id) ?? Number.POSITIVE_INFINITY, d.standing.ttlMs));
  }
  if (asking.size === 0) return undefined;
  if (asking.size < stage.minApprovals) {
    return {
      refused: `a standing approval needs ${stage.minApprovals} approvers to choose it (${asking.size} did): this approval was for this request only`,
    };
  }
  return { ttlMs: Math.min(...asking.values()), approvers: [...asking.keys()].sort() };
}

/**
 * Whether a stored standing approval approves this request now: in scope, not revoked, not
 * expired, its rule still allowing standing approvals (never critical), and its approvers still
 * enough approvers of the rule's first stage, none of them a requester of this request.
 */
export function standingCovers(
  standing: StandingApproval,
  at: {
    scopeHash: string;
    policy: PolicyDecision;
    requester: string;
    agent?: AgentInfo;
    now: string;
  },
): Verdict {
  const refuse = (detail: string): Verdict => ({ ok: false, code: 'standing_not_allowed', detail });
  const { policy } = at;
  if (standing.revokedAt) return refuse(`standing approval ${standing.id} was revoked`);
  if (Date.parse(standing.expiresAt) <= Date.parse(at.now))
    return refuse(`standing approval ${standing.id} expired`);
  if (standing.scopeHash !== at.scopeHash || standing.scope.rule !== policy.rule)
    return refuse(`standing approval ${standing.id} does not cover this request`);
  if (!policy.standing || policy.risk === 'critical')
    return refuse(`rule ${policy.rule} no longer allows standing approvals`);
  // A policy that has since cut maxTtl bounds the standing approvals made before it, too.
  if (Date.parse(standing.createdAt) + policy.standing.maxTtlMs <= Date.parse(at.now))
    return refuse(
      `standing approval ${standing.id} is older than the ${formatMs(policy.standing.maxTtlMs)} rule ${policy.rule} now allows`,
    );
  const vary = (xs: string[]) => [...xs].sort().join('\u0000');
  if (vary(policy.standing.vary) !== vary(standing.scope.vary))
    return refuse(`rule ${policy.rule} changed which parameters may vary`);
  const stage = policy.stages[0];
  if (!stage) return refuse(`rule ${policy.rule} has no approval stage`);
  const eligible = eligibleApprovers(policy.stages, policy.stages.length - 1);
  const selves = requesterIdentities(at.requester, at.agent);
  const approvers = new Set(
    standing.approvers
      .map((id) => canonicalOrUndefined(id))
      .filter((id): id is string => id !== undefined && eligible.has(id))
      .filter((id) => !selves.some((self) => sameForSelfApproval(self, id))),
  );
  if (approvers.size < stage.minApprovals)
    return refuse(
      `standing approval ${standing.id} no longer has the ${stage.minApprovals} approvers the rule needs`,
    );
  return { ok: true };
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}

export type DelegatedVerdict =
  | { ok: true; asDelegateOf: string; delegationId: string }
  | { ok: false; code: RefusalCode; detail: string };

/**
 * Whether someone who is no approver of this request may decide it under a delegation they hold:
 * one that is in its window at `now` and not ended, from an approver of the current stage (or an
 * earlier one) who may decide it (not its requester, not decided yet). Only delegations held by
 * the decider themselves count, never ones their delegator holds: no chains. The decider's own
 * refusals (self-approval, already decided) were judged before, by judgeDecision.
 */
export function judgeDelegatedDecision(
  ctx: DecisionContext,
  input: DecisionInput,
  delegations: readonly Delegation[],
  now: string,
): DelegatedVerdict {
  const who = canonicalOrUndefined(input.approver.id);
  // One person, one decision: a delegate holding the delegations of two approvers of a stage
  // must not fill both slots of a two-person rule.
  if (who !== undefined && ctx.decisions.some((d) => sameIdentity(d.approver.id, who)))
    return { ok: false, code: 'already_decided', detail: 'you have already decided this request' };
  const t = Date.parse(now);
  const held = delegations.filter(
    (d) =>
      who !== undefined &&
      sameIdentity(d.delegate, who) &&
      !d.endedAt &&
      Date.parse(d.startsAt) <= t &&
      t < Date.parse(d.endsAt),
  );
  let refusal: DelegatedVerdict = {
    ok: false,
    code: 'not_an_approver',
    detail:
      held.length === 0
        ? 'you are not an approver of this request at its current stage'
        : 'none of the approvers whose delegation you hold may decide this request now',
  };
  for (const d of held) {
    if (input.standing) {
      refusal = {
        ok: false,
        code: 'standing_not_allowed',
        detail: 'a delegate cannot make a standing approval',
      };
      continue;
    }
    const verdict = judgeDecision(ctx, { ...input, approver: { ...input.approver, id: d.delegator } });
    if (verdict.ok)
      return { ok: true, asDelegateOf: canonicalOrUndefined(d.delegator) ?? d.delegator, delegationId: d.id };
    // The delegator's own refusal says more than "not an approver" (e.g. it is their request).
    if (verdict.code !== 'not_an_approver')
      refusal = { ok: false, code: verdict.code, detail: `as delegate of ${d.delegator}: ${verdict.detail}` };
  }
  return refusal;
}
