// The pure decision rules of SPEC 4: refusal codes and their precedence, identity comparison,
// stage eligibility, the two-person count, one-deny-ends-it, and who may cancel.
import { describe, expect, it } from 'vitest';
import type { ApprovalStage } from '../../../policy/types.js';
import {
  type DecisionContext,
  eligibleApprovers,
  judgeCancel,
  judgeDecision,
  requesterIdentities,
  tally,
} from '../../../workflows/rules.js';
import type {
  ActionStatus,
  AgentInfo,
  DecisionInput,
  DecisionVerb,
  RecordedDecision,
  RefusalCode,
} from '../../../workflows/types.js';

const stage = (identities: string[], minApprovals = 1, approvers = ['group']): ApprovalStage => ({
  approvers,
  approverIdentities: identities,
  minApprovals,
  timeoutMs: 60_000,
  notify: [],
});

const DBA = stage(['dana@example.com', 'dev@example.com'], 1, ['dba']);
const ONCALL = stage(['sam@example.com'], 1, ['oncall']);
const PAIR = stage(['p1@example.com', 'p2@example.com', 'p3@example.com'], 2, ['pair']);

const recorded = (id: string, decision: DecisionVerb = 'approve', reason?: string): RecordedDecision => ({
  decision,
  ...(reason !== undefined ? { reason } : {}),
  approver: { id, channel: 'api' },
  stage: 0,
  at: '2030-01-01T00:00:00.000Z',
});

const input = (id: string, decision: DecisionVerb = 'approve', reason?: string): DecisionInput => ({
  decision,
  ...(reason !== undefined ? { reason } : {}),
  approver: { id, channel: 'api' },
});

const ctx = (over: Partial<DecisionContext> = {}): DecisionContext => ({
  status: 'pending_approval',
  requester: 'ci@example.com',
  stages: [DBA, ONCALL],
  stageIndex: 0,
  decisions: [],
  denyReasonRequired: true,
  ...over,
});

const codeOf = (c: DecisionContext, i: DecisionInput): RefusalCode | 'ok' => {
  const v = judgeDecision(c, i);
  return v.ok ? 'ok' : v.code;
};

describe('requesterIdentities', () => {
  it.each<[string, string, AgentInfo | undefined, string[]]>([
    ['the requester alone', 'ci@example.com', undefined, ['ci@example.com']],
    [
      'requester, onBehalfOf and agent name',
      'runner@example.com',
      { name: 'deploy-bot', onBehalfOf: 'dana@example.com', model: 'm1', session: 's1' },
      ['runner@example.com', 'dana@example.com', 'deploy-bot'],
    ],
    ['agent without name or onBehalfOf', 'ci@example.com', { model: 'm1' }, ['ci@example.com']],
    ['blank agent fields ignored', 'ci@example.com', { name: '  ', onBehalfOf: '' }, ['ci@example.com']],
  ])('%s', (_what, requester, agent, expected) => {
    expect(requesterIdentities(requester, agent)).toEqual(expected);
  });

  it('never includes the agent model or session', () => {
    const ids = requesterIdentities('ci@example.com', { model: 'gpt-x', session: 'sess-1' });
    expect(ids).not.toContain('gpt-x');
    expect(ids).not.toContain('sess-1');
  });
});

describe('eligibleApprovers', () => {
  it('stage 0: only its own members', () => {
    expect([...eligibleApprovers([DBA, ONCALL], 0)].sort()).toEqual(['dana@example.com', 'dev@example.com']);
  });

  it('a later stage keeps the approvers of earlier stages', () => {
    expect([...eligibleApprovers([DBA, ONCALL], 1)].sort()).toEqual([
      'dana@example.com',
      'dev@example.com',
      'sam@example.com',
    ]);
  });

  it('later-stage approvers are not eligible yet', () => {
    expect(eligibleApprovers([DBA, ONCALL], 0).has('sam@example.com')).toBe(false);
  });

  it('lower-cases identities written in another case', () => {
    const set = eligibleApprovers([stage(['Dana@Example.COM'])], 0);
    expect(set.has('dana@example.com')).toBe(true);
    expect(set.has('Dana@Example.COM')).toBe(false);
  });

  it('no stages: nobody', () => {
    expect(eligibleApprovers([], 0).size).toBe(0);
  });
});

