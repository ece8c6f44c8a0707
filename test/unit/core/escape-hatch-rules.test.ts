// The pure rules of SPEC 14's escape hatches, and the policy that configures them: who may break
// the glass (never where the policy denies), who may review it afterwards (never its requester).
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { evaluatePolicy } from '../../../policy/evaluate.js';
import { PolicyLoadError, parsePolicy } from '../../../policy/load.js';
import type { ApprovalStage, PolicyDecision } from '../../../policy/types.js';
import {
  type DecisionContext,
  judgeBreakGlass,
  judgeDelegatedDecision,
  judgeReview,
  judgeStandingRequest,
  type ReviewContext,
  standingCovers,
  standingFromApprovals,
  tally,
} from '../../../workflows/rules.js';
import type {
  BreakGlassState,
  Delegation,
  RecordedDecision,
  StandingApproval,
} from '../../../workflows/types.js';
import { request } from '../policy/helpers.js';

const stage: ApprovalStage = {
  approvers: ['dba'],
  approverIdentities: ['dana@example.com', 'dev@example.com'],
  minApprovals: 1,
  timeoutMs: 60_000,
  notify: [],
};

const decision = (overrides: Partial<PolicyDecision> = {}): PolicyDecision => ({
  effect: 'require_approval',
  risk: 'high',
  rule: 'production',
  policyVersion: 'v',
  stages: [stage],
  denyReasonRequired: true,
  breakGlass: {
    approvers: ['responders'],
    approverIdentities: ['ci@example.com'],
    minReasonLength: 10,
    reviewWithinMs: 60_000,
  },
  ...overrides,
});

describe('judgeBreakGlass', () => {
  it('lets a member of the group break the glass with a long enough reason', () => {
    expect(judgeBreakGlass(decision(), 'ci@example.com', 'the site is down now')).toEqual({ ok: true });
    expect(judgeBreakGlass(decision(), 'CI@Example.com', 'the site is down now')).toEqual({ ok: true });
  });

  it.each([
    [
      'a deny rule',
      decision({ effect: 'deny' }),
      'ci@example.com',
      'the site is down',
      /never allowed where the policy denies/,
    ],
    [
      'a rule without breakGlass',
      decision({ breakGlass: undefined }),
      'ci@example.com',
      'the site is down',
      /does not allow break-glass/,
    ],
    [
      'an allow rule',
      decision({ effect: 'allow' }),
      'ci@example.com',
      'the site is down',
      /does not allow break-glass/,
    ],
    ['a non-member', decision(), 'eve@example.com', 'the site is down', /not in a break-glass group/],
    [
      'a tagged spelling of a member',
      decision(),
      'ci+x@example.com',
      'the site is down',
      /not in a break-glass group/,
    ],
    ['a short reason', decision(), 'ci@example.com', '  short   ', /at least 10 characters/],
  ])('refuses %s', (_what, policy, requester, reason, why) => {
    const verdict = judgeBreakGlass(policy, requester, reason);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) {
      expect(verdict.code).toBe('break_glass_refused');
      expect(verdict.detail).toMatch(why);
    }
  });
});

describe('judgeReview', () => {
  const broke: BreakGlassState = {
    reason: 'the site is down',
    by: 'ci@example.com',
    at: '2030-01-01T00:00:00.000Z',
    reviewDueAt: '2030-01-01T01:00:00.000Z',
  };
  const ctx = (overrides: Partial<ReviewContext> = {}): ReviewContext => ({
    breakGlass: broke,
    requester: 'ci@example.com',
    stages: [stage],
    ...overrides,
  });
  const by = (id: string, outcome: 'acknowledge' | 'incident' = 'acknowledge', reason?: string) => ({
    outcome,
    reviewer: { id, channel: 'api' as const },
    ...(reason ? { reason } : {}),
  });
  const code = (v: ReturnType<typeof judgeReview>) => (v.ok ? 'ok' : v.code);

  it('takes one review from a stage approver', () => {
    expect(code(judgeReview(ctx(), by('dana@example.com')))).toBe('ok');
    expect(code(judgeReview(ctx(), by('dana@example.com', 'incident', 'no outage that night')))).toBe('ok');
  });

  it('refuses self-review (requester, onBehalfOf, agent), a non-approver, a second review, an incident without a reason', () => {
    expect(code(judgeReview(ctx({ requester: 'dana@example.com' }), by('dana@example.com')))).toBe(
      'self_approval',
    );
    expect(
      code(judgeReview(ctx({ agent: { onBehalfOf: 'dana+ops@example.com' } }), by('dana@example.com'))),
    ).toBe('self_approval');
    expect(code(judgeReview(ctx(), by('eve@example.com')))).toBe('not_a_reviewer');
    const reviewed = {
      ...broke,
      review: {
        outcome: 'acknowledged' as const,
        by: 'dev@example.com',
        channel: 'api' as const,
        at: broke.at,
      },
    };
    expect(code(judgeReview(ctx({ breakGlass: reviewed }), by('dana@example.com')))).toBe('already_reviewed');
    expect(code(judgeReview(ctx(), by('dana@example.com', 'incident')))).toBe('reason_required');
    expect(code(judgeReview(ctx({ breakGlass: undefined }), by('dana@example.com')))).toBe('not_break_glass');
  });
});

