// Shared fixtures for the policy unit tests: a temp dir with real files and a minimal request.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicyInput } from '../../../policy/types.js';

export async function tempDir(): Promise<{
  dir: string;
  write(name: string, text: string): Promise<string>;
  cleanup(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-policy-'));
  return {
    dir,
    async write(name, text) {
      const path = join(dir, name);
      await writeFile(path, text);
      return path;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export function request(overrides: Partial<PolicyInput> = {}): PolicyInput {
  return {
    action: 'db.export',
    resource: 'postgres://analytics/customers',
    environment: 'production',
    parameters: {},
    requester: 'ci@example.com',
    now: '2030-01-15T10:00:00Z',
    ...overrides,
  };
}

/** The SPEC 3 example policy, verbatim apart from this comment. */
export const SPEC_POLICY = `version: 1
groups:
  dba: [dana@example.com, dev@example.com]
  sre-oncall: [sam@example.com]
  security: [sec@example.com]
identities:
  - email: dana@example.com
    teams: { aadObjectId: 00000000-0000-0000-0000-00000000000d }
    slack: { userId: U0DANA }
channels:
  dba-teams: { teams: { conversationRef: dba } }
  dba-slack: { slack: { channel: C0DBA } }
rules:
  - name: never-drop-prod
    match: { action: "db.schema.*", environment: production }
    when: 'parameters.sql.matches("(?i)\\\\bdrop\\\\s+table\\\\b")'
    effect: deny
    reason: DROP TABLE in production is never run through automation
  - name: prod-data-export
    match: { action: db.export, environment: production }
    effect: require_approval
    risk: high
    requireJustification: { minLength: 20 }
    stages:
      - { approvers: [dba], minApprovals: 1, timeout: 15m, notify: [dba-teams, dba-slack] }
      - { approvers: [sre-oncall, security], minApprovals: 1, timeout: 30m, notify: [dba-teams] }
  - name: low-risk
    match: { environment: [dev, staging] }
    effect: allow
default: { effect: require_approval, stages: [{ approvers: [security], timeout: 1h }] }
`;
