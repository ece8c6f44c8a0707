// The world of the CLI tests: the demo policy's coding-agent rules (agent-reads,
// agent-risky-shell, agent-shell) as they ship, free dev requests, production asking dana, a
// staging stage that expires in two seconds; gate-mode deploys and agent tools, an http target
// for managed requests, and GitHub Actions' subjects mapped to a requester.
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import type { CliIo } from '../../../cli/io.js';
import { runCli } from '../../../cli/program.js';

const demo = parse(readFileSync('demo/policy.yaml', 'utf8')) as { rules: { name: string }[] };
export const AGENT_RULES = demo.rules.filter((r) => r.name.startsWith('agent-'));

export const CLI_POLICY = stringify({
  version: 1,
  groups: { dba: ['dana@example.com'] },
  rules: [
    ...AGENT_RULES,
    { name: 'dev-is-free', match: { environment: 'dev' }, effect: 'allow' },
    {
      name: 'staging-expires',
      match: { environment: 'staging' },
      effect: 'require_approval',
      stages: [{ approvers: ['dba'], timeout: '2s' }],
    },
    {
      name: 'production',
      match: { environment: 'production' },
      effect: 'require_approval',
      stages: [{ approvers: ['dba'], timeout: '10m' }],
    },
  ],
  default: { effect: 'deny', reason: 'not in this world' },
});

export function cliConfig(targetUrl: string): string {
  return `targets:
  echo-dev: { type: http, environment: dev, resources: ["admin-api:*"], baseUrl: "${targetUrl}" }
actions:
  - { match: "http.*", executor: http.request, target: echo-dev }
  - { match: "agent.tool.*", executor: callback, environment: [dev] }
  - { match: "*", executor: callback, environment: [production, dev, staging] }
gate:
  tokenTtl: 1m
  completionTimeout: 1m
oidc:
  subjects:
    - { match: "repo:acme/deploy:*", principal: "github:acme/deploy", roles: [requester] }
`;
}

export const CLI_PRINCIPALS = [
  { principal: 'ci@example.com', roles: ['requester'] },
  { principal: 'dana@example.com', roles: ['approver'] },
];

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string[];
  /** stdout as JSON (undefined when it is not). */
  json: any;
}

/** Runs the CLI in this process with its own stdio, environment and stdin. */
export function startCli(
  args: string[],
  env: Record<string, string | undefined>,
  stdin = '',
): { stderr: string[]; done: Promise<CliRun> } {
  const out: string[] = [];
  const stderr: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => stderr.push(l),
    env,
    isTTY: false,
    readStdin: async () => stdin,
  };
  const done = runCli(args, io).then((code) => {
    const stdout = out.join('\n');
    let json: unknown;
    try {
      json = JSON.parse(stdout);
    } catch {
      json = undefined;
    }
    return { code, stdout, stderr, json };
  });
  return { stderr, done };
}

/** The request id the CLI announced on stderr (`submitted <id>: ...`). */
export function submittedId(stderr: string[]): string | undefined {
  for (const line of stderr) {
    const m = /^submitted ([0-9a-f-]{36})/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}