describe('policy: breakGlass', () => {
  const doc = (rule: Record<string, unknown>) => ({
    version: 1,
    groups: { dba: ['dana@example.com'], responders: ['ci@example.com'] },
    rules: [{ name: 'r', match: { environment: 'production' }, ...rule }],
  });
  const stages = [{ approvers: ['dba'], timeout: '15m' }];

  it('resolves the group and the review deadline into the decision', () => {
    const loaded = parsePolicy(
      stringify(
        doc({
          effect: 'require_approval',
          stages,
          breakGlass: { approvers: ['responders'], reviewWithin: '2h' },
        }),
      ),
      't.yaml',
    );
    expect(evaluatePolicy(loaded, request()).breakGlass).toEqual({
      approvers: ['responders'],
      approverIdentities: ['ci@example.com'],
      minReasonLength: 20,
      reviewWithinMs: 2 * 3_600_000,
    });
  });

  it.each([
    [
      'on a deny rule',
      { effect: 'deny', breakGlass: { approvers: ['responders'], reviewWithin: '2h' } },
      /needs effect require_approval/,
    ],
    [
      'with an unknown group',
      { effect: 'require_approval', stages, breakGlass: { approvers: ['nobody'], reviewWithin: '2h' } },
      /unknown group "nobody"/,
    ],
    [
      'without a review deadline',
      { effect: 'require_approval', stages, breakGlass: { approvers: ['responders'] } },
      /reviewWithin/,
    ],
  ])('is a load error %s', (_what, rule, why) => {
    expect(() => parsePolicy(stringify(doc(rule)), 't.yaml')).toThrow(PolicyLoadError);
    expect(() => parsePolicy(stringify(doc(rule)), 't.yaml')).toThrow(why);
  });
});

