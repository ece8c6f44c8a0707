// One agent framework end to end through the gateway: an @openai/agents Agent with Airlock's /mcp
// as its MCP server (Streamable HTTP, the agent's key) and a scripted model (no network) that
// decides to call an Airlock tool. An auto-allowed call returns the upstream's result to the
// model; an approval-required one waits while a DBA approves over the API, then returns it.
import { Agent, MCPServerStreamableHttp, Runner } from '@openai/agents';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { ScriptedModel } from '../../support/scripted-model.js';
import { MCP_POLICY, MCP_PRINCIPALS, mcpConfig } from './fixtures.js';

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
let mcp: MCPServerStreamableHttp;
const runner = new Runner({ tracingDisabled: true });

beforeAll(async () => {
  target = await startHttpTarget();
  // A plain tools/call (this framework does not use MCP tasks) waits up to waitSeconds.
  const config = mcpConfig(target.url).replace('waitSeconds: 3', 'waitSeconds: 30');
  h = await startHarness({ policy: MCP_POLICY, config, principals: MCP_PRINCIPALS });
  mcp = new MCPServerStreamableHttp({
    url: `${h.url}/mcp`,
    name: 'airlock',
    requestInit: { headers: { Authorization: `Bearer ${h.keys['agent@example.com']}` } },
  });
  await mcp.connect();
});
afterAll(async () => {
  await mcp?.close();
  await h?.stop();
  await target?.close();
});

it('the model calls an auto-allowed tool; the upstream result comes back to it', async () => {
  const model = new ScriptedModel('echo_dev', { message: 'hello from the agent' });
  const result = await runner.run(new Agent({ name: 'ops', model, mcpServers: [mcp] }), 'say hello');
  expect(target.calls.at(-1)).toMatchObject({
    method: 'POST',
    path: '/echo',
    body: '{"message":"hello from the agent"}',
  });
  expect(model.seen[0]).toContain('"status":200');
  expect(result.finalOutput).toContain('tool said');
});

it('an approval-required call waits for the DBA, then the model reads the export', async () => {
  const before = target.sideEffects();
  const model = new ScriptedModel('export_table', { table: 'orders', rows: 10 });
  const running = runner.run(new Agent({ name: 'ops', model, mcpServers: [mcp] }), 'export ten orders');
  const pending = await eventually(async () => {
    const page = await h.api('dana@example.com', '/v1/actions?action=http.export&status=pending_approval');
    return page.body.items?.[0] as { id: string } | undefined;
  });
  expect(target.sideEffects()).toBe(before);
  const decision = await h.api('dana@example.com', `/v1/actions/${pending.id}/decisions`, {
    body: { decision: 'approve', reason: 'ten rows are fine' },
  });
  expect(decision.status).toBe(200);
  await running;
  expect(target.sideEffects()).toBe(before + 1);
  expect(target.calls.at(-1)).toMatchObject({ path: '/export/orders', body: '{"table":"orders","rows":10}' });
  expect(model.seen[0]).toContain('"status":200');
});
