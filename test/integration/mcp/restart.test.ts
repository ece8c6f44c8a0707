// A task outlives Airlock: the service stops while a task waits for its approver, a new process
// starts on the same Temporal namespace and database, and a new client on a new connection reads
// the task, the approver approves, and tasks/result returns the result. No task state is kept in
// memory only.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningAirlock, startAirlock } from '../../../main.js';
import { startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, silentLogger, startHarness } from '../../support/harness.js';
import { connectAgent, MCP_POLICY, MCP_PRINCIPALS, mcpConfig } from './fixtures.js';

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
let second: RunningAirlock | undefined;
const clients: Client[] = [];

beforeAll(async () => {
  target = await startHttpTarget();
  h = await startHarness({ policy: MCP_POLICY, config: mcpConfig(target.url), principals: MCP_PRINCIPALS });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await second?.stop();
  await h?.stop();
  await target?.close();
});

describe('MCP gateway: restart', () => {
  it('keeps a waiting task across a restart of Airlock and returns its result on a new connection', async () => {
    const first = await connectAgent(h.url, h.keys['agent@example.com']!);
    clients.push(first);
    const { task } = await first.request(
      {
        method: 'tools/call',
        params: { name: 'export_table', arguments: { table: 'restart', rows: 4 }, task: {} },
      },
      CreateTaskResultSchema,
    );
    await eventually(async () => {
      const t = await first.experimental.tasks.getTask(task.taskId);
      return t.statusMessage?.includes('waiting for approval') ? t : undefined;
    });

    await h.airlock.stop();
    second = await startAirlock(h.env, {
      workflowBundlePath: inject('workflowBundlePath'),
      logger: silentLogger,
    });
    const url = second.url!;
    expect(url).not.toBe(h.url);

    const again = await connectAgent(url, h.keys['agent@example.com']!);
    clients.push(again);
    const after = await again.experimental.tasks.getTask(task.taskId);
    expect(after.status).toBe('working');
    expect(after.statusMessage).toContain('waiting for approval by dba');

    const decided = await fetch(`${url}/v1/actions/${task.taskId}/decisions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.keys['dana@example.com']}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'approve' }),
    });
    expect(decided.status).toBe(200);
    const result = await again.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect((result.structuredContent as { status: string }).status).toBe('succeeded');
    expect(target.calls.filter((c) => c.path === '/export/restart')).toHaveLength(1);
  });
});
