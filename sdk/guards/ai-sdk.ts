// guardTool for the Vercel AI SDK (`ai` 5): the same tool (description, inputSchema) whose
// execution is an Airlock request; the outcome is the tool's result.
import type { Tool, ToolCallOptions } from 'ai';
import { type GuardOptions, type GuardOutcome, guardedCall } from './core.js';

export type { GuardOptions, GuardOutcome } from './core.js';

export function guardTool<I extends Record<string, unknown>, O>(
  tool: Tool<I, O>,
  options: GuardOptions<I>,
): Tool<I, GuardOutcome> {
  const execute = async (input: I, callOptions: ToolCallOptions): Promise<GuardOutcome> =>
    guardedCall(options, input, async (i) => {
      if (!tool.execute) throw new Error('gate mode needs a tool with execute');
      return tool.execute(i, callOptions);
    });
  return { ...tool, execute } as Tool<I, GuardOutcome>;
}
