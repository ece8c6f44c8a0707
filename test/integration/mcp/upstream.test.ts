// Upstream MCP servers through the gateway: a stdio server Airlock starts with the token it holds,
// its tools listed as <upstream>.<tool>, each call a request `mcp.<upstream>.<tool>` that the
// mcp.call executor forwards, with exactly the approved arguments, only after approval.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NOTES_TOKEN } from '../../fakes/mcp-upstream.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { connectAgent, MCP_PRINCIPALS, textOf } from './fixtures.js';

const UPSTREAM = fileURLToPath(new URL('../../fakes/mcp-upstream.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));

const POLICY = `version: 1
groups:
  dba: [dana@example.com]
rules:
  - name: reading-is-free
    match: { action: "mcp.notes.read_notes" }
    effect: allow
  - name: notes-need-a-dba
    match: { action: "mcp.notes.*" }
    effect: require_approval
    stages:
      - { approvers: [dba], timeout: 10m }
default:
  effect: deny
  reason: nothing else
`;

let h: Harness;
let callsDir: string;
let callsFile: string;
const clients: Client[] = [];

function upstreamCalls(): { tool: string; args: unknown; airlockEnv: boolean }[] {
  if (!existsSync(callsFile)) return [];
  return readFileSync(callsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

beforeAll(async () => {
  callsDir = mkdtempSync(join(tmpdir(), 'airlock-notes-'));
  callsFile = join(callsDir, 'calls.jsonl');
  h = await startHarness({
    policy: POLICY,
    config: `actions:
  - { match: "*", executor: callback, environment: production }
mcp:
  waitSeconds: 2
  upstreams:
    notes:
      command: "${process.execPath}"
      args: ["--import", "${TSX}", "${UPSTREAM}"]
      env: { NOTES_TOKEN: "\${NOTES_TOKEN}", CALLS_FILE: "\${CALLS_FILE}" }
      environment: production
`,
    principals: MCP_PRINCIPALS,
    env: { NOTES_TOKEN, CALLS_FILE: callsFile },
  });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await h?.stop();
  rmSync(callsDir, { recursive: true, force: true });
});

async function agent(): Promise<Client> {
  const client = await connectAgent(h.url, h.keys['agent@example.com']!);
  clients.push(client);
  return client;
}

describe('MCP gateway: upstream servers', () => {
  it('lists the upstream tools under its prefix with their own schemas', async () => {
    const client = await agent();
    const { tools } = await client.listTools();
    const note = tools.find((t) => t.name === 'notes.record_note');
    expect(note?.inputSchema.required).toEqual(['note', 'priority']);
    expect(tools.map((t) => t.name)).toContain('notes.read_notes');
  });

  it('returns the real upstream result of an auto-allowed call', async () => {
    const client = await agent();
    const result = await client.callTool({ name: 'notes.read_notes', arguments: {} });
    expect(textOf(result)).toBe('no notes yet');
    const calls = upstreamCalls().filter((c) => c.tool === 'read_notes');
    expect(calls).toHaveLength(1);
    // The upstream got the token Airlock holds, and none of Airlock's own secrets.
    expect(calls[0]!.airlockEnv).toBe(false);
  });

  it('forwards a call only after approval, once, with exactly the approved arguments', async () => {
    const client = await agent();
    const args = { note: 'rotate the backup keys', priority: 2 };
    const { task } = await client.request(
      { method: 'tools/call', params: { name: 'notes.record_note', arguments: args, task: {} } },
      CreateTaskResultSchema,
    );
    await eventually(async () => {
      const t = await client.experimental.tasks.getTask(task.taskId);
      return t.statusMessage?.includes('waiting for approval by dba') ? t : undefined;
    });
    const pending = await h.api('audit@example.com', `/v1/actions/${task.taskId}`);
    expect(pending.body.request).toMatchObject({
      action: 'mcp.notes.record_note',
      resource: 'mcp://notes/record_note',
      environment: 'production',
      parameters: args,
    });
    expect(pending.body.executor).toBe('mcp.call');
    expect(upstreamCalls().filter((c) => c.tool === 'record_note')).toHaveLength(0);

    await h.api('dana@example.com', `/v1/actions/${task.taskId}/decisions`, {
      body: { decision: 'approve' },
    });
    const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(textOf(result)).toBe('noted: rotate the backup keys (priority 2)');
    expect(result.structuredContent).toEqual({ stored: true, note: 'rotate the backup keys' });
    expect(
      upstreamCalls()
        .filter((c) => c.tool === 'record_note')
        .map((c) => c.args),
    ).toEqual([args]);

    const audit = await h.api('audit@example.com', `/v1/actions/${task.taskId}/audit`);
    expect(audit.body.events.filter((e: { type: string }) => e.type === 'mcp.call.sent')).toHaveLength(1);
  });

  it('refuses arguments against the upstream schema without a request or a call', async () => {
    const client = await agent();
    const before = upstreamCalls().length;
    const result = await client.callTool({
      name: 'notes.record_note',
      arguments: { note: 'x', priority: 9 },
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('priority');
    expect(upstreamCalls()).toHaveLength(before);
  });
});
