// The MCP gateway over real HTTP, a real Temporal dev server and real PostgreSQL, with the SDK's
// own Client as the agent: authentication, tools from the config, one call = one request through
// the REST submit path, approvals as durable tasks, plain calls that answer "pending", refusals.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHttpTarget } from '../../fakes/http-target.js';
import { RecordingChannel } from '../../fakes/recording-channel.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { connectAgent, MCP_POLICY, MCP_PRINCIPALS, mcpConfig, textOf } from './fixtures.js';

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
const chat = new RecordingChannel();
const clients: Client[] = [];

beforeAll(async () => {
  target = await startHttpTarget();
  h = await startHarness({
    policy: MCP_POLICY,
    config: mcpConfig(target.url),
    principals: MCP_PRINCIPALS,
    channels: [chat],
  });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await h?.stop();
  await target?.close();
});

async function agent(principal = 'agent@example.com', name = 'test-agent'): Promise<Client> {
  const client = await connectAgent(h.url, h.keys[principal]!, name);
  clients.push(client);
  return client;
}

const exportCalls = (table: string) => target.calls.filter((c) => c.path === `/export/${table}`);

async function callAsTask(client: Client, name: string, args: Record<string, unknown>) {
  const created = await client.request(
    { method: 'tools/call', params: { name, arguments: args, task: { ttl: 60_000 } } },
    CreateTaskResultSchema,
  );
  return created.task;
}

async function requestCount(): Promise<number> {
  const res = await h.api('audit@example.com', '/v1/actions?limit=200');
  return res.body.items.length;
}

