// mcp.call: runs an approved `mcp.<upstream>.<tool>` request by calling that upstream MCP tool
// with exactly the approved parameters as its arguments, and keeps the upstream's result as the
// execution output (the gateway hands it back as the tool result).
//
// At most once: before the call goes out, the ledger records that it is being sent. An activity
// retried after a crash finds that record and does not call again; it fails with
// `outcome_unknown`. In the worst case the upstream saw the call once and the agent learns that
// its answer was lost. A connection that cannot be opened sends nothing and is retried.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { type ExecutionContext, type Executor, ExecutorError, failure } from './types.js';

export interface UpstreamCaller {
  /** The upstream tool an action word names, or undefined when none (or several) does. */
  resolveTool(upstream: string, word: string): Promise<string | undefined>;
  call(
    upstream: string,
    tool: string,
    args: Record<string, unknown>,
    options: { idempotencyKey: string; signal?: AbortSignal },
  ): Promise<CallToolResult>;
}

/** A durable note that a request's upstream call has been sent (the audit trail in main.ts). */
export interface McpCallLedger {
  wasSent(requestId: string): Promise<boolean>;
  markSent(
    requestId: string,
    what: { upstream: string; tool: string; parametersHash: string },
  ): Promise<void>;
}

const ACTION = /^mcp\.([a-z0-9][a-z0-9_-]*)\.([a-z0-9][a-z0-9_-]*)$/;

export function createMcpCallExecutor(caller: UpstreamCaller, ledger: McpCallLedger): Executor {
  return {
    name: 'mcp.call',
    async execute(ctx: ExecutionContext) {
      const match = ACTION.exec(ctx.action);
      if (!match) return failure('invalid_action', `${ctx.action} is not mcp.<upstream>.<tool>`);
      const [, upstream, word] = match as unknown as [string, string, string];
      if (await ledger.wasSent(ctx.requestId)) {
        return failure(
          'outcome_unknown',
          `the call to ${upstream} was sent once already and its answer was lost (Airlock restarted); it is not sent again`,
        );
      }
      let tool: string | undefined;
      try {
        tool = await caller.resolveTool(upstream, word);
      } catch (err) {
        // Nothing was sent: retry.
        throw new ExecutorError(
          'upstream_unavailable',
          `upstream ${upstream} cannot be reached: ${message(err)}`,
          true,
        );
      }
      if (!tool) return failure('unknown_tool', `upstream ${upstream} has no tool for ${ctx.action}`);
      await ledger.markSent(ctx.requestId, { upstream, tool, parametersHash: ctx.parametersHash });
      let result: CallToolResult;
      try {
        result = await caller.call(upstream, tool, ctx.parameters, {
          idempotencyKey: ctx.idempotencyKey,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        });
      } catch (err) {
        return failure('outcome_unknown', `the call to ${upstream}.${tool} did not answer: ${message(err)}`);
      }
      const output = { upstream, tool, toolResult: bounded(result) };
      return result.isError
        ? failure('upstream_tool_error', `${upstream}.${tool} answered with an error`, output)
        : { ok: true, output };
    },
  };
}

/** Results live in the request's state: a very large one is replaced by a note saying so. */
const MAX_RESULT_BYTES = 256 * 1024;

function bounded(result: CallToolResult): CallToolResult {
  const size = Buffer.byteLength(JSON.stringify(result));
  if (size <= MAX_RESULT_BYTES) return result;
  return {
    content: [
      {
        type: 'text',
        text: `the upstream's result was ${size} bytes, more than Airlock keeps (${MAX_RESULT_BYTES})`,
      },
    ],
    ...(result.isError ? { isError: true } : {}),
  };
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 300);
}
