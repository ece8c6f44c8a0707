import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  channelsOf,
  decisionForView,
  describePolicy,
  evaluatePolicy,
  groupsOf,
  identitiesFor,
  identityForSlack,
  identityForTeams,
} from '../../../policy/evaluate.js';
import { loadPolicyFile, parsePolicy } from '../../../policy/load.js';
import { request, SPEC_POLICY } from './helpers.js';

const spec = parsePolicy(SPEC_POLICY, 'spec.yaml');

function policyOf(rules: unknown[], extra: Record<string, unknown> = {}) {
  const doc = {
    version: 1,
    groups: { dba: ['dana@example.com'], security: ['sec@example.com'] },
    rules,
    ...extra,
  };
  return parsePolicy(stringify(doc), 'test.yaml');
}

describe('evaluatePolicy on the SPEC example', () => {
  const migrate = (sql: string) =>
    evaluatePolicy(spec, request({ action: 'db.schema.migrate', parameters: { sql } }));

  it('denies DROP TABLE in production, whatever the case and spacing', () => {
    for (const sql of ['DROP TABLE x', 'drop table users;', 'ALTER x; Drop\n  Table y']) {
      const decision = migrate(sql);
      expect(decision).toMatchObject({ effect: 'deny', rule: 'never-drop-prod' });
      expect(decision.reason).toBe('DROP TABLE in production is never run through automation');
      expect(decision.notes).toBeUndefined();
    }
  });

  it('does not deny SELECT 1 nor a table name that merely contains "drop"', () => {
    for (const sql of ['SELECT 1', 'SELECT * FROM backdrop_tables']) {
      expect(migrate(sql)).toMatchObject({ effect: 'require_approval', rule: 'default' });
    }
  });

  it('resolves the stages of the matching rule to identities and milliseconds', () => {
    const decision = evaluatePolicy(spec, request());
    expect(decision).toMatchObject({
      effect: 'require_approval',
      risk: 'high',
      rule: 'prod-data-export',
      policyVersion: spec.version,
      requireJustification: { minLength: 20 },
      denyReasonRequired: true,
    });
    expect(decision.stages).toEqual([
      {
        approvers: ['dba'],
        approverIdentities: ['dana@example.com', 'dev@example.com'],
        minApprovals: 1,
        timeoutMs: 900_000,
        notify: ['dba-teams', 'dba-slack'],
      },
      {
        approvers: ['sre-oncall', 'security'],
        approverIdentities: ['sam@example.com', 'sec@example.com'],
        minApprovals: 1,
        timeoutMs: 1_800_000,
        notify: ['dba-teams'],
      },
    ]);
  });

  it('allows dev and staging with low risk', () => {
    for (const environment of ['dev', 'staging']) {
      expect(evaluatePolicy(spec, request({ environment }))).toMatchObject({
        effect: 'allow',
        risk: 'low',
        rule: 'low-risk',
        stages: [],
      });
    }
  });

  it('falls back to the explicit default', () => {
    const decision = evaluatePolicy(spec, request({ action: 'iam.escalate' }));
    expect(decision).toMatchObject({ effect: 'require_approval', rule: 'default', risk: 'medium' });
    expect(decision.stages[0]!.approverIdentities).toEqual(['sec@example.com']);
  });

  it('returns copies: mutating a decision does not change the policy', () => {
    evaluatePolicy(spec, request()).stages[0]!.approverIdentities.push('mallory@example.com');
    expect(evaluatePolicy(spec, request()).stages[0]!.approverIdentities).not.toContain(
      'mallory@example.com',
    );
  });
});

