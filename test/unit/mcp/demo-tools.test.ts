// The demo's two MCP tools do what the demo promises under the demo policy: echo_dev runs at once,
// update_config waits for a DBA; and their arguments are checked before any request exists.
import { describe, expect, it } from 'vitest';
import { DEMO_CONFIG_PATH, DEMO_POLICY_PATH } from '../../../config/env.js';
import { loadServiceConfig } from '../../../config/service.js';
import { createBuiltinRegistry } from '../../../executors/index.js';
import { managedTool } from '../../../mcp/tools.js';
import { evaluatePolicy } from '../../../policy/evaluate.js';
import { loadPolicyFile } from '../../../policy/load.js';

const ENV = { AIRLOCK_PUBLIC_URL: 'http://localhost:8080', AIRLOCK_DEMO_TARGET_SECRET: 'demo-secret' };

async function demo() {
  const config = await loadServiceConfig(DEMO_CONFIG_PATH, ENV);
  const policy = await loadPolicyFile(DEMO_POLICY_PATH);
  const tool = (name: string) => managedTool(config.mcp!.tools.find((t) => t.name === name)!);
  const decide = (name: string, args: Record<string, unknown>) => {
    const drafted = tool(name).draft(args);
    if ('problem' in drafted) throw new Error(drafted.problem);
    return {
      draft: drafted.draft,
      decision: evaluatePolicy(policy, {
        ...drafted.draft,
        requester: 'ci@example.com',
        now: new Date().toISOString(),
      }),
    };
  };
  return { config, tool, decide };
}

describe('demo MCP tools', () => {
  it('echo_dev is auto-allowed in dev and runs on the demo dev echo target', async () => {
    const { config, decide } = await demo();
    const { draft, decision } = decide('echo_dev', { message: 'hi' });
    expect(decision).toMatchObject({ effect: 'allow', rule: 'low-risk' });
    expect(draft).toMatchObject({
      action: 'http.echo',
      environment: 'dev',
      parameters: { method: 'POST', path: '/echo' },
    });
    // ...on the dev echo target, which is where the binding sends a dev claim.
    const bound = createBuiltinRegistry().bind(draft, config);
    expect(bound.ok && bound.target).toBe('demo-echo-dev');
  });

  it('update_config needs a DBA in production, with the argument types kept', async () => {
    const { decide } = await demo();
    const { draft, decision } = decide('update_config', { feature: 'dark-mode', enabled: true });
    expect(decision.effect).toBe('require_approval');
    expect(decision.rule).toBe('prod-http');
    expect(decision.stages[0]?.approvers).toEqual(['dba']);
    expect(draft.parameters).toEqual({
      method: 'POST',
      path: '/config',
      body: { feature: 'dark-mode', enabled: true },
    });
  });

  it('names the argument that fails the schema', async () => {
    const { tool } = await demo();
    expect(tool('update_config').draft({ feature: 'dark-mode', enabled: 'yes' })).toEqual({
      problem: expect.stringContaining('arguments.enabled must be boolean'),
    });
    expect(tool('update_config').draft({ feature: 'dark-mode' })).toEqual({
      problem: expect.stringContaining("must have required property 'enabled'"),
    });
  });
});

describe('tool argument errors', () => {
  it('name a nested argument by its dotted path', () => {
    const tool = managedTool({
      name: 'query',
      description: 'd',
      inputSchema: {
        type: 'object',
        properties: { filter: { type: 'object', properties: { column: { type: 'string' } } } },
      },
      action: 'db.query',
      resource: 'db',
      environment: 'dev',
    });
    expect(tool.draft({ filter: { column: 3 } })).toEqual({
      problem: 'invalid arguments for query: arguments.filter.column must be string',
    });
  });
});
