// guardTool for the OpenAI Agents SDK (@openai/agents): the same tool (name, description,
// parameters) whose invocation is an Airlock request; the outcome is the tool's result.
import type { FunctionTool, RunContext } from '@openai/agents';
import { type GuardOptions, type GuardOutcome, guardedCall } from './core.js';

export type { GuardOptions, GuardOutcome } from './core.js';

// biome-ignore lint/suspicious/noExplicitAny: a guard wraps tools of any context and parameters.
type AnyFunctionTool = FunctionTool<any, any, any>;

export function guardTool<T extends AnyFunctionTool>(
  tool: T,
  options: GuardOptions<Record<string, unknown>>,
): T {
  const invoke = async (runContext: RunContext<unknown>, input: string, details?: unknown) => {
    const args = (input ? JSON.parse(input) : {}) as Record<string, unknown>;
    const outcome: GuardOutcome = await guardedCall(options, args, async () =>
      // Gate mode: the tool's own code (and its own validation) runs only after approval.
      tool.invoke(runContext, input, details as Parameters<T['invoke']>[2]),
    );
    return JSON.stringify(outcome);
  };
  return { ...tool, invoke } as T;
}