describe('rule matching', () => {
  it('the first matching rule wins', () => {
    const policy = policyOf([
      { name: 'first', match: { action: 'db.*' }, effect: 'deny' },
      { name: 'second', match: { action: 'db.export' }, effect: 'allow' },
    ]);
    expect(evaluatePolicy(policy, request())).toMatchObject({ effect: 'deny', rule: 'first' });
    const reversed = policyOf([
      { name: 'second', match: { action: 'db.export' }, effect: 'allow' },
      { name: 'first', match: { action: 'db.*' }, effect: 'deny' },
    ]);
    expect(evaluatePolicy(reversed, request())).toMatchObject({ effect: 'allow', rule: 'second' });
  });

  it('needs every match field and the when to match', () => {
    const policy = policyOf([
      {
        name: 'narrow',
        match: {
          action: 'db.export',
          resource: 'postgres://analytics/*',
          environment: 'production',
          requester: '*@example.com',
        },
        when: 'justification.size() > 3',
        effect: 'allow',
      },
    ]);
    const ok = request({ justification: 'quarterly report' });
    expect(evaluatePolicy(policy, ok).rule).toBe('narrow');
    expect(evaluatePolicy(policy, { ...ok, resource: 'postgres://billing/x' }).rule).toBe('default');
    expect(evaluatePolicy(policy, { ...ok, environment: 'staging' }).rule).toBe('default');
    expect(evaluatePolicy(policy, { ...ok, requester: 'ci@other.org' }).rule).toBe('default');
    expect(evaluatePolicy(policy, { ...ok, justification: 'no' }).rule).toBe('default');
    expect(evaluatePolicy(policy, { ...ok, justification: undefined }).rule).toBe('default');
  });

  it('a rule without match applies to every request', () => {
    const policy = policyOf([{ name: 'agents', when: 'has(agent.model)', effect: 'deny' }]);
    expect(evaluatePolicy(policy, request({ agent: { model: 'x' } })).rule).toBe('agents');
    expect(evaluatePolicy(policy, request()).rule).toBe('default');
  });
});

describe('default handling fails closed', () => {
  it('no default means deny', () => {
    const policy = policyOf([{ name: 'dev', match: { environment: 'dev' }, effect: 'allow' }]);
    expect(policy.hasDefault).toBe(false);
    expect(evaluatePolicy(policy, request())).toEqual({
      effect: 'deny',
      risk: 'medium',
      rule: 'default',
      reason: 'no policy rule matched and the policy has no default',
      policyVersion: policy.version,
      stages: [],
      denyReasonRequired: true,
    });
  });

  it('an explicit allow default is honoured', () => {
    const policy = policyOf([], { default: { effect: 'allow' } });
    expect(evaluatePolicy(policy, request())).toMatchObject({
      effect: 'allow',
      risk: 'low',
      rule: 'default',
    });
  });
});

describe('when expressions', () => {
  it('compare numeric parameters, integral or not', () => {
    const policy = policyOf([{ name: 'big', when: 'parameters.rows > 1000', effect: 'deny' }]);
    expect(evaluatePolicy(policy, request({ parameters: { rows: 5000 } })).rule).toBe('big');
    expect(evaluatePolicy(policy, request({ parameters: { rows: 1000.5 } })).rule).toBe('big');
    expect(evaluatePolicy(policy, request({ parameters: { rows: 10 } })).rule).toBe('default');
    // Integral JSON numbers are CEL ints, so int arithmetic and int literals type-check at run time.
    const arithmetic = policyOf([
      { name: 'int', when: 'parameters.rows + 1 == 5001 && parameters.rows % 2 == 0', effect: 'deny' },
    ]);
    const decision = evaluatePolicy(arithmetic, request({ parameters: { rows: 5000 } }));
    expect(decision.notes).toBeUndefined();
    expect(decision.rule).toBe('int');
  });

  it('see nested parameters, labels, agent, context and now', () => {
    const policy = policyOf([
      {
        name: 'all',
        when: [
          'parameters.target.tables.exists(t, t == "users")',
          'labels.ticket.startsWith("OPS-")',
          'agent.model == "gpt"',
          'context.recentDenials >= 2',
          'now.getHours("UTC") == 10',
          'now < timestamp("2031-01-01T00:00:00Z")',
        ].join(' && '),
        effect: 'deny',
      },
    ]);
    const input = request({
      parameters: { target: { tables: ['orders', 'users'] } },
      labels: { ticket: 'OPS-1' },
      agent: { model: 'gpt' },
      context: { recentDenials: 2 },
    });
    expect(evaluatePolicy(policy, input).rule).toBe('all');
    expect(evaluatePolicy(policy, { ...input, now: '2030-01-15T11:00:00Z' }).rule).toBe('default');
  });

  it('a runtime error fails closed for a deny rule: it matches, with a whenError note', () => {
    const policy = policyOf([{ name: 'deny-big', when: 'parameters.rows > 1000', effect: 'deny' }]);
    const decision = evaluatePolicy(policy, request({ parameters: {} }));
    expect(decision).toMatchObject({ effect: 'deny', rule: 'deny-big' });
    expect(decision.notes).toEqual([
      {
        kind: 'whenError',
        rule: 'deny-big',
        message: expect.stringContaining('No such key: rows'),
        treatedAs: 'match',
      },
    ]);
  });

  it('a runtime error fails closed for a require_approval rule too', () => {
    const policy = policyOf(
      [
        {
          name: 'ask',
          when: 'parameters.rows > 1000',
          effect: 'require_approval',
          stages: [{ approvers: ['dba'], timeout: '1h' }],
        },
      ],
      { default: { effect: 'allow' } },
    );
    expect(evaluatePolicy(policy, request()).rule).toBe('ask');
  });

  it('a runtime error fails closed for an allow rule: it does not match', () => {
    const policy = policyOf([{ name: 'allow-small', when: 'parameters.rows < 10', effect: 'allow' }], {
      default: { effect: 'require_approval', stages: [{ approvers: ['security'], timeout: '1h' }] },
    });
    const decision = evaluatePolicy(policy, request({ parameters: { rows: 'many' } }));
    expect(decision).toMatchObject({ effect: 'require_approval', rule: 'default' });
    expect(decision.notes).toMatchObject([{ kind: 'whenError', rule: 'allow-small', treatedAs: 'no_match' }]);
  });

  it('a non-boolean result at run time fails closed', () => {
    const policy = policyOf([
      { name: 'allow-flag', when: 'parameters.flag', effect: 'allow' },
      { name: 'deny-flag', when: 'parameters.flag', effect: 'deny' },
    ]);
    const decision = evaluatePolicy(policy, request({ parameters: { flag: 'yes' } }));
    expect(decision).toMatchObject({ effect: 'deny', rule: 'deny-flag' });
    expect(decision.notes?.map((n) => [n.rule, n.treatedAs])).toEqual([
      ['allow-flag', 'no_match'],
      ['deny-flag', 'match'],
    ]);
    expect(decision.notes?.[0]?.message).toContain('not a bool');
    expect(evaluatePolicy(policy, request({ parameters: { flag: true } })).rule).toBe('allow-flag');
  });

  it('an invalid now fails closed', () => {
    const policy = policyOf([{ name: 'hours', when: 'now.getHours() < 6', effect: 'deny' }]);
    expect(evaluatePolicy(policy, request({ now: 'yesterday' })).notes?.[0]?.treatedAs).toBe('match');
  });
});