describe('MCP gateway: authentication', () => {
  const initialize = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'curl', version: '0' } },
  };
  const post = (headers: Record<string, string>) =>
    fetch(`${h.url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify(initialize),
    });

  it('answers 401 with a Bearer challenge without a credential, and invalid_token for a bad one', async () => {
    const missing = await post({});
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="airlock"');

    const bad = await post({ authorization: 'Bearer not-a-key' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await requestCount()).toBe(0);
  });

  it('lets a requester key in and lists the managed tools with their schemas and the built-ins', async () => {
    const client = await agent();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'airlock_status',
      'airlock_wait',
      'echo_dev',
      'export_table',
    ]);
    const exportTool = tools.find((t) => t.name === 'export_table')!;
    expect(exportTool.inputSchema.required).toEqual(['table', 'rows']);
    expect(exportTool.execution?.taskSupport).toBe('optional');
  });

  it('refuses a session id to a principal that did not open it', async () => {
    const client = await agent();
    const sessionId = (client.transport as { sessionId?: string }).sessionId!;
    const res = await fetch(`${h.url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${h.keys['other-agent@example.com']}`,
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(res.status).toBe(404);
  });
});

describe('MCP gateway: bad input', () => {
  const rpc = async (client: Client, body: string) =>
    fetch(`${h.url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${h.keys['agent@example.com']}`,
        'mcp-session-id': (client.transport as { sessionId?: string }).sessionId!,
        'mcp-protocol-version': '2025-11-25',
      },
      body,
    });

  it('answers an unknown tool, malformed JSON-RPC and oversized arguments with errors that name them, and no request', async () => {
    const client = await agent();
    const before = await requestCount();
    await expect(client.callTool({ name: 'drop_everything', arguments: {} })).rejects.toThrow(
      /Unknown tool: drop_everything/,
    );

    const malformed = await rpc(client, '{"jsonrpc": "2.0", "id": 1, "method": ');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: number } }).error.code).toBe(-32700);

    const huge = JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'echo_dev', arguments: { message: 'x'.repeat(300 * 1024) } },
    });
    const tooLarge = await rpc(client, huge);
    expect(tooLarge.status).toBe(413);
    expect(await requestCount()).toBe(before);
  });
});

describe('MCP gateway: tool calls', () => {
  it('refuses arguments against the schema with a tool error naming the argument, and creates no request', async () => {
    const client = await agent();
    const before = await requestCount();
    const wrongType = await client.callTool({
      name: 'export_table',
      arguments: { table: 'orders', rows: 'many' },
    });
    expect(wrongType.isError).toBe(true);
    expect(textOf(wrongType)).toContain('rows');
    const missing = await client.callTool({ name: 'export_table', arguments: { table: 'orders' } });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toContain("'rows'");
    expect(await requestCount()).toBe(before);
  });

  it('runs an auto-allowed tool at once and returns its result; the agent and MCP show on the request', async () => {
    const client = await agent('agent@example.com', 'claude-code');
    const result = await client.callTool({ name: 'echo_dev', arguments: { message: 'hello from mcp' } });
    expect(result.isError).toBeFalsy();
    const structured = result.structuredContent as {
      requestId: string;
      status: string;
      output: { status: number };
    };
    expect(structured.status).toBe('succeeded');
    expect(structured.output.status).toBe(200);
    const call = target.calls.find((c) => c.path === '/echo')!;
    expect(JSON.parse(call.body)).toEqual({ message: 'hello from mcp' });
    expect(call.headers.authorization).toBe('Bearer target-secret-token');

    const read = await h.api('audit@example.com', `/v1/actions/${structured.requestId}`);
    expect(read.body.requester).toBe('agent@example.com');
    expect(read.body.decidedBy).toBe('policy');
    expect(read.body.request.agent).toMatchObject({
      name: 'claude-code/1.2.3',
      session: (client.transport as { sessionId?: string }).sessionId,
    });
    expect(read.body.request.labels).toEqual({ via: 'mcp', 'mcp.tool': 'echo_dev' });
  });

  it('refuses labels.via from a REST caller: only the gateway marks a request as via MCP', async () => {
    const before = await requestCount();
    const res = await h.api('agent@example.com', '/v1/actions', {
      body: {
        action: 'http.echo',
        resource: 'echo:/echo',
        environment: 'dev',
        parameters: { method: 'POST', path: '/echo', body: {} },
        labels: { via: 'mcp', 'mcp.tool': 'echo_dev' },
      },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ type: 'urn:airlock:problem:invalid-body', field: 'labels.via' });
    expect(await requestCount()).toBe(before);
  });

  it('answers an approval tool with a task that names the approvers, and returns the result after approval', async () => {
    const client = await agent();
    const task = await callAsTask(client, 'export_table', { table: 'orders', rows: 10 });
    expect(task.status).toBe('working');

    const waiting = await eventually(async () => {
      const t = await client.experimental.tasks.getTask(task.taskId);
      return t.statusMessage?.includes('waiting for approval') ? t : undefined;
    });
    expect(waiting.status).toBe('working');
    expect(waiting.statusMessage).toContain('by dba');
    expect(waiting.statusMessage).toContain('asked in dba-chat (Slack C0DBA)');
    expect(exportCalls('orders')).toHaveLength(0);

    // The task id is the request id: the approver decides it over REST.
    const resultPromise = client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    const decided = await h.api('dana@example.com', `/v1/actions/${task.taskId}/decisions`, {
      body: { decision: 'approve', reason: 'ok for the report' },
    });
    expect(decided.status).toBe(200);
    const result = await resultPromise;
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent as { status: string }).status).toBe('succeeded');
    expect(exportCalls('orders')).toHaveLength(1);
    expect(JSON.parse(exportCalls('orders')[0]!.body)).toEqual({ table: 'orders', rows: 10 });
    expect((await client.experimental.tasks.getTask(task.taskId)).status).toBe('completed');
  });

  it('keeps a task across a reconnect with a new session, and hides it from another principal', async () => {
    const first = await agent();
    const task = await callAsTask(first, 'export_table', { table: 'invoices', rows: 5 });
    await first.close();

    const other = await agent('other-agent@example.com');
    await expect(other.experimental.tasks.getTask(task.taskId)).rejects.toThrow(/not found/i);
    const othersList = await other.experimental.tasks.listTasks();
    expect(othersList.tasks.map((t) => t.taskId)).not.toContain(task.taskId);

    const again = await agent();
    expect((await again.experimental.tasks.getTask(task.taskId)).status).toBe('working');
    const mine = await again.experimental.tasks.listTasks();
    expect(mine.tasks.map((t) => t.taskId)).toContain(task.taskId);
    await eventually(async () => {
      const t = await again.experimental.tasks.getTask(task.taskId);
      return t.statusMessage?.includes('waiting for approval') ? t : undefined;
    });
    await h.api('dana@example.com', `/v1/actions/${task.taskId}/decisions`, {
      body: { decision: 'approve' },
    });
    const result = await again.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect((result.structuredContent as { status: string }).status).toBe('succeeded');
  });

  it('cancels a pending request through tasks/cancel', async () => {
    const client = await agent();
    const task = await callAsTask(client, 'export_table', { table: 'to_cancel', rows: 1 });
    await eventually(async () => {
      const t = await client.experimental.tasks.getTask(task.taskId);
      return t.statusMessage?.includes('waiting for approval') ? t : undefined;
    });
    const cancelled = await client.experimental.tasks.cancelTask(task.taskId);
    expect(cancelled.status).toBe('cancelled');
    // The stored state follows once the workflow has written the end to the trail.
    const read = await eventually(
      async () => {
        const r = await h.api('audit@example.com', `/v1/actions/${task.taskId}`);
        return r.body.status === 'pending_approval' ? undefined : r;
      },
      10_000,
      'the cancelled state',
    );
    expect(read.body.status).toBe('cancelled');
    const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(result.isError).toBe(true);
    expect(exportCalls('to_cancel')).toHaveLength(0);
  });

  it('answers a plain call "pending" after waitSeconds with progress, then airlock_wait returns the result', async () => {
    const client = await agent();
    const progress: string[] = [];
    const pending = await client.callTool(
      { name: 'export_table', arguments: { table: 'plain', rows: 3 } },
      undefined,
      {
        onprogress: (p) => progress.push(p.message ?? ''),
      },
    );
    expect(pending.isError).toBeFalsy();
    const info = pending.structuredContent as { requestId: string; pending: boolean; links: { api: string } };
    expect(info.pending).toBe(true);
    expect(textOf(pending)).toContain(info.requestId);
    expect(textOf(pending)).toContain('airlock_wait');
    expect(info.links.api).toBe(`${h.airlock.publicUrl}/v1/actions/${info.requestId}`);
    expect(progress.length).toBeGreaterThan(0);
    expect(exportCalls('plain')).toHaveLength(0);

    const status = await client.callTool({
      name: 'airlock_status',
      arguments: { requestId: info.requestId },
    });
    expect(textOf(status)).toContain('waiting for approval by dba');

    await h.api('dana@example.com', `/v1/actions/${info.requestId}/decisions`, {
      body: { decision: 'approve' },
    });
    const done = await client.callTool({ name: 'airlock_wait', arguments: { requestId: info.requestId } });
    expect(done.isError).toBeFalsy();
    expect((done.structuredContent as { status: string }).status).toBe('succeeded');
    expect(exportCalls('plain')).toHaveLength(1);
  });

  it('returns isError with the reason and request id when an approver denies', async () => {
    const client = await agent();
    const task = await callAsTask(client, 'export_table', { table: 'denied', rows: 2 });
    await eventually(async () => {
      const t = await client.experimental.tasks.getTask(task.taskId);
      return t.statusMessage?.includes('waiting for approval') ? t : undefined;
    });
    await h.api('dana@example.com', `/v1/actions/${task.taskId}/decisions`, {
      body: { decision: 'deny', reason: 'not during the audit' },
    });
    const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('not during the audit');
    expect(textOf(result)).toContain(task.taskId);
    expect((await client.experimental.tasks.getTask(task.taskId)).status).toBe('failed');
    expect(exportCalls('denied')).toHaveLength(0);
  });

  it('returns a policy denial as isError at once', async () => {
    const client = await agent();
    const result = await client.callTool({ name: 'export_table', arguments: { table: 'secrets', rows: 1 } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('the secrets table is never exported');
    expect(exportCalls('secrets')).toHaveLength(0);
  });

  it('refuses airlock_wait on a request of another principal as unknown', async () => {
    const client = await agent();
    const task = await callAsTask(client, 'export_table', { table: 'mine', rows: 1 });
    const other = await agent('other-agent@example.com');
    const result = await other.callTool({ name: 'airlock_wait', arguments: { requestId: task.taskId } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('no request');
  });

  it("refuses the approval of the human an agent's key acts for; the task keeps waiting", async () => {
    const client = await agent('dana-agent@example.com');
    const task = await callAsTask(client, 'export_table', { table: 'on_behalf', rows: 2 });
    await eventually(async () => {
      const t = await client.experimental.tasks.getTask(task.taskId);
      return t.statusMessage?.includes('waiting for approval') ? t : undefined;
    });
    const read = await h.api('audit@example.com', `/v1/actions/${task.taskId}`);
    expect(read.body.request.agent.onBehalfOf).toBe('dana@example.com');

    const decided = await h.api('dana@example.com', `/v1/actions/${task.taskId}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(decided.status).toBe(403);
    expect(decided.body.type).toBe('urn:airlock:problem:self-approval');

    const after = await client.experimental.tasks.getTask(task.taskId);
    expect(after.status).toBe('working');
    expect(after.statusMessage).toContain('waiting for approval by dba');
    expect((await h.api('audit@example.com', `/v1/actions/${task.taskId}`)).body.status).toBe(
      'pending_approval',
    );
    expect(exportCalls('on_behalf')).toHaveLength(0);
  });
});
