// buildApprovalCard: the channel-neutral card. Fields, bounded text that never splits a surrogate
// pair, buttons only while a decision can be made, a status line per status, decisions and history.
import { describe, expect, it } from 'vitest';
import { type ApprovalCard, bound, buildApprovalCard, CARD_LIMITS, withContext } from '../../../bots/card.js';
import type { PolicyDecision } from '../../../policy/types.js';
import {
  callbackSubject,
  postCardsInput,
  remindInput,
  updateCardsInput,
} from '../../../workflows/activity-inputs.js';
import type { ActionState, ActionStatus, PostedCard, RecordedDecision } from '../../../workflows/types.js';

const POLICY_VERSION = 'abcdef0123456789'.repeat(4);

const policy = (over: Partial<PolicyDecision> = {}): PolicyDecision => ({
  effect: 'require_approval',
  risk: 'high',
  rule: 'prod-http',
  policyVersion: POLICY_VERSION,
  stages: [
    {
      approvers: ['dba'],
      approverIdentities: ['dana@example.com'],
      minApprovals: 2,
      timeoutMs: 600_000,
      notify: [],
    },
    {
      approvers: ['oncall', 'security'],
      approverIdentities: ['sam@example.com'],
      minApprovals: 1,
      timeoutMs: 600_000,
      notify: [],
    },
  ],
  denyReasonRequired: true,
  ...over,
});

const decision = (
  id: string,
  verb: 'approve' | 'deny',
  reason?: string,
  channel: 'api' | 'teams' | 'slack' = 'api',
): RecordedDecision => ({
  decision: verb,
  ...(reason !== undefined ? { reason } : {}),
  approver: { id, channel },
  stage: 0,
  at: '2030-01-02T03:04:05.000Z',
});

function state(over: Partial<ActionState> = {}): ActionState {
  return {
    requestId: '11111111-2222-4333-8444-555555555555',
    status: 'pending_approval',
    requester: 'ci@example.com',
    request: {
      action: 'http.config.update',
      resource: 'admin-api:/config',
      environment: 'production',
      parameters: { method: 'POST', path: '/config', body: { feature: 'on' } },
      justification: 'turn the feature on for the launch',
      agent: { name: 'deploy-bot', model: 'gpt-x', session: 's-1', onBehalfOf: 'dana@example.com' },
      labels: { ticket: 'OPS-42', run: 'https://ci.example.com/run/7' },
    },
    parametersHash: 'f'.repeat(64),
    bodyHash: 'e'.repeat(64),
    execution: { executor: 'http.request', target: 'echo', mode: 'once' },
    risk: 'high',
    policy: policy(),
    stageIndex: 0,
    stageDeadline: '2030-01-02T04:00:00.000Z',
    decisions: [],
    refusals: [],
    cards: [],
    submittedAt: '2030-01-02T03:00:00.000Z',
    updatedAt: '2030-01-02T03:00:00.000Z',
    links: {
      api: 'http://airlock.test/v1/actions/11111111-2222-4333-8444-555555555555',
      temporalUi: 'http://temporal.test/namespaces/default/workflows/action-1111',
    },
    ...over,
  };
}

