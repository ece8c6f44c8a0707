// action.yml run as GitHub's runner runs a composite step: its `env` expressions filled from the
// inputs, its script under `bash -eo pipefail` (GitHub's bash shell) from the action's directory, outputs read from GITHUB_OUTPUT.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startHttpTarget } from '../../fakes/http-target.js';
import { type Harness, startHarness } from '../../support/harness.js';
import { CLI_POLICY, CLI_PRINCIPALS, cliConfig } from './world.js';

interface ActionYaml {
  inputs: Record<string, { required?: boolean; default?: string }>;
  runs: { using: string; steps: { id: string; shell: string; env: Record<string, string>; run: string }[] };
}
const actionYaml = parse(readFileSync('action.yml', 'utf8')) as ActionYaml;

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
beforeAll(async () => {
  target = await startHttpTarget();
  h = await startHarness({ policy: CLI_POLICY, config: cliConfig(target.url), principals: CLI_PRINCIPALS });
});
afterAll(async () => {
  await h?.stop();
  await target?.close();
});

/** Runs the step with these inputs; the exit code and the outputs it wrote. */
async function runStep(
  inputs: Record<string, string>,
): Promise<{ code: number; outputs: Record<string, string>; stdout: string }> {
  const [step] = actionYaml.runs.steps;
  const value = (name: string) => inputs[name] ?? actionYaml.inputs[name]?.default ?? '';
  const env: Record<string, string> = {};
  for (const [key, expr] of Object.entries(step!.env))
    env[key] = expr.replace(/\$\{\{\s*inputs\.([a-z-]+)\s*\}\}/g, (_, name: string) => value(name));
  const dir = mkdtempSync(join(tmpdir(), 'airlock-gha-'));
  const outputFile = join(dir, 'output');
  const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step!.run], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      GITHUB_ACTIONS: 'true',
      GITHUB_ACTION_PATH: process.cwd(),
      GITHUB_OUTPUT: outputFile,
      RUNNER_TEMP: dir,
      ...env,
    },
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  const code = await new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)));
  const outputs: Record<string, string> = {};
  let text = '';
  try {
    text = readFileSync(outputFile, 'utf8');
  } catch {
    // No outputs written.
  }
  for (const line of text.split('\n').filter(Boolean)) {
    const at = line.indexOf('=');
    outputs[line.slice(0, at)] = line.slice(at + 1);
  }
  return { code, outputs, stdout };
}

it('the script never splices an input into its text (only env carries them)', () => {
  expect(actionYaml.runs.using).toBe('composite');
  expect(actionYaml.runs.steps[0]!.run).not.toMatch(/\$\{\{/);
});

it('approves a dev deploy: exit 0, id and status as outputs, the token masked', async () => {
  const r = await runStep({
    url: h.url,
    token: h.keys['ci@example.com']!,
    action: 'deploy.api',
    resource: 'k8s://prod/api',
    environment: 'dev',
    parameters: '{"image":"api:7"}',
    justification: 'release 7',
    wait: '30',
  });
  expect(r.code).toBe(0);
  expect(r.outputs).toMatchObject({ status: 'approved', id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  expect(r.stdout).toContain(`::add-mask::${r.outputs['approval-token']}`);
  const stored = await h.api('ci@example.com', `/v1/actions/${r.outputs.id}`);
  expect(stored.body.request).toMatchObject({ parameters: { image: 'api:7' }, justification: 'release 7' });
});

it('fails the step with the CLI code when nobody decides in time (12, cancelled)', async () => {
  const r = await runStep({
    url: h.url,
    token: h.keys['ci@example.com']!,
    action: 'deploy.api',
    resource: 'k8s://prod/api',
    environment: 'production',
    wait: '1',
  });
  expect(r.code).toBe(12);
  expect(r.outputs.status).toBe('cancelled');
});