describe('policy helpers', () => {
  it('groupsOf lists the groups of an identity, case-insensitively', () => {
    expect(groupsOf(spec, 'DANA@example.com')).toEqual(['dba']);
    expect(groupsOf(spec, 'nobody@example.com')).toEqual([]);
  });

  it('identity mappings for Teams and Slack', () => {
    expect(identitiesFor(spec)).toEqual([
      {
        email: 'dana@example.com',
        teams: { aadObjectId: '00000000-0000-0000-0000-00000000000d' },
        slack: { userId: 'U0DANA' },
      },
    ]);
    expect(identityForTeams(spec, '00000000-0000-0000-0000-00000000000D')).toBe('dana@example.com');
    expect(identityForTeams(spec, 'unknown')).toBeUndefined();
    expect(identityForSlack(spec, 'U0DANA')).toBe('dana@example.com');
    expect(identityForSlack(spec, 'U0OTHER')).toBeUndefined();
  });

  it('a Slack mapping with a teamId only matches that team', () => {
    const policy = policyOf([], {
      identities: [{ email: 'a@example.com', slack: { userId: 'U1', teamId: 'T1' } }],
    });
    expect(identityForSlack(policy, 'U1', 'T1')).toBe('a@example.com');
    expect(identityForSlack(policy, 'U1', 'T2')).toBeUndefined();
    expect(identityForSlack(policy, 'U1')).toBeUndefined();
  });

  it('channelsOf lists the named destinations', () => {
    expect(channelsOf(spec)).toEqual([
      { name: 'dba-teams', teams: { conversationRef: 'dba' } },
      { name: 'dba-slack', slack: { channel: 'C0DBA' } },
    ]);
  });

  it('describePolicy is a JSON-safe summary', () => {
    const summary = describePolicy(spec);
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
    expect(summary.version).toBe(spec.version);
    expect(summary.rules.map((r) => r.name)).toEqual(['never-drop-prod', 'prod-data-export', 'low-risk']);
    expect(summary.rules[1]!.stages[0]).toMatchObject({ timeout: '15m', timeoutMs: 900_000 });
    expect(summary.default).toMatchObject({ explicit: true, effect: 'require_approval' });
    expect(summary.groups?.dba).toEqual(['dana@example.com', 'dev@example.com']);
    expect(summary.channels).toHaveLength(2);
  });

  it('describePolicy names the file, never where it lives on the server', () => {
    const loaded = parsePolicy(SPEC_POLICY, '/etc/airlock/secret-place/policy.yaml');
    const summary = describePolicy(loaded);
    expect(summary.source).toBe('policy.yaml');
    expect(summary.version).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(summary)).not.toContain('/etc/airlock');
    expect(JSON.stringify(describePolicy(loaded, 'requester'))).not.toContain('secret-place');
  });

  it("describePolicy shows a requester what a dry run needs, and none of the policy's people or channels", () => {
    const withPeople = policyOf(
      [
        {
          name: 'vip',
          match: { action: 'db.*', requester: 'ceo@example.com' },
          when: 'requester == "cfo@example.com"',
          effect: 'allow',
        },
        {
          name: 'exports',
          match: { action: 'db.export' },
          effect: 'require_approval',
          risk: 'high',
          stages: [
            { approvers: ['dba', 'sec@example.com'], minApprovals: 2, timeout: '15m', notify: ['dba-slack'] },
          ],
        },
      ],
      {
        identities: [{ email: 'dana@example.com', slack: { userId: 'U0DANA' } }],
        channels: { 'dba-slack': { slack: { channel: 'C0DBA' } } },
      },
    );
    const full = describePolicy(withPeople, 'full');
    expect(JSON.stringify(full)).toContain('U0DANA');
    const seen = describePolicy(withPeople, 'requester');
    const text = JSON.stringify(seen);
    for (const secret of ['@example.com', 'U0DANA', 'C0DBA', 'dba-slack', '"dba"'])
      expect(text).not.toContain(secret);
    expect(seen).not.toHaveProperty('groups');
    expect(seen).not.toHaveProperty('identities');
    expect(seen).not.toHaveProperty('channels');
    expect(seen.rules).toEqual([
      expect.objectContaining({
        name: 'vip',
        match: { action: 'db.*' },
        conditions: ['requester', 'when'],
        effect: 'allow',
      }),
      expect.objectContaining({
        name: 'exports',
        match: { action: 'db.export' },
        conditions: [],
        effect: 'require_approval',
        risk: 'high',
      }),
    ]);
    expect(seen.rules[1]!.stages).toEqual([
      { minApprovals: 2, timeoutMs: 900_000, timeout: '15m', reminderBefore: null, reminderBeforeMs: null },
    ]);
    const dry = decisionForView(evaluatePolicy(withPeople, request({ action: 'db.export' })), 'requester');
    expect(dry).toMatchObject({ rule: 'exports', effect: 'require_approval', stages: [{ minApprovals: 2 }] });
    expect(JSON.stringify(dry)).not.toContain('@example.com');
    expect(JSON.stringify(dry)).not.toContain('dba-slack');
  });
});

