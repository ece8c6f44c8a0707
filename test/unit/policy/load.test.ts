import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadPolicyFile, PolicyLoadError, parsePolicy } from '../../../policy/load.js';
import { SPEC_POLICY, tempDir } from './helpers.js';

type Doc = Record<string, unknown>;

function base(): Doc {
  return {
    version: 1,
    groups: { dba: ['dana@example.com'], security: ['sec@example.com'] },
    channels: { 'dba-teams': { teams: { conversationRef: 'dba' } } },
    rules: [
      { name: 'never-drop-prod', match: { action: 'db.schema.*' }, effect: 'deny' },
      {
        name: 'prod-data-export',
        match: { action: 'db.export', environment: 'production' },
        effect: 'require_approval',
        stages: [{ approvers: ['dba'], timeout: '15m', notify: ['dba-teams'] }],
      },
    ],
  };
}

/** Writes `doc` to a real file and returns the PolicyLoadError thrown by loading it. */
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(() => dir.cleanup());

async function loadError(doc: Doc | string): Promise<PolicyLoadError> {
  const path = await dir.write('policy.yaml', typeof doc === 'string' ? doc : stringify(doc));
  const error = await loadPolicyFile(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PolicyLoadError);
  const loadErr = error as PolicyLoadError;
  expect(loadErr.message).toContain(`policy file ${path}: `);
  return loadErr;
}

function withRule(index: number, patch: (rule: Doc) => void): Doc {
  const doc = base();
  patch((doc.rules as Doc[])[index]!);
  return doc;
}

function withStage(patch: (stage: Doc) => void): Doc {
  return withRule(1, (rule) => patch((rule.stages as Doc[])[0]!));
}

describe('parsePolicy', () => {
  it('loads the SPEC example and hashes the content', () => {
    const policy = parsePolicy(SPEC_POLICY, 'spec.yaml');
    expect(policy.rules.map((r) => r.name)).toEqual(['never-drop-prod', 'prod-data-export', 'low-risk']);
    expect(policy.version).toMatch(/^[0-9a-f]{64}$/);
    expect(policy.source).toBe('spec.yaml');
    expect(policy.hasDefault).toBe(true);
  });

  it('applies defaults: risk by effect, minApprovals 1, notify [], denyReasonRequired true', () => {
    const policy = parsePolicy(SPEC_POLICY, 'spec.yaml');
    const [drop, exportRule, lowRisk] = policy.rules;
    expect(drop!.risk).toBe('medium');
    expect(exportRule!.risk).toBe('high');
    expect(lowRisk!.risk).toBe('low');
    expect(policy.fallback.risk).toBe('medium');
    expect(policy.fallback.stages[0]).toMatchObject({ minApprovals: 1, notify: [], timeoutMs: 3_600_000 });
    expect(drop!.denyReasonRequired).toBe(true);
  });

  it('lower-cases group members and identities', () => {
    const doc = base();
    doc.groups = { dba: ['Dana@Example.COM'], security: ['sec@example.com'] };
    doc.identities = [{ email: 'Dana@Example.com', slack: { userId: 'U1' } }];
    const policy = parsePolicy(stringify(doc), 'p.yaml');
    expect(policy.policy.groups.dba).toEqual(['dana@example.com']);
    expect(policy.policy.identities[0]!.email).toBe('dana@example.com');
  });

  it('keeps identities in their canonical form, and refuses those that have none', () => {
    const doc = base();
    doc.groups = { dba: ['ｄａｎａ@example.com', 'dev@example.com.'], security: ['sec@example.com'] };
    const policy = parsePolicy(stringify(doc), 'p.yaml');
    expect(policy.policy.groups.dba).toEqual(['dana@example.com', 'dev@example.com']);
    for (const bad of ['dana\u200b@example.com', 'mailto:dana@example.com', 'dаna@example.com']) {
      const broken = base();
      broken.groups = { dba: [bad], security: ['sec@example.com'] };
      expect(() => parsePolicy(stringify(broken), 'p.yaml')).toThrow(
        /groups\.dba\[0\].*invalid e-mail address/,
      );
    }
    const direct = base();
    (direct.rules as Doc[])[1]!.stages = [{ approvers: ['mailto:sec@example.com'], timeout: '15m' }];
    expect(() => parsePolicy(stringify(direct), 'p.yaml')).toThrow(/approvers\[0\].*without mailto/);
  });

  it('changes the version when the content changes, even by a comment', () => {
    const a = parsePolicy(SPEC_POLICY, 'p.yaml');
    const b = parsePolicy(`${SPEC_POLICY}# tweak\n`, 'p.yaml');
    expect(a.version).not.toBe(b.version);
    expect(parsePolicy(SPEC_POLICY, 'other.yaml').version).toBe(a.version);
  });

  it('does not interpolate environment variables', () => {
    process.env.AIRLOCK_TEST_GROUP_MEMBER = 'x';
    const placeholder = '$' + '{AIRLOCK_TEST_GROUP_MEMBER}';
    const doc = base();
    doc.rules = [{ name: placeholder, effect: 'deny' }];
    try {
      expect(parsePolicy(stringify(doc), 'p.yaml').rules[0]!.name).toBe(placeholder);
    } finally {
      delete process.env.AIRLOCK_TEST_GROUP_MEMBER;
    }
  });
});