describe('standing approvals', () => {
  const HOUR = 3_600_000;
  const allowing = decision({ standing: { maxTtlMs: HOUR, vary: ['body'] } });
  const approve = (ttlMs?: number) => ({
    decision: 'approve' as const,
    approver: { id: 'dana@example.com', channel: 'api' as const },
    ...(ttlMs ? { standing: { ttlMs } } : {}),
  });
  const code = (v: { ok: boolean; code?: string }) => (v.ok ? 'ok' : v.code);

  it('judgeStandingRequest: within maxTtl on a rule that allows it, never critical, never a deny', () => {
    expect(code(judgeStandingRequest(allowing, approve()))).toBe('ok');
    expect(code(judgeStandingRequest(allowing, approve(HOUR)))).toBe('ok');
    expect(code(judgeStandingRequest(allowing, approve(HOUR + 1)))).toBe('standing_not_allowed');
    expect(code(judgeStandingRequest(decision(), approve(HOUR)))).toBe('standing_not_allowed');
    expect(code(judgeStandingRequest({ ...allowing, risk: 'critical' }, approve(HOUR)))).toBe(
      'standing_not_allowed',
    );
    expect(code(judgeStandingRequest(allowing, { ...approve(HOUR), decision: 'deny' }))).toBe(
      'standing_not_allowed',
    );
  });

  const recorded = (id: string, ttlMs?: number, verb: 'approve' | 'deny' = 'approve'): RecordedDecision => ({
    decision: verb,
    approver: { id, channel: 'api' },
    stage: 0,
    at: '2030-01-01T00:00:00.000Z',
    ...(ttlMs ? { standing: { ttlMs } } : {}),
  });
  const pair: ApprovalStage = {
    ...stage,
    approverIdentities: ['p1@example.com', 'p2@example.com'],
    minApprovals: 2,
  };

  it('standingFromApprovals: nobody asked, one of two asked (refused), both asked (shortest TTL)', () => {
    expect(standingFromApprovals([recorded('dana@example.com')], stage)).toBeUndefined();
    expect(standingFromApprovals([recorded('dana@example.com', HOUR)], stage)).toEqual({
      ttlMs: HOUR,
      approvers: ['dana@example.com'],
    });
    expect(
      standingFromApprovals([recorded('p1@example.com', HOUR), recorded('p2@example.com')], pair),
    ).toEqual({
      refused: expect.stringMatching(/needs 2 approvers/),
    });
    expect(
      standingFromApprovals([recorded('p2@example.com', HOUR), recorded('p1@example.com', HOUR / 2)], pair),
    ).toEqual({ ttlMs: HOUR / 2, approvers: ['p1@example.com', 'p2@example.com'] });
  });

  const stored = (overrides: Partial<StandingApproval> = {}): StandingApproval => ({
    id: 's1',
    requestId: 'r1',
    scope: {
      rule: 'production',
      action: 'a',
      resource: 'r',
      environment: 'production',
      requester: 'ci@example.com',
      vary: ['body'],
    },
    scopeHash: 'h',
    approvers: ['dana@example.com'],
    createdAt: '2030-01-01T00:00:00.000Z',
    expiresAt: '2030-01-01T01:00:00.000Z',
    uses: 0,
    ...overrides,
  });
  const at = (overrides: Partial<Parameters<typeof standingCovers>[1]> = {}) => ({
    scopeHash: 'h',
    policy: allowing,
    requester: 'ci@example.com',
    now: '2030-01-01T00:30:00.000Z',
    ...overrides,
  });

  it('standingCovers: never revoked, expired, out of scope, critical, changed vary, or short of approvers', () => {
    expect(code(standingCovers(stored(), at()))).toBe('ok');
    const refusal = (s: StandingApproval, a = at()) => {
      const v = standingCovers(s, a);
      return v.ok ? 'ok' : v.detail;
    };
    expect(refusal(stored({ revokedAt: '2030-01-01T00:10:00.000Z' }))).toMatch(/revoked/);
    expect(refusal(stored(), at({ now: '2030-01-01T01:00:00.000Z' }))).toMatch(/expired/);
    expect(refusal(stored(), at({ scopeHash: 'other' }))).toMatch(/does not cover/);
    expect(refusal(stored(), at({ policy: { ...allowing, risk: 'critical' } }))).toMatch(/no longer allows/);
    expect(
      refusal(stored(), at({ policy: { ...allowing, standing: { maxTtlMs: HOUR, vary: [] } } })),
    ).toMatch(/changed which parameters/);
    // The rule now wants two approvers: one approver's standing approval no longer suffices.
    expect(
      refusal(stored(), at({ policy: { ...allowing, stages: [{ ...stage, minApprovals: 2 }] } })),
    ).toMatch(/no longer has the 2 approvers/);
    // An approver who left the group, or who is the requester, does not count.
    expect(refusal(stored({ approvers: ['eve@example.com'] }))).toMatch(/no longer has/);
    expect(refusal(stored(), at({ requester: 'dana@example.com' }))).toMatch(/no longer has/);
    // A policy reload that cuts maxTtl to 20 minutes ends a 30-minute-old standing approval.
    const cut = { ...allowing, standing: { ...allowing.standing!, maxTtlMs: 20 * 60_000 } };
    expect(refusal(stored(), at({ policy: cut }))).toMatch(/older than the 20m rule production now allows/);
  });

  it('policy: standing is a load error for critical risk or outside require_approval', () => {
    const doc = (rule: Record<string, unknown>) =>
      stringify({
        version: 1,
        groups: { dba: ['dana@example.com'] },
        rules: [{ name: 'r', match: {}, ...rule }],
      });
    const stages = [{ approvers: ['dba'], timeout: '15m' }];
    expect(() =>
      parsePolicy(
        doc({ effect: 'require_approval', risk: 'critical', stages, standing: { maxTtl: '1h' } }),
        't',
      ),
    ).toThrow(/never allowed for critical risk/);
    expect(() => parsePolicy(doc({ effect: 'allow', standing: { maxTtl: '1h' } }), 't')).toThrow(
      /need effect require_approval/,
    );
    const loaded = parsePolicy(
      doc({ effect: 'require_approval', stages, standing: { maxTtl: '8h', scope: { vary: ['limit'] } } }),
      't',
    );
    expect(evaluatePolicy(loaded, request()).standing).toEqual({ maxTtlMs: 8 * HOUR, vary: ['limit'] });
  });
});