describe('demo/policy.yaml', () => {
  it('loads and gives the documented decisions', async () => {
    const demo = await loadPolicyFile('demo/policy.yaml');
    const at = (action: string, environment: string, parameters: Record<string, unknown> = {}) =>
      evaluatePolicy(demo, request({ action, environment, parameters }));
    expect(at('db.schema.migrate', 'production', { sql: 'DROP TABLE users' }).effect).toBe('deny');
    const exportDecision = at('db.export', 'production');
    expect(exportDecision).toMatchObject({
      rule: 'prod-data-export',
      risk: 'high',
      requireJustification: { minLength: 20 },
    });
    expect(exportDecision.stages).toHaveLength(2);
    const http = at('http.request', 'production');
    expect(http.stages).toEqual([
      expect.objectContaining({ approverIdentities: ['dana@example.com'], timeoutMs: 900_000 }),
    ]);
    expect(at('db.grant', 'production')).toMatchObject({ effect: 'require_approval', rule: 'prod-db-grant' });
    expect(at('db.export', 'dev')).toMatchObject({ effect: 'allow', risk: 'low' });
    const fallback = at('iam.escalate', 'production');
    expect(fallback).toMatchObject({ effect: 'require_approval', rule: 'default' });
    expect(fallback.stages[0]).toMatchObject({
      approverIdentities: ['sec@example.com'],
      timeoutMs: 3_600_000,
    });
    for (const decision of [exportDecision, http, fallback]) {
      for (const stage of decision.stages) expect(stage.approverIdentities).not.toContain('ci@example.com');
    }
  });
});