const fieldOf = (card: ApprovalCard, label: string) => card.fields.find((f) => f.label === label)?.value;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('buildApprovalCard: fields', () => {
  const card = buildApprovalCard(state());

  it.each([
    ['Requester', 'ci@example.com'],
    ['Agent', 'deploy-bot, model gpt-x, on behalf of dana@example.com'],
    ['Resource', 'admin-api:/config'],
    ['Environment', 'production'],
    ['Justification', 'turn the feature on for the launch'],
    ['Labels', 'ticket=OPS-42, run=https://ci.example.com/run/7'],
  ])('%s', (label, value) => {
    expect(fieldOf(card, label)).toBe(value);
  });

  it('identifies the request: id, title, action, risk, hash, rule, links', () => {
    expect(card.requestId).toBe('11111111-2222-4333-8444-555555555555');
    expect(card.title).toBe('http.config.update on admin-api:/config');
    expect(card.action).toBe('http.config.update');
    expect(card.risk).toBe('high');
    expect(card.parametersHash).toBe('f'.repeat(64));
    expect(card.rule).toBe(`prod-http (policy ${POLICY_VERSION.slice(0, 12)})`);
    expect(card.links).toEqual({
      request: 'http://airlock.test/v1/actions/11111111-2222-4333-8444-555555555555',
      console: 'http://airlock.test/console/requests/11111111-2222-4333-8444-555555555555',
      temporalUi: 'http://temporal.test/namespaces/default/workflows/action-1111',
    });
  });

  it('shows the current stage with its deadline while pending', () => {
    expect(card.stage).toEqual({
      number: 1,
      of: 2,
      approvers: ['dba'],
      deadline: '2030-01-02T04:00:00.000Z',
    });
    const escalated = buildApprovalCard(state({ stageIndex: 1 }));
    expect(escalated.stage).toEqual({
      number: 2,
      of: 2,
      approvers: ['oncall', 'security'],
      deadline: '2030-01-02T04:00:00.000Z',
    });
  });

  it('omits the deadline once nothing is pending', () => {
    expect(buildApprovalCard(state({ status: 'approved' })).stage?.deadline).toBeUndefined();
  });

  it('omits optional fields that are absent or blank', () => {
    const s = state();
    s.request = {
      action: 'db.export',
      resource: 'postgres://analytics/customers',
      environment: 'staging',
      parameters: {},
      justification: '   ',
    };
    const c = buildApprovalCard(s);
    expect(c.fields.map((f) => f.label)).toEqual(['Requester', 'Resource', 'Environment']);
    expect(c.diff).toBeUndefined();
    expect(c.history).toBeUndefined();
  });

  it('an agent with only a name shows just the name', () => {
    const s = state();
    s.request = { ...s.request, agent: { name: 'deploy-bot' } };
    expect(fieldOf(buildApprovalCard(s), 'Agent')).toBe('deploy-bot');
  });

  it("says an agent on behalf of a person came via MCP, and only for the gateway's requests", () => {
    const s = state();
    s.request = {
      ...s.request,
      agent: { name: 'claude-code/1.2.3', session: 's-9', onBehalfOf: 'dana@example.com' },
      labels: { via: 'mcp', 'mcp.tool': 'export_table' },
    };
    const c = buildApprovalCard(s);
    expect(fieldOf(c, 'Origin')).toBe(
      'agent claude-code/1.2.3 on behalf of dana@example.com via MCP (tool export_table)',
    );
    expect(c.fields.map((f) => f.label).indexOf('Origin')).toBe(
      c.fields.map((f) => f.label).indexOf('Agent') + 1,
    );
    s.request = { ...s.request, agent: undefined, labels: { via: 'mcp' } };
    expect(fieldOf(buildApprovalCard(s), 'Origin')).toBe('an agent via MCP');
    expect(fieldOf(buildApprovalCard(state()), 'Origin')).toBeUndefined();
  });

  it('says when enrichment is incomplete', () => {
    const c = buildApprovalCard(
      state({ enrichment: { degraded: ['directory unavailable', 'history timed out'] } }),
    );
    expect(fieldOf(c, 'Enrichment')).toBe('incomplete: directory unavailable; history timed out');
    expect(fieldOf(buildApprovalCard(state({ enrichment: { degraded: [] } })), 'Enrichment')).toBeUndefined();
  });

  it('risk is "unknown" before the policy has decided', () => {
    const c = buildApprovalCard(state({ status: 'evaluating', risk: undefined, policy: undefined }));
    expect(c.risk).toBe('unknown');
    expect(c.rule).toBeUndefined();
    expect(c.stage).toBeUndefined();
  });
});