describe('judgeDecision: each refusal code', () => {
  const ended: ActionStatus[] = [
    'approved',
    'executing',
    'active',
    'succeeded',
    'failed',
    'denied',
    'expired',
    'cancelled',
    'revoked',
  ];

  it.each(ended)('status %s: request_ended', (status) => {
    const v = judgeDecision(ctx({ status }), input('dana@example.com'));
    expect(v).toMatchObject({ ok: false, code: 'request_ended' });
    expect(v.ok ? '' : v.detail).toContain(status);
  });

  it('status evaluating: not_pending', () => {
    const v = judgeDecision(ctx({ status: 'evaluating' }), input('dana@example.com'));
    expect(v).toMatchObject({ ok: false, code: 'not_pending' });
  });

  it.each<[string, Partial<DecisionContext>, DecisionInput, RefusalCode | 'ok']>([
    ['a stage member approves', {}, input('dana@example.com'), 'ok'],
    ['the requester itself', {}, input('ci@example.com'), 'self_approval'],
    [
      'agent.onBehalfOf',
      { agent: { name: 'bot', onBehalfOf: 'dana@example.com' } },
      input('dana@example.com'),
      'self_approval',
    ],
    ['the agent name', { agent: { name: 'dev@example.com' } }, input('dev@example.com'), 'self_approval'],
    ['a non-member', {}, input('outsider@example.com'), 'not_an_approver'],
    [
      'someone who already decided',
      { decisions: [recorded('dana@example.com')] },
      input('dana@example.com'),
      'already_decided',
    ],
    ['deny without a reason', {}, input('dana@example.com', 'deny'), 'reason_required'],
    ['deny with a blank reason', {}, input('dana@example.com', 'deny', '   '), 'reason_required'],
    ['deny with a reason', {}, input('dana@example.com', 'deny', 'not now'), 'ok'],
    [
      'deny without a reason when not required',
      { denyReasonRequired: false },
      input('dana@example.com', 'deny'),
      'ok',
    ],
    ['approve without a reason', {}, input('dana@example.com', 'approve'), 'ok'],
    ['approve with a reason', {}, input('dana@example.com', 'approve', 'lgtm'), 'ok'],
  ])('%s', (_what, over, i, expected) => {
    expect(codeOf(ctx(over), i)).toBe(expected);
  });

  it('refusals carry a human detail', () => {
    const v = judgeDecision(ctx(), input('ci@example.com'));
    expect(v.ok).toBe(false);
    expect(v.ok ? '' : v.detail).toMatch(/own request/);
  });
});

describe('judgeDecision: order of precedence', () => {
  it.each<[string, Partial<DecisionContext>, DecisionInput, RefusalCode]>([
    ['ended before self-approval', { status: 'denied' }, input('ci@example.com', 'deny'), 'request_ended'],
    ['ended before not-an-approver', { status: 'succeeded' }, input('outsider@example.com'), 'request_ended'],
    [
      'ended before already-decided',
      { status: 'approved', decisions: [recorded('dana@example.com')] },
      input('dana@example.com'),
      'request_ended',
    ],
    ['not pending before self-approval', { status: 'evaluating' }, input('ci@example.com'), 'not_pending'],
    [
      'self before membership (requester is also a stage member)',
      { requester: 'dana@example.com' },
      input('dana@example.com'),
      'self_approval',
    ],
    ['self before membership (not a member)', {}, input('ci@example.com'), 'self_approval'],
    [
      'self before already-decided',
      { requester: 'dana@example.com', decisions: [recorded('dana@example.com')] },
      input('dana@example.com'),
      'self_approval',
    ],
    [
      'self before reason-required',
      { requester: 'dana@example.com' },
      input('dana@example.com', 'deny'),
      'self_approval',
    ],
    [
      'membership before already-decided',
      { decisions: [recorded('sam@example.com')] },
      input('sam@example.com'),
      'not_an_approver',
    ],
    ['membership before reason-required', {}, input('outsider@example.com', 'deny'), 'not_an_approver'],
    [
      'already-decided before reason-required',
      { decisions: [recorded('dana@example.com')] },
      input('dana@example.com', 'deny'),
      'already_decided',
    ],
  ])('%s', (_what, over, i, expected) => {
    expect(codeOf(ctx(over), i)).toBe(expected);
  });
});

