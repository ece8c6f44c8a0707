// The tools an agent sees, and how a call to one becomes the body of one request: managed tools
// from `mcp.tools` (templates over the arguments), upstream tools as `<upstream>.<tool>` (action
// `mcp.<upstream>.<tool>`, the arguments as the parameters), each checked against its JSON Schema
// before anything is submitted.

import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { JsonSchemaType, JsonSchemaValidator } from '@modelcontextprotocol/sdk/validation';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { upstreamAction } from '../config/mcp.js';
import { MissingArgumentError, renderTemplate, renderTree } from '../config/template.js';
import type { McpTool, McpUpstream } from '../config/types.js';

/** What a tool call becomes, before the agent's identity is added. */
export interface RequestDraft {
  action: string;
  resource: string;
  environment: string;
  parameters: Record<string, unknown>;
  justification?: string;
}

export interface GatewayTool {
  definition: Tool;
  /** Problems with the arguments (naming them), or the request they make. */
  draft(args: Record<string, unknown>): { problem: string } | { draft: RequestDraft };
}

const validators = new AjvJsonSchemaValidator();

function checker(name: string, schema: Record<string, unknown>): (args: unknown) => string | undefined {
  const validate: JsonSchemaValidator<unknown> = validators.getValidator(schema as JsonSchemaType);
  return (args) => {
    const result = validate(args);
    // Ajv names the argument by its JSON pointer under `data` (`data/filter/column must be string`).
    const named = result.errorMessage?.replace(
      /\bdata((?:\/[^\s/,]+)*)/g,
      (_m, path: string) => `arguments${path.replaceAll('/', '.')}`,
    );
    return result.valid ? undefined : `invalid arguments for ${name}: ${named}`;
  };
}

const taskOptional = { taskSupport: 'optional' as const };

export function managedTool(tool: McpTool): GatewayTool {
  const check = checker(tool.name, tool.inputSchema);
  return {
    definition: {
      name: tool.name,
      ...(tool.title ? { title: tool.title } : {}),
      description: tool.description,
      inputSchema: tool.inputSchema as Tool['inputSchema'],
      execution: taskOptional,
      annotations: { openWorldHint: true },
    },
    draft(args) {
      const problem = check(args);
      if (problem) return { problem };
      try {
        const rendered = {
          resource: String(renderTemplate(tool.resource, args)),
          environment: String(renderTemplate(tool.environment, args)),
          parameters: parametersOf(tool, args),
          ...(tool.justification ? { justification: String(renderTemplate(tool.justification, args)) } : {}),
        };
        return { draft: { action: tool.action, ...rendered } };
      } catch (err) {
        if (err instanceof MissingArgumentError)
          return { problem: `invalid arguments for ${tool.name}: ${err.message}` };
        throw err;
      }
    },
  };
}

function parametersOf(tool: McpTool, args: Record<string, unknown>): Record<string, unknown> {
  if (tool.parameters === undefined) return args;
  if (Array.isArray(tool.parameters)) {
    return Object.fromEntries(tool.parameters.filter((n) => Object.hasOwn(args, n)).map((n) => [n, args[n]]));
  }
  return renderTree(tool.parameters, args) as Record<string, unknown>;
}

/** An upstream's tool as `<upstream>.<tool>`, with the upstream's own schema. */
export function upstreamTool(upstreamName: string, upstream: McpUpstream, tool: Tool): GatewayTool {
  const name = `${upstreamName}.${tool.name}`;
  const check = checker(name, tool.inputSchema as Record<string, unknown>);
  return {
    definition: {
      ...tool,
      name,
      description: `${tool.description ?? tool.name} (through Airlock: each call is a request that policy or an approver decides)`,
      execution: taskOptional,
    },
    draft(args) {
      const problem = check(args);
      if (problem) return { problem };
      return {
        draft: {
          action: upstreamAction(upstreamName, tool.name),
          resource: `mcp://${upstreamName}/${tool.name}`,
          environment: upstream.environment,
          parameters: args,
        },
      };
    },
  };
}
