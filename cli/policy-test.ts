// Policy tests as data (SPEC 3): a YAML file of requests and the decision each must get, run
// against a policy file with no service, no Temporal and no side effects.
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { evaluatePolicy } from '../policy/evaluate.js';
import type { LoadedPolicy } from '../policy/load.js';

const caseSchema = z.strictObject({
  name: z.string().min(1),
  request: z.strictObject({
    action: z.string().min(1),
    resource: z.string().default('test-resource'),
    environment: z.string().min(1),
    requester: z.string().default('tester@example.com'),
    parameters: z.record(z.string(), z.unknown()).default({}),
    justification: z.string().optional(),
    agent: z.record(z.string(), z.string()).optional(),
    labels: z.record(z.string(), z.string()).optional(),
    now: z.string().optional(),
  }),
  expect: z.strictObject({
    effect: z.enum(['allow', 'deny', 'require_approval']),
    rule: z.string().optional(),
    risk: z.enum(['low', 'medium', 'high', 'critical']).optional(),
    approvers: z.array(z.string()).optional(),
  }),
});

export const policyCasesSchema = z.strictObject({ cases: z.array(caseSchema).min(1) });

export interface CaseResult {
  name: string;
  ok: boolean;
  problems: string[];
}

export async function runPolicyCases(policy: LoadedPolicy, casesFile: string): Promise<CaseResult[]> {
  const parsed = policyCasesSchema.safeParse(parse(await readFile(casesFile, 'utf8')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${casesFile}: ${i.path.join('.')}: ${i.message}`);
    throw new Error(lines.join('\n'));
  }
  return parsed.data.cases.map((c) => {
    const decision = evaluatePolicy(policy, { ...c.request, now: c.request.now ?? new Date().toISOString() });
    const problems: string[] = [];
    if (decision.effect !== c.expect.effect)
      problems.push(`effect: expected ${c.expect.effect}, got ${decision.effect}`);
    if (c.expect.rule && decision.rule !== c.expect.rule)
      problems.push(`rule: expected ${c.expect.rule}, got ${decision.rule}`);
    if (c.expect.risk && decision.risk !== c.expect.risk)
      problems.push(`risk: expected ${c.expect.risk}, got ${decision.risk}`);
    if (c.expect.approvers) {
      const got = decision.stages[0]?.approvers ?? [];
      if (got.join(',') !== c.expect.approvers.join(','))
        problems.push(`approvers: expected ${c.expect.approvers.join(',')}, got ${got.join(',')}`);
    }
    return { name: c.name, ok: problems.length === 0, problems };
  });
}