describe('delegation', () => {
  const NOW = '2030-01-01T12:00:00.000Z';
  const held = (overrides: Partial<Delegation> = {}): Delegation => ({
    id: 'd1',
    delegator: 'dana@example.com',
    delegate: 'deputy@example.com',
    startsAt: '2030-01-01T00:00:00.000Z',
    endsAt: '2030-01-02T00:00:00.000Z',
    reason: 'leave',
    createdBy: 'dana@example.com',
    createdAt: '2030-01-01T00:00:00.000Z',
    ...overrides,
  });
  const ctx = (overrides: Partial<DecisionContext> = {}): DecisionContext => ({
    status: 'pending_approval',
    requester: 'ci@example.com',
    stages: [stage],
    stageIndex: 0,
    decisions: [],
    denyReasonRequired: true,
    ...overrides,
  });
  const by = (id: string, extra: Record<string, unknown> = {}) => ({
    decision: 'approve' as const,
    approver: { id, channel: 'api' as const },
    ...extra,
  });
  const outcome = (v: ReturnType<typeof judgeDelegatedDecision>) => (v.ok ? `as ${v.asDelegateOf}` : v.code);

  it('decides as the delegator while the delegation holds', () => {
    expect(outcome(judgeDelegatedDecision(ctx(), by('deputy@example.com'), [held()], NOW))).toBe(
      'as dana@example.com',
    );
  });

  it('holds nothing before the start, after the end, once ended, or for someone else', () => {
    for (const d of [
      held({ startsAt: '2030-01-01T13:00:00.000Z' }),
      held({ endsAt: NOW }),
      held({ endedAt: '2030-01-01T11:00:00.000Z' }),
      held({ delegate: 'other@example.com' }),
    ]) {
      expect(outcome(judgeDelegatedDecision(ctx(), by('deputy@example.com'), [d], NOW))).toBe(
        'not_an_approver',
      );
    }
  });

  it('no chains: a delegation from someone who is not an approver themselves (only a delegate) holds nothing', () => {
    const chain = held({ delegator: 'deputy@example.com', delegate: 'chain@example.com' });
    expect(outcome(judgeDelegatedDecision(ctx(), by('chain@example.com'), [chain, held()], NOW))).toBe(
      'not_an_approver',
    );
  });

  it("refuses in the delegator's name what the delegator could not: their own request, a second decision, a standing approval", () => {
    expect(
      outcome(
        judgeDelegatedDecision(
          ctx({ requester: 'dana@example.com' }),
          by('deputy@example.com'),
          [held()],
          NOW,
        ),
      ),
    ).toBe('self_approval');
    const decided: RecordedDecision = {
      decision: 'approve',
      approver: { id: 'dana@example.com', channel: 'api' },
      stage: 0,
      at: NOW,
    };
    expect(
      outcome(judgeDelegatedDecision(ctx({ decisions: [decided] }), by('deputy@example.com'), [held()], NOW)),
    ).toBe('already_decided');
    expect(
      outcome(
        judgeDelegatedDecision(ctx(), by('deputy@example.com', { standing: { ttlMs: 1000 } }), [held()], NOW),
      ),
    ).toBe('standing_not_allowed');
  });

  it("counts a delegate's approval as its delegator's: the two-person rule needs another person", () => {
    const two = { ...stage, minApprovals: 2 };
    const asDana: RecordedDecision = {
      decision: 'approve',
      approver: { id: 'deputy@example.com', channel: 'api' },
      asDelegateOf: 'dana@example.com',
      stage: 0,
      at: NOW,
    };
    const dana: RecordedDecision = {
      ...asDana,
      approver: { id: 'dana@example.com', channel: 'api' },
      asDelegateOf: undefined,
    };
    expect(tally([asDana, dana], two).outcome).toBe('pending');
    const dev: RecordedDecision = { ...dana, approver: { id: 'dev@example.com', channel: 'api' } };
    expect(tally([asDana, dev], two).outcome).toBe('approved');
  });

  it('one person decides once: a delegate of two approvers cannot fill both slots of a two-person stage', () => {
    const two = { ...stage, minApprovals: 2 };
    const both = [held(), held({ id: 'd2', delegator: 'dev@example.com' })];
    const first = judgeDelegatedDecision(ctx({ stages: [two] }), by('deputy@example.com'), both, NOW);
    expect(first.ok).toBe(true);
    const asFirst: RecordedDecision = {
      decision: 'approve',
      approver: { id: 'deputy@example.com', channel: 'api' },
      asDelegateOf: first.ok ? first.asDelegateOf : undefined,
      stage: 0,
      at: NOW,
    };
    const second = judgeDelegatedDecision(
      ctx({ stages: [two], decisions: [asFirst] }),
      by('deputy@example.com'),
      both,
      NOW,
    );
    expect(outcome(second)).toBe('already_decided');
  });
});
