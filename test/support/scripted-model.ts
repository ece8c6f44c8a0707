// A scripted @openai/agents Model (no network): its first turn calls one tool with fixed
// arguments, its second answers with what the tool returned, which it keeps in `seen`.
import type { AgentInputItem, Model, ModelRequest, ModelResponse } from '@openai/agents';
import { Usage } from '@openai/agents';

/** An @openai/agents Model that calls one tool, then answers with the tool's output. */
export class ScriptedModel implements Model {
  readonly seen: string[] = [];
  constructor(
    private readonly toolName: string,
    private readonly args: Record<string, unknown>,
  ) {}
  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const items = (typeof request.input === 'string' ? [] : request.input) as AgentInputItem[];
    const result = items.find((i) => i.type === 'function_call_result') as
      | { output: ToolOutput | ToolOutput[] | string }
      | undefined;
    if (!result) {
      return {
        usage: new Usage(),
        output: [
          {
            type: 'function_call',
            callId: 'call-1',
            name: this.toolName,
            arguments: JSON.stringify(this.args),
            status: 'completed',
          },
        ],
      };
    }
    const text = textOf(result.output);
    this.seen.push(text);
    return {
      usage: new Usage(),
      output: [
        {
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: `tool said ${text}` }],
        },
      ],
    };
  }
  getStreamedResponse(): AsyncIterable<never> {
    throw new Error('not streamed in these tests');
  }
}

type ToolOutput = { type: string; text?: string };

/** A function tool's output is one text item; an MCP tool's, a list of content items. */
function textOf(output: ToolOutput | ToolOutput[] | string): string {
  if (typeof output === 'string') return output;
  return (Array.isArray(output) ? output : [output]).map((o) => o.text ?? '').join('');
}
