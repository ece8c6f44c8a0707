// mcp.call calls the upstream at most once per request: the ledger note goes out before the
// call, a retry that finds it does not call again, and a call without an answer is not retried.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import {
  createMcpCallExecutor,
  type McpCallLedger,
  type UpstreamCaller,
} from '../../../executors/mcp-call.js';
import { ExecutorError } from '../../../executors/types.js';

function world(answer: () => Promise<CallToolResult>) {
  const sent = new Set<string>();
  const calls: { upstream: string; tool: string; args: Record<string, unknown> }[] = [];
  const ledger: McpCallLedger = {
    wasSent: async (id) => sent.has(id),
    markSent: async (id) => void sent.add(id),
  };
  const caller: UpstreamCaller = {
    resolveTool: async (upstream, word) =>
      upstream === 'notes' && word === 'record_note' ? 'record_note' : undefined,
    call: async (upstream, tool, args) => {
      calls.push({ upstream, tool, args });
      return answer();
    },
  };
  const ctx = {
    requestId: 'r1',
    idempotencyKey: 'action-r1-execute',
    action: 'mcp.notes.record_note',
    parameters: { note: 'n', priority: 1 },
    parametersHash: 'h',
    requester: 'agent@example.com',
  };
  return { executor: createMcpCallExecutor(caller, ledger), calls, ctx };
}

describe('mcp.call', () => {
  it('forwards the parameters as the arguments and keeps the upstream result', async () => {
    const { executor, calls, ctx } = world(async () => ({ content: [{ type: 'text', text: 'ok' }] }));
    const result = await executor.execute(ctx);
    expect(result).toEqual({
      ok: true,
      output: {
        upstream: 'notes',
        tool: 'record_note',
        toolResult: { content: [{ type: 'text', text: 'ok' }] },
      },
    });
    expect(calls).toEqual([{ upstream: 'notes', tool: 'record_note', args: { note: 'n', priority: 1 } }]);
  });

  it('does not call again on a retry after the call was sent', async () => {
    const { executor, calls, ctx } = world(async () => ({ content: [] }));
    await executor.execute(ctx);
    const retried = await executor.execute(ctx);
    expect(retried.ok).toBe(false);
    expect(retried.error?.type).toBe('outcome_unknown');
    expect(calls).toHaveLength(1);
  });

  it('fails without retry when the sent call does not answer, and retries when the upstream is unreachable', async () => {
    const lost = world(async () => {
      throw new Error('connection reset');
    });
    expect((await lost.executor.execute(lost.ctx)).error?.type).toBe('outcome_unknown');

    const { executor, ctx } = world(async () => ({ content: [] }));
    const unreachable = { ...ctx, action: 'mcp.notes.record_note' };
    const down = createMcpCallExecutor(
      {
        resolveTool: async () => {
          throw new Error('spawn ENOENT');
        },
        call: async () => ({ content: [] }),
      },
      { wasSent: async () => false, markSent: async () => {} },
    );
    await expect(down.execute(unreachable)).rejects.toBeInstanceOf(ExecutorError);
    expect((await executor.execute({ ...ctx, action: 'mcp.notes.unknown' })).error?.type).toBe(
      'unknown_tool',
    );
  });
});