describe('load errors name the file, the rule and the field', () => {
  it('invalid duration', async () => {
    const error = await loadError(withStage((s) => (s.timeout = '15x')));
    expect(error.message).toContain(
      'rules[1] (prod-data-export).stages[0].timeout: invalid duration "15x" (use e.g. 30s, 15m, 1h)',
    );
  });

  it('a number where a duration belongs', async () => {
    const error = await loadError(withStage((s) => (s.timeout = 900)));
    expect(error.message).toContain('rules[1] (prod-data-export).stages[0].timeout: invalid duration 900');
  });

  it('unknown keys in a rule, a stage, a match and at the top', async () => {
    const doc = withRule(0, (r) => {
      r.efect = 'deny';
      (r.match as Doc).env = 'production';
    });
    ((doc.rules as Doc[])[1]!.stages as Doc[])[0]!.approver = 'dba';
    doc.grups = {};
    const error = await loadError(doc);
    expect(error.message).toContain('rules[0] (never-drop-prod).efect: unknown field');
    expect(error.message).toContain('rules[0] (never-drop-prod).match.env: unknown field');
    expect(error.message).toContain('rules[1] (prod-data-export).stages[0].approver: unknown field');
    expect(error.message).toContain('grups: unknown field');
  });

  it('a missing required field', async () => {
    const error = await loadError(withRule(0, (r) => delete r.effect));
    expect(error.message).toContain('rules[0] (never-drop-prod).effect: is required');
  });

  it('an invalid effect and risk', async () => {
    const error = await loadError(
      withRule(0, (r) => {
        r.effect = 'block';
        r.risk = 'severe';
      }),
    );
    expect(error.message).toMatch(/rules\[0\] \(never-drop-prod\)\.effect: .*allow.*deny.*require_approval/);
    expect(error.message).toMatch(/rules\[0\] \(never-drop-prod\)\.risk: .*critical/);
  });

  it('require_approval without stages', async () => {
    const error = await loadError(withRule(1, (r) => delete r.stages));
    expect(error.message).toContain(
      'rules[1] (prod-data-export).stages: effect require_approval needs at least one stage',
    );
  });

  it('require_approval with an empty stage list', async () => {
    const error = await loadError(withRule(1, (r) => (r.stages = [])));
    expect(error.message).toContain(
      'rules[1] (prod-data-export).stages: effect require_approval needs at least one stage',
    );
  });

  it('allow or deny with stages', async () => {
    const error = await loadError(withRule(0, (r) => (r.stages = [{ approvers: ['dba'], timeout: '1h' }])));
    expect(error.message).toContain('rules[0] (never-drop-prod).stages: effect deny must not have stages');
  });

  it('an unknown approver group', async () => {
    const error = await loadError(withStage((s) => (s.approvers = ['dba', 'dbas'])));
    expect(error.message).toContain(
      'rules[1] (prod-data-export).stages[0].approvers[1]: unknown group "dbas"',
    );
    expect(error.message).toContain('known groups: dba, security');
  });

  it('accepts a direct e-mail approver', () => {
    const doc = withStage((s) => (s.approvers = ['Boss@Example.com']));
    expect(parsePolicy(stringify(doc), 'p.yaml').rules[1]!.stages[0]!.approverIdentities).toEqual([
      'boss@example.com',
    ]);
  });

  it('an unknown notify channel', async () => {
    const error = await loadError(withStage((s) => (s.notify = ['dba-teams', 'dba-slak'])));
    expect(error.message).toContain(
      'rules[1] (prod-data-export).stages[0].notify[1]: unknown channel "dba-slak" (known channels: dba-teams)',
    );
  });

  it('minApprovals larger than the distinct approvers of the stage', async () => {
    const doc = withStage((s) => {
      s.approvers = ['dba', 'dana@example.com'];
      s.minApprovals = 2;
    });
    const error = await loadError(doc);
    expect(error.message).toContain(
      'rules[1] (prod-data-export).stages[0].minApprovals: minApprovals 2 exceeds the 1 distinct approver(s) of this stage (dana@example.com)',
    );
  });

  it('duplicate rule names', async () => {
    const error = await loadError(withRule(1, (r) => (r.name = 'never-drop-prod')));
    expect(error.message).toContain('rules[1] (never-drop-prod).name: duplicate rule name (also rules[0])');
  });

  it('reminderBefore not shorter than the timeout', async () => {
    const error = await loadError(withStage((s) => (s.reminderBefore = '15m')));
    expect(error.message).toContain(
      'rules[1] (prod-data-export).stages[0].reminderBefore: reminderBefore 15m must be shorter than the timeout 15m',
    );
  });

  it("an empty timeout beside a reminder is the timeout field's error, not a crash (found by the fuzz suite)", async () => {
    const error = await loadError(
      withStage((s) => {
        s.timeout = '';
        s.reminderBefore = '2s';
      }),
    );
    expect(error.message).toContain('rules[1] (prod-data-export).stages[0].timeout: invalid duration ""');
  });

  it('an aadObjectId or Slack userId mapped to two e-mails', async () => {
    const doc = base();
    doc.identities = [
      { email: 'dana@example.com', teams: { aadObjectId: 'AAA' }, slack: { userId: 'U1' } },
      { email: 'sam@example.com', teams: { aadObjectId: 'aaa' }, slack: { userId: 'U1' } },
    ];
    const error = await loadError(doc);
    expect(error.message).toContain(
      'identities[1].teams.aadObjectId: aadObjectId "aaa" is already mapped to dana@example.com (identities[0])',
    );
    expect(error.message).toContain(
      'identities[1].slack.userId: Slack userId "U1" is already mapped to dana@example.com (identities[0])',
    );
  });

  it('a channel without a destination', async () => {
    const doc = base();
    doc.channels = { 'dba-teams': {} };
    const error = await loadError(doc);
    expect(error.message).toContain('channels.dba-teams: a channel needs a teams or a slack destination');
  });

  it('an invalid group member', async () => {
    const doc = base();
    doc.groups = { dba: ['dana'], security: ['sec@example.com'] };
    const error = await loadError(doc);
    expect(error.message).toContain('groups.dba[0]: invalid e-mail address "dana"');
  });

  it('a CEL syntax error is a load error', async () => {
    const error = await loadError(withRule(0, (r) => (r.when = 'parameters.sql.matches(')));
    expect(error.message).toMatch(/rules\[0\] \(never-drop-prod\)\.when: syntax error: .+ \(at column \d+\)/);
  });

  it('a CEL type error and an unknown variable are load errors', async () => {
    const error = await loadError(withRule(0, (r) => (r.when = 'action + 1 == 2')));
    expect(error.message).toContain(
      'rules[0] (never-drop-prod).when: type error: no such overload: string + int',
    );
    const unknown = await loadError(withRule(0, (r) => (r.when = 'actor == "x"')));
    expect(unknown.message).toContain('rules[0] (never-drop-prod).when: type error: Unknown variable: actor');
  });

  it('a when that is not a bool is a load error', async () => {
    const error = await loadError(withRule(0, (r) => (r.when = 'action')));
    expect(error.message).toContain(
      'rules[0] (never-drop-prod).when: must evaluate to a bool, but has type string',
    );
  });

  it('an invalid regular expression literal is a load error', async () => {
    const error = await loadError(withRule(0, (r) => (r.when = 'resource.matches("(unclosed")')));
    expect(error.message).toContain(
      'rules[0] (never-drop-prod).when: invalid regular expression "(unclosed"',
    );
  });

  it('YAML syntax errors name the line and column', async () => {
    const error = await loadError('version: 1\nrules: [\n  - name: x\n');
    expect(error.message).toMatch(/YAML syntax error at line \d+, column \d+: /);
    const dup = await loadError('version: 1\nrules: []\nrules: []\n');
    expect(dup.message).toContain('YAML syntax error at line 3, column 1: Map keys must be unique');
    // A list as a key has no JSON form: refused where it is, not stringified with a warning.
    const listKey = await loadError('version: 1\nrules: []\n[a]: 1\n');
    expect(listKey.message).toContain(
      'a mapping key must be a plain value, not a list or a mapping (line 3, column 1)',
    );
  });

  it('a wrong or missing version', async () => {
    const wrong = await loadError({ ...base(), version: 2 });
    expect(wrong.message).toContain('version: unsupported policy version 2 (expected 1)');
    const doc = base();
    delete doc.version;
    const missing = await loadError(doc);
    expect(missing.message).toContain('version: is required');
  });

  it('an empty file and a file that is not a mapping', async () => {
    expect((await loadError('# nothing\n')).message).toContain('the file is empty');
    expect((await loadError('- a\n- b\n')).message).toContain(
      'the policy must be a YAML mapping, got a list',
    );
  });

  it('a missing file', async () => {
    const error = await loadPolicyFile(`${dir.dir}/absent.yaml`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyLoadError);
    expect((error as Error).message).toMatch(/^policy file .*absent\.yaml: cannot read: .*ENOENT/);
  });

  it('lists several problems, one per line, each naming the file', async () => {
    const doc = withStage((s) => {
      s.timeout = '15x';
      s.notfield = true;
    });
    (doc.rules as Doc[])[0]!.effect = 'nope';
    const error = await loadError(doc);
    const lines = error.message.split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(/^policy file .*policy\.yaml: rules\[\d\] \(/);
    expect(error.issues).toHaveLength(3);
    expect(error.issues.map((i) => i.path)).toContain('rules[1] (prod-data-export).stages[0].timeout');
  });
});