describe('buildApprovalCard: bounded text', () => {
  it('small parameters are shown whole, pretty-printed', () => {
    const c = buildApprovalCard(state());
    expect(c.parameters).toEqual({
      text: JSON.stringify({ method: 'POST', path: '/config', body: { feature: 'on' } }, null, 2),
      truncated: false,
    });
  });

  it('parameters are cut at the limit without splitting a surrogate pair', () => {
    const s = state();
    // `{\n  "x": "` is 10 code units, so a cut by code units at 1999 would land inside an emoji.
    s.request = { ...s.request, parameters: { x: '😀'.repeat(3000) } };
    const { text, truncated } = buildApprovalCard(s).parameters;
    expect(truncated).toBe(true);
    expect(Array.from(text)).toHaveLength(CARD_LIMITS.parameters);
    expect(text.endsWith('😀…')).toBe(true);
    expect(LONE_SURROGATE.test(text)).toBe(false);
    expect(text.startsWith('{\n  "x": "😀😀')).toBe(true);
  });

  it('parameters exactly at the limit are not cut', () => {
    const s = state();
    // 10 + n + 2 (`"\n}`) characters.
    const n = CARD_LIMITS.parameters - 13;
    s.request = { ...s.request, parameters: { x: 'a'.repeat(n) } };
    const { text, truncated } = buildApprovalCard(s).parameters;
    expect(Array.from(text)).toHaveLength(CARD_LIMITS.parameters);
    expect(truncated).toBe(false);
    expect(text.endsWith('"\n}')).toBe(true);
  });

  it('the diff preview is bounded', () => {
    const preview = `--- a\n+++ b\n${'+ added line 🚀\n'.repeat(500)}`;
    const c = buildApprovalCard(state({ enrichment: { diffPreview: preview, degraded: [] } }));
    expect(c.diff?.truncated).toBe(true);
    expect(Array.from(c.diff?.text ?? '')).toHaveLength(CARD_LIMITS.diff);
    expect(c.diff?.text.startsWith('--- a\n+++ b\n')).toBe(true);
    expect(LONE_SURROGATE.test(c.diff?.text ?? '')).toBe(false);
  });

  it('the enrichment preview wins over the raw unified diff; the unified diff is used without one', () => {
    const s = state();
    s.request = { ...s.request, diff: { unified: '@@ raw @@\n-a\n+b\n' } };
    expect(buildApprovalCard(s).diff).toEqual({ text: '@@ raw @@\n-a\n+b\n', truncated: false });
    s.enrichment = { diffPreview: '@@ enriched @@', degraded: [] };
    expect(buildApprovalCard(s).diff?.text).toBe('@@ enriched @@');
  });

  it('the justification is bounded at its own limit, other fields at the field limit', () => {
    const s = state();
    s.request = {
      ...s.request,
      justification: 'j'.repeat(5000),
      resource: `r:${'x'.repeat(5000)}`,
      labels: { ticket: '🎫'.repeat(1000) },
    };
    const c = buildApprovalCard(s);
    const justification = fieldOf(c, 'Justification') ?? '';
    expect(Array.from(justification)).toHaveLength(CARD_LIMITS.justification);
    expect(justification.endsWith('…')).toBe(true);
    expect(Array.from(fieldOf(c, 'Resource') ?? '')).toHaveLength(CARD_LIMITS.field);
    const labels = fieldOf(c, 'Labels') ?? '';
    expect(Array.from(labels)).toHaveLength(CARD_LIMITS.field);
    expect(LONE_SURROGATE.test(labels)).toBe(false);
    expect(Array.from(c.title)).toHaveLength(CARD_LIMITS.title);
  });

  it('bound() leaves short text alone and cuts long text to exactly the limit', () => {
    expect(bound('héllo', 5)).toEqual({ text: 'héllo', truncated: false });
    expect(bound('👍👍👍👍', 3)).toEqual({ text: '👍👍…', truncated: true });
  });
});

describe('buildApprovalCard: buttons', () => {
  it('pending_approval: approve and deny, with the deny-reason rule', () => {
    expect(buildApprovalCard(state()).actions).toEqual({
      approve: true,
      deny: true,
      denyReasonRequired: true,
    });
    expect(buildApprovalCard(state({ policy: policy({ denyReasonRequired: false }) })).actions).toEqual({
      approve: true,
      deny: true,
      denyReasonRequired: false,
    });
  });

  const others: ActionStatus[] = [
    'evaluating',
    'approved',
    'executing',
    'succeeded',
    'failed',
    'denied',
    'expired',
    'cancelled',
    'active',
    'revoked',
  ];
  it.each(others)('%s: no buttons', (status) => {
    expect(buildApprovalCard(state({ status })).actions).toBeUndefined();
  });
});

