// A task outlives a crash of Airlock: the whole service (API and worker in one child process) is
// killed with SIGKILL while a task waits for its approver, so nothing gets to close or flush. A new
// process on the same database, Temporal namespace and task queue answers the task on a new
// connection; the approver approves, and tasks/result returns the result, the target called once.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { type AirlockProcess, apiReady, apiUrl, startProcess, workerReady } from '../ops/processes.js';
import { connectAgent, MCP_POLICY, MCP_PRINCIPALS, mcpConfig } from './fixtures.js';

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
const procs: AirlockProcess[] = [];
const clients: Client[] = [];

/** Airlock in one child process (role all), ready once both its API and its worker run. */
async function startAirlockProcess(): Promise<AirlockProcess> {
  const p = await startProcess({ ...h.env, AIRLOCK_ROLE: 'all' }, (out) => apiReady(out) && workerReady(out));
  procs.push(p);
  return p;
}

beforeAll(async () => {
  target = await startHttpTarget();
  // The in-process harness only prepares the database, files and queue (API role, never polls).
  h = await startHarness({
    policy: MCP_POLICY,
    config: mcpConfig(target.url),
    principals: MCP_PRINCIPALS,
    env: { AIRLOCK_ROLE: 'api' },
  });
}, 180_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await h?.stop();
  await target?.close();
});

describe('MCP gateway: crash', () => {
  it('keeps a waiting task across a kill -9 of Airlock and returns its result on a new connection', async () => {
    const crashed = await startAirlockProcess();
    const first = await connectAgent(apiUrl(crashed), h.keys['agent@example.com']!);
    clients.push(first);
    const { task } = await first.request(
      {
        method: 'tools/call',
        params: { name: 'export_table', arguments: { table: 'crash', rows: 4 }, task: {} },
      },
      CreateTaskResultSchema,
    );
    await eventually(async () => {
      const t = await first.experimental.tasks.getTask(task.taskId);
      return t.statusMessage?.includes('waiting for approval') ? t : undefined;
    });

    crashed.child.kill('SIGKILL');
    expect(await crashed.exited).toBeNull();

    const restarted = await startAirlockProcess();
    const url = apiUrl(restarted);
    const again = await connectAgent(url, h.keys['agent@example.com']!);
    clients.push(again);
    const after = await again.experimental.tasks.getTask(task.taskId);
    expect(after.status).toBe('working');
    expect(after.statusMessage).toContain('waiting for approval by dba');
    expect(target.calls.filter((c) => c.path === '/export/crash')).toHaveLength(0);

    const decided = await fetch(`${url}/v1/actions/${task.taskId}/decisions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.keys['dana@example.com']}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'approve' }),
    });
    expect(decided.status).toBe(200);
    const result = await again.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect((result.structuredContent as { status: string }).status).toBe('succeeded');
    expect(target.calls.filter((c) => c.path === '/export/crash')).toHaveLength(1);
  }, 180_000);
});