describe('judgeDecision: look-alike identities cannot approve their own request', () => {
  // The API refuses or canonicalises these at submit; the rules refuse them whatever reaches them.
  it.each([
    'ｄａｎａ@example.com',
    'dana\u200b@example.com',
    'dana@example.com.',
    'mailto:dana@example.com',
    'dana+x@example.com',
  ])('onBehalfOf %j: dana@example.com is refused as self-approval', (onBehalfOf) => {
    expect(codeOf(ctx({ agent: { onBehalfOf } }), input('dana@example.com'))).toBe('self_approval');
  });

  it('a tagged approver is not the member her plain address is, but still the requester', () => {
    expect(codeOf(ctx(), input('dana+x@example.com'))).toBe('not_an_approver');
    expect(codeOf(ctx({ requester: 'dana@example.com' }), input('dana+x@example.com'))).toBe('self_approval');
  });

  it('an approver id with an invisible character is nobody', () => {
    expect(codeOf(ctx(), input('dana\u200b@example.com'))).toBe('not_an_approver');
    expect(codeOf(ctx(), input('ｄａｎａ@example.com'))).toBe('ok');
  });
});

describe('judgeDecision: identities compare case-insensitively', () => {
  it.each<[string, Partial<DecisionContext>, DecisionInput, RefusalCode | 'ok']>([
    ['requester in another case', { requester: 'CI@Example.com' }, input('ci@example.com'), 'self_approval'],
    [
      'approver id in another case',
      { requester: 'dana@example.com' },
      input('DANA@EXAMPLE.COM'),
      'self_approval',
    ],
    [
      'onBehalfOf in another case',
      { agent: { onBehalfOf: 'Dana@Example.COM' } },
      input('dana@example.com'),
      'self_approval',
    ],
    [
      'agent name in another case',
      { agent: { name: 'Dev@Example.com' } },
      input('dev@example.com'),
      'self_approval',
    ],
    ['member id upper-cased is still a member', {}, input('DEV@example.com'), 'ok'],
    [
      'stage identity written upper-case',
      { stages: [stage(['SAM@EXAMPLE.COM'])] },
      input('sam@example.com'),
      'ok',
    ],
    [
      'an earlier decision in another case',
      { decisions: [recorded('Dana@Example.com')] },
      input('dana@example.com'),
      'already_decided',
    ],
  ])('%s', (_what, over, i, expected) => {
    expect(codeOf(ctx(over), i)).toBe(expected);
  });

  it('identities that only share a prefix are different people', () => {
    expect(codeOf(ctx({ requester: 'dana@example.co' }), input('dana@example.com'))).toBe('ok');
  });
});

describe('judgeDecision: stages', () => {
  it('an approver of a later stage is not eligible yet', () => {
    expect(codeOf(ctx({ stageIndex: 0 }), input('sam@example.com'))).toBe('not_an_approver');
  });

  it('once escalated, the later stage approver may decide', () => {
    expect(codeOf(ctx({ stageIndex: 1 }), input('sam@example.com'))).toBe('ok');
  });

  it('approvers of earlier stages stay eligible after escalation', () => {
    expect(codeOf(ctx({ stageIndex: 1 }), input('dana@example.com'))).toBe('ok');
    expect(codeOf(ctx({ stageIndex: 1 }), input('dev@example.com', 'deny', 'no'))).toBe('ok');
  });

  it('a stage-0 decider cannot decide again after escalation', () => {
    expect(
      codeOf(ctx({ stageIndex: 1, decisions: [recorded('dana@example.com')] }), input('dana@example.com')),
    ).toBe('already_decided');
  });

  it('the second member of a two-person stage may add an approval', () => {
    expect(
      codeOf(ctx({ stages: [PAIR], decisions: [recorded('p1@example.com')] }), input('p2@example.com')),
    ).toBe('ok');
  });
});