describe('buildApprovalCard: status lines', () => {
  it.each<[string, Partial<ActionState>, string]>([
    ['evaluating', { status: 'evaluating' }, 'Evaluating policy'],
    ['pending, none yet', { status: 'pending_approval' }, 'Waiting for dba: 0 of 2 approvals'],
    [
      'pending, one distinct approval counted once',
      {
        status: 'pending_approval',
        decisions: [decision('dana@example.com', 'approve'), decision('dana@example.com', 'approve')],
      },
      'Waiting for dba: 1 of 2 approvals',
    ],
    [
      'pending, escalated stage',
      { status: 'pending_approval', stageIndex: 1 },
      'Waiting for oncall, security: 0 of 1 approvals',
    ],
    ['approved', { status: 'approved', decidedBy: 'dana@example.com' }, 'Approved by dana@example.com'],
    ['approved by policy', { status: 'approved' }, 'Approved by policy'],
    [
      'executing',
      { status: 'executing', decidedBy: 'dana@example.com' },
      'Approved by dana@example.com; executing',
    ],
    [
      'succeeded',
      { status: 'succeeded', decidedBy: 'dana@example.com' },
      'Approved by dana@example.com; executed successfully',
    ],
    [
      'failed',
      { status: 'failed', decidedBy: 'dana@example.com', outcomeReason: 'HTTP 500' },
      'Approved by dana@example.com; execution failed: HTTP 500',
    ],
    [
      'denied by an approver',
      { status: 'denied', decidedBy: 'dana@example.com', outcomeReason: 'not during the freeze' },
      'Denied by dana@example.com: not during the freeze',
    ],
    ['denied by policy', { status: 'denied' }, 'Denied by policy'],
    ['expired', { status: 'expired' }, 'Expired: no decision in time'],
    [
      'expired with a reason',
      { status: 'expired', outcomeReason: 'no decision before the last stage timed out' },
      'Expired: no decision before the last stage timed out',
    ],
    ['cancelled', { status: 'cancelled', decidedBy: 'admin@example.com' }, 'Cancelled by admin@example.com'],
    ['cancelled, nobody named', { status: 'cancelled' }, 'Cancelled by the requester'],
    [
      'active grant',
      { status: 'active', grant: { role: 'reader', validUntil: '2030-01-02T05:00:00.000Z' } },
      'Access granted until 2030-01-02T05:00:00.000Z',
    ],
    [
      'revoked grant',
      {
        status: 'revoked',
        grant: { role: 'reader', validUntil: '2030-01-02T05:00:00.000Z', revokedBecause: 'ttl' },
      },
      'Access revoked (ttl)',
    ],
  ])('%s', (_what, over, line) => {
    const c = buildApprovalCard(state(over));
    expect(c.statusLine).toBe(line);
    expect(c.status).toBe(over.status);
  });
});

describe('buildApprovalCard: decisions, history, note', () => {
  it('lists every decision with who, channel, time and reason', () => {
    const c = buildApprovalCard(
      state({
        decisions: [
          decision('dana@example.com', 'approve', undefined, 'teams'),
          decision('sam@example.com', 'deny', 'not during the freeze', 'slack'),
        ],
      }),
    );
    expect(c.decisions).toEqual([
      'Approved by dana@example.com via teams at 2030-01-02T03:04:05.000Z',
      'Denied by sam@example.com via slack at 2030-01-02T03:04:05.000Z: not during the freeze',
    ]);
  });

  it('bounds a long decision reason', () => {
    const c = buildApprovalCard(
      state({ decisions: [decision('sam@example.com', 'deny', '✋'.repeat(500))] }),
    );
    const reason = (c.decisions[0] ?? '').split(': ').slice(1).join(': ');
    expect(Array.from(reason)).toHaveLength(200);
    expect(reason.endsWith('…')).toBe(true);
  });

  it('no decisions: an empty list', () => {
    expect(buildApprovalCard(state()).decisions).toEqual([]);
  });

  it('history line: counts by requester and on the resource', () => {
    const c = buildApprovalCard(
      state({
        enrichment: {
          degraded: [],
          history: {
            byRequester: { total: 3, byOutcome: { succeeded: 2, denied: 1 } },
            onResource: { total: 1, byOutcome: { succeeded: 1 } },
            windowDays: 30,
          },
        },
      }),
    );
    expect(c.history).toBe(
      'In 30 days: requester 3 requests (2 succeeded, 1 denied); this resource 1 request (1 succeeded)',
    );
  });

  it('history line with no earlier requests', () => {
    const c = buildApprovalCard(
      state({
        enrichment: {
          degraded: [],
          history: {
            byRequester: { total: 0, byOutcome: {} },
            onResource: { total: 0, byOutcome: {} },
            windowDays: 7,
          },
        },
      }),
    );
    expect(c.history).toBe('In 7 days: requester 0 requests; this resource 0 requests');
  });

  it('carries the note, and has none by default', () => {
    expect(buildApprovalCard(state(), 'escalated to stage 2').note).toBe('escalated to stage 2');
    expect(buildApprovalCard(state()).note).toBeUndefined();
  });
});

