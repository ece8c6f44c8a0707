// `airlock hook claude-code` against the real service and the demo policy's coding-agent rules:
// a Read is allowed at once, a `Bash rm -rf` waits until an approver decides, and it fails closed
// (deny, with the reason) on timeout, when Airlock is down, and on an event it cannot read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { CLI_POLICY, CLI_PRINCIPALS, cliConfig, startCli } from './world.js';

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

let toolUse = 0;
/** A hook event as Claude Code writes it on the hook's stdin. */
const event = (tool: string, input: Record<string, unknown>, name = 'PreToolUse') =>
  JSON.stringify({
    session_id: 'sess-1',
    transcript_path: '/home/dev/.claude/projects/app/sess-1.jsonl',
    cwd: '/home/dev/app',
    permission_mode: 'default',
    hook_event_name: name,
    tool_name: tool,
    tool_input: input,
    tool_use_id: `toolu_${++toolUse}`,
  });

const hook = (stdin: string, extra: string[] = [], url?: string) =>
  startCli(
    ['hook', 'claude-code', ...extra],
    { AIRLOCK_URL: url ?? h.url, AIRLOCK_TOKEN: h.keys['ci@example.com'] },
    stdin,
  );

describe('airlock hook claude-code', () => {
  it('allows a Read at once (rule agent-reads), and the request records it', async () => {
    const r = await hook(event('Read', { file_path: '/home/dev/app/src/main.ts' })).done;
    expect(r.code).toBe(0);
    expect(r.json.hookSpecificOutput).toMatchObject({
      hookEventName: 'PreToolUse',
      permissionDecision: 'allow',
    });
    const id = /Airlock ([0-9a-f-]{36})/.exec(r.json.hookSpecificOutput.permissionDecisionReason)![1];
    const done = await eventually(async () => {
      const a = await h.api('ci@example.com', `/v1/actions/${id}`);
      return a.body.status === 'succeeded' ? a.body : undefined;
    });
    expect(done).toMatchObject({
      request: {
        action: 'agent.tool.read',
        resource: 'claude-code:/home/dev/app',
        environment: 'dev',
        parameters: { file_path: '/home/dev/app/src/main.ts' },
        agent: { name: 'claude-code', session: 'sess-1' },
      },
      policy: { rule: 'agent-reads' },
    });
  });

  it('answers a PermissionRequest in its own shape', async () => {
    const r = await hook(event('Grep', { pattern: 'TODO' }, 'PermissionRequest')).done;
    expect(r.json).toEqual({
      hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'allow' } },
    });
  });

  it('waits on a Bash rm -rf until an approver decides', async () => {
    const running = hook(event('Bash', { command: 'rm -rf ./dist', description: 'clean the build' }), [
      '--wait',
      '30',
    ]);
    const pending = await eventually(async () => {
      const page = await h.api(
        'dana@example.com',
        '/v1/actions?action=agent.tool.bash&status=pending_approval',
      );
      return page.body.items?.[0] as { id: string } | undefined;
    });
    const approved = await h.api('dana@example.com', `/v1/actions/${pending.id}/decisions`, {
      body: { decision: 'approve', reason: 'it is the build folder' },
    });
    expect(approved.status).toBe(200);
    const r = await running.done;
    expect(r.json.hookSpecificOutput).toMatchObject({
      permissionDecision: 'allow',
      permissionDecisionReason: `Airlock ${pending.id}: approved by dana@example.com`,
    });
  });

  it('denies a Bash rm -rf nobody decides in time, and cancels the request', async () => {
    const r = await hook(event('Bash', { command: 'rm -rf /' }), ['--wait', '2']).done;
    expect(r.json.hookSpecificOutput.permissionDecision).toBe('deny');
    expect(r.json.hookSpecificOutput.permissionDecisionReason).toMatch(/no decision within 2 s; denied$/);
    const id = /Airlock ([0-9a-f-]{36})/.exec(r.json.hookSpecificOutput.permissionDecisionReason)![1];
    expect((await h.api('ci@example.com', `/v1/actions/${id}`)).body.status).toBe('cancelled');
  });

  it('denies with the approver reason', async () => {
    const running = hook(event('Bash', { command: 'git push --force origin main' }), ['--wait', '30']);
    const pending = await eventually(async () => {
      const page = await h.api(
        'dana@example.com',
        '/v1/actions?action=agent.tool.bash&status=pending_approval',
      );
      return page.body.items?.[0] as { id: string } | undefined;
    });
    await h.api('dana@example.com', `/v1/actions/${pending.id}/decisions`, {
      body: { decision: 'deny', reason: 'never force-push main' },
    });
    const r = await running.done;
    expect(r.json.hookSpecificOutput).toMatchObject({
      permissionDecision: 'deny',
      permissionDecisionReason: `Airlock ${pending.id}: denied by dana@example.com: never force-push main`,
    });
  });

  it('denies when Airlock is down, and when the event cannot be read', async () => {
    const down = await hook(event('Bash', { command: 'ls' }), [], 'http://127.0.0.1:9').done;
    expect(down.json.hookSpecificOutput.permissionDecision).toBe('deny');
    expect(down.json.hookSpecificOutput.permissionDecisionReason).toMatch(/Airlock is unreachable/);
    const garbage = await hook('this is not json').done;
    expect(garbage.json.hookSpecificOutput).toMatchObject({ permissionDecision: 'deny' });
    expect(garbage.json.hookSpecificOutput.permissionDecisionReason).toMatch(/could not read the hook event/);
    const noTool = await hook(
      JSON.stringify({ hook_event_name: 'PermissionRequest', session_id: 's', cwd: '/' }),
    ).done;
    expect(noTool.json.hookSpecificOutput.decision).toMatchObject({ behavior: 'deny' });
    expect(noTool.json.hookSpecificOutput.decision.message).toMatch(/tool_name/);
  });
});