describe('tally', () => {
  it.each<[string, RecordedDecision[], ApprovalStage, ReturnType<typeof tally>]>([
    ['nothing yet', [], DBA, { outcome: 'pending', approvals: 0, needed: 1 }],
    [
      'one approval of one',
      [recorded('dana@example.com')],
      DBA,
      { outcome: 'approved', approvals: 1, needed: 1 },
    ],
    [
      'one approval of two',
      [recorded('p1@example.com')],
      PAIR,
      { outcome: 'pending', approvals: 1, needed: 2 },
    ],
    [
      'two distinct approvals of two',
      [recorded('p1@example.com'), recorded('p2@example.com')],
      PAIR,
      { outcome: 'approved', approvals: 2, needed: 2 },
    ],
    [
      'the same approver twice counts once',
      [recorded('p1@example.com'), recorded('p1@example.com')],
      PAIR,
      { outcome: 'pending', approvals: 1, needed: 2 },
    ],
    [
      'the same approver in another case counts once',
      [recorded('p1@example.com'), recorded('P1@Example.COM')],
      PAIR,
      { outcome: 'pending', approvals: 1, needed: 2 },
    ],
    [
      'one deny ends it',
      [recorded('p1@example.com', 'deny', 'no')],
      PAIR,
      { outcome: 'denied', approvals: 0, needed: 2 },
    ],
    [
      'a deny after an approval still denies',
      [recorded('p1@example.com'), recorded('p2@example.com', 'deny', 'no')],
      PAIR,
      { outcome: 'denied', approvals: 1, needed: 2 },
    ],
    [
      'a deny in a one-approval stage, among approvals',
      [recorded('dana@example.com', 'deny', 'no')],
      DBA,
      { outcome: 'denied', approvals: 0, needed: 1 },
    ],
  ])('%s', (_what, decisions, s, expected) => {
    expect(tally(decisions, s)).toEqual(expected);
  });

  it('three approvals in a two-person stage: approved, all three counted', () => {
    const t = tally(
      [recorded('p1@example.com'), recorded('p2@example.com'), recorded('p3@example.com')],
      PAIR,
    );
    expect(t).toEqual({ outcome: 'approved', approvals: 3, needed: 2 });
  });
});

describe('judgeCancel', () => {
  const cancel = (
    status: ActionStatus,
    by: string,
    opts: { requester?: string; agent?: AgentInfo; admin?: boolean } = {},
  ) => {
    const v = judgeCancel(status, opts.requester ?? 'ci@example.com', opts.agent, by, opts.admin ?? false);
    return v.ok ? 'ok' : v.code;
  };

  it.each<[string, () => string, string]>([
    ['the requester, pending', () => cancel('pending_approval', 'ci@example.com'), 'ok'],
    ['the requester, evaluating', () => cancel('evaluating', 'ci@example.com'), 'ok'],
    ['the requester in another case', () => cancel('pending_approval', 'CI@EXAMPLE.com'), 'ok'],
    [
      'the human the agent acts for',
      () => cancel('pending_approval', 'dana@example.com', { agent: { onBehalfOf: 'Dana@Example.com' } }),
      'ok',
    ],
    [
      'the agent name is not a canceller',
      () => cancel('pending_approval', 'deploy-bot', { agent: { name: 'deploy-bot' } }),
      'not_requester',
    ],
    ['an admin', () => cancel('pending_approval', 'admin@example.com', { admin: true }), 'ok'],
    ['someone else', () => cancel('pending_approval', 'outsider@example.com'), 'not_requester'],
    ['the requester after approval', () => cancel('approved', 'ci@example.com'), 'not_cancellable'],
    ['the requester while executing', () => cancel('executing', 'ci@example.com'), 'not_cancellable'],
    ['the requester after the end', () => cancel('succeeded', 'ci@example.com'), 'not_cancellable'],
    [
      'an admin after cancellation',
      () => cancel('cancelled', 'admin@example.com', { admin: true }),
      'not_cancellable',
    ],
    [
      'an admin while a grant is active',
      () => cancel('active', 'admin@example.com', { admin: true }),
      'not_cancellable',
    ],
    ['not-requester before not-cancellable', () => cancel('denied', 'outsider@example.com'), 'not_requester'],
  ])('%s', (_what, run, expected) => {
    expect(run()).toBe(expected);
  });

  it('the refusal detail names the status', () => {
    const v = judgeCancel('expired', 'ci@example.com', undefined, 'ci@example.com', false);
    expect(v).toMatchObject({ ok: false, code: 'not_cancellable' });
    expect(v.ok ? '' : v.detail).toContain('expired');
  });
});