describe('withContext: the delegates line', () => {
  const delegates = [
    { delegator: 'dana@example.com', delegate: 'deputy@example.com', endsAt: '2030-01-03T00:00:00Z' },
  ];

  it('names who may decide for the approvers, just above the requester, while pending', () => {
    const card = withContext(buildApprovalCard(state()), { delegates });
    const labels = card.fields.map((f) => f.label);
    expect(labels.indexOf('Delegates')).toBe(labels.indexOf('Requester') - 1);
    expect(fieldOf(card, 'Delegates')).toBe(
      'deputy@example.com as delegate of dana@example.com (until 2030-01-03T00:00:00Z)',
    );
    expect(buildApprovalCard(state(), undefined, { delegates })).toEqual(card);
  });

  it('says nothing of delegates once the request is decided, or when there are none', () => {
    expect(
      fieldOf(withContext(buildApprovalCard(state({ status: 'approved' })), { delegates }), 'Delegates'),
    ).toBe(undefined);
    const card = buildApprovalCard(state());
    expect(withContext(card, { delegates: [] })).toBe(card);
  });
});

describe('what the card and callback activities are given', () => {
  const huge = 'x'.repeat(20_000);
  const posted = (stage: number, n: number): PostedCard[] =>
    Array.from({ length: n }, (_, i) => ({
      channel: 'slack',
      destination: `c${i}`,
      messageId: `m${stage}-${i}`,
      stage,
    }));
  const heavy = state({
    request: { ...state().request, parameters: { sql: huge }, diff: { unified: huge } },
    enrichment: { diffPreview: huge, degraded: [] },
    refusals: Array.from({ length: 50 }, (_, i) => ({
      code: 'not_an_approver' as const,
      what: 'approve',
      actor: `mallory${i}@example.com`,
      channel: 'api' as const,
      detail: 'not an approver of this stage',
      at: '2030-01-02T03:00:00.000Z',
    })),
    cards: [...posted(0, 3), ...posted(1, 2)],
  });

  it('a post carries the bounded card and where it goes, not the state', () => {
    const input = postCardsInput(heavy, 0);
    expect(input).toEqual({
      card: buildApprovalCard(heavy),
      stage: 0,
      notify: [],
      delegatesOf: ['dana@example.com'],
    });
    const size = JSON.stringify(input).length;
    expect(size).toBeLessThan(CARD_LIMITS.parameters + CARD_LIMITS.diff + 4_000);
    expect(JSON.stringify(input)).not.toContain('mallory');
  });

  it('a repost names only the destinations that failed', () => {
    const only = [{ name: 'ops-slack', kind: 'slack' as const }];
    expect(postCardsInput(heavy, 1, only)).toMatchObject({ stage: 1, only });
  });

  it('an update carries the card, the posted cards and the note; delegates only while pending', () => {
    expect(updateCardsInput(heavy, 'escalated to stage 2')).toEqual({
      card: buildApprovalCard(heavy, 'escalated to stage 2'),
      cards: heavy.cards,
      note: 'escalated to stage 2',
      delegatesOf: ['dana@example.com'],
    });
    expect(updateCardsInput({ ...heavy, status: 'denied' })).not.toHaveProperty('delegatesOf');
  });

  it("a reminder carries only the stage's cards and its deadline", () => {
    expect(remindInput(heavy, 1)).toEqual({
      requestId: heavy.requestId,
      cards: posted(1, 2),
      deadline: '2030-01-02T04:00:00.000Z',
    });
  });

  it("the callback gets the request's end without its parameters, justification or preview", () => {
    const subject = callbackSubject({ ...heavy, status: 'succeeded', decidedBy: 'dana@example.com' });
    expect(subject.request).toEqual({
      action: 'http.config.update',
      resource: 'admin-api:/config',
      environment: 'production',
    });
    expect(subject).toMatchObject({
      status: 'succeeded',
      decidedBy: 'dana@example.com',
      requester: 'ci@example.com',
    });
    expect(JSON.stringify(subject)).not.toContain(huge.slice(0, 100));
  });
});
