// One MCP session's server: tools/list (managed, upstream and built-in tools) and tools/call (one
// call, one request through the REST API's own submit path), with tasks backed by requests. The
// low-level Server is used rather than McpServer: tools come with JSON Schemas from the config,
// and a call without a task must wait a bounded time and answer "pending" (McpServer's automatic
// polling of an optional-task tool would wait forever without progress).
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  type CreateTaskResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { Principal } from '../api/auth.js';
import type { ApiDeps } from '../api/deps.js';
import { toProblem } from '../api/problem.js';
import { submitAction } from '../api/submit.js';
import { channelsOf } from '../policy/helpers.js';
import { ActionError, isSettled } from '../temporal/action-client.js';
import type { ActionRequestBody, ActionState } from '../workflows/types.js';
import { pendingResult, statusMessage, toolResultOf } from './results.js';
import { RequestTaskStore } from './task-store.js';
import { type GatewayTool, managedTool, type RequestDraft } from './tools.js';

/** Where upstream tools come from (mcp/upstreams.ts); absent without upstreams. */
export interface UpstreamCatalog {
  tools(): Promise<GatewayTool[]>;
}

export interface SessionContext {
  deps: ApiDeps;
  upstreams?: UpstreamCatalog;
  /** The principal of the HTTP request being served (a session belongs to one principal). */
  principal(): Principal;
  sessionId(): string | undefined;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** Progress comes every 5 s, or three times per wait when the wait is short. */
const progressEvery = (waitMs: number) => Math.min(5_000, Math.max(1_000, Math.floor(waitMs / 3)));
const WAIT_TOOL = 'airlock_wait';
const STATUS_TOOL = 'airlock_status';

const requestIdArgument: Tool['inputSchema'] = {
  type: 'object',
  properties: {
    requestId: { type: 'string', description: 'The request id a pending tool result named' },
  },
  required: ['requestId'],
  additionalProperties: false,
};

const BUILTINS: Tool[] = [
  {
    name: WAIT_TOOL,
    description:
      'Waits again for a pending Airlock request (one a tool call answered "still pending" for) and returns its tool result when it ends, or "still pending" after the wait.',
    inputSchema: requestIdArgument,
    execution: { taskSupport: 'forbidden' },
    annotations: { readOnlyHint: true },
  },
  {
    name: STATUS_TOOL,
    description:
      'Tells where one of your Airlock requests stands (who must approve, where they were asked), without waiting.',
    inputSchema: requestIdArgument,
    execution: { taskSupport: 'forbidden' },
    annotations: { readOnlyHint: true },
  },
];

export function createSessionServer(ctx: SessionContext): Server {
  const { deps } = ctx;
  const mcp = deps.config.mcp;
  const waitMs = (mcp?.waitSeconds ?? 50) * 1000;
  const managed = (mcp?.tools ?? []).map(managedTool);
  const channels = () => channelsOf(deps.policy.current());
  const taskStore = new RequestTaskStore(
    { actions: deps.actions, audit: deps.audit, channels },
    ctx.principal,
  );

  const server = new Server(
    { name: 'airlock', version: '0.1.0', title: 'Airlock' },
    {
      capabilities: {
        tools: { listChanged: false },
        tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
      },
      taskStore,
      instructions:
        'Every tool here is an Airlock request: policy allows, denies or sends it to human approvers. ' +
        'Prefer task-augmented calls; without one, a pending call answers with a request id for airlock_wait.',
    },
  );

  const allTools = async (): Promise<GatewayTool[]> => [
    ...managed,
    ...((await ctx.upstreams?.tools()) ?? []),
  ];

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: [...(await allTools()).map((t) => t.definition), ...BUILTINS],
  }));

  server.setRequestHandler(
    CallToolRequestSchema,
    async (request, extra): Promise<CallToolResult | CreateTaskResult> => {
      const { name, arguments: args = {} } = request.params;
      const asTask = request.params.task !== undefined;
      if (name === WAIT_TOOL || name === STATUS_TOOL) {
        if (asTask) throw new McpError(ErrorCode.InvalidParams, `${name} does not run as a task`);
        return builtin(name, args, extra);
      }
      const tool = (await allTools()).find((t) => t.definition.name === name);
      if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
      const drafted = tool.draft(args);
      // A task-augmented call must answer with a task, so its refusals are protocol errors.
      if ('problem' in drafted) return refuse(drafted.problem, asTask);
      const submitted = await submit(drafted.draft, name, extra);
      if ('problem' in submitted) return refuse(submitted.problem, asTask);
      const { requestId } = submitted;
      if (asTask) {
        const task = await extra.taskStore!.createTask({ context: { requestId } });
        return { task };
      }
      const state = await waitWithProgress(requestId, waitMs, extra);
      return isSettled(state) ? toolResultOf(state) : pendingResult(state, channels());
    },
  );

  async function submit(
    draft: RequestDraft,
    toolName: string,
    extra: Extra,
  ): Promise<{ requestId: string } | { problem: string }> {
    const principal = ctx.principal();
    const client = server.getClientVersion();
    const body: ActionRequestBody = {
      ...draft,
      agent: {
        ...(client ? { name: `${client.name}/${client.version}`.slice(0, 200) } : {}),
        ...(extra.sessionId ? { session: extra.sessionId } : {}),
        ...(principal.onBehalfOf ? { onBehalfOf: principal.onBehalfOf } : {}),
      },
      labels: { via: 'mcp', 'mcp.tool': toolName.slice(0, 1024) },
    };
    try {
      const { input } = await submitAction(deps, principal, body);
      return { requestId: input.requestId };
    } catch (err) {
      const problem = toProblem(err);
      if (problem && problem.status < 500) return { problem: `${toolName}: ${problem.detail}` };
      if (err instanceof ActionError || problem) {
        throw new McpError(
          ErrorCode.InternalError,
          'Airlock cannot start the request right now; retry later',
        );
      }
      throw err;
    }
  }

  async function waitWithProgress(requestId: string, ms: number, extra: Extra): Promise<ActionState> {
    const started = Date.now();
    const deadline = started + ms;
    const token = extra._meta?.progressToken;
    for (;;) {
      const state = await deps.actions.waitForSettled(
        requestId,
        Math.max(0, Math.min(progressEvery(ms), deadline - Date.now())),
      );
      if (isSettled(state) || Date.now() >= deadline || extra.signal.aborted) return state;
      if (token !== undefined) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: {
            progressToken: token,
            progress: Math.round((Date.now() - started) / 1000),
            total: Math.round(ms / 1000),
            message: statusMessage(state, channels()),
          },
        });
      }
    }
  }

  async function builtin(name: string, args: Record<string, unknown>, extra: Extra): Promise<CallToolResult> {
    const requestId = args.requestId;
    if (typeof requestId !== 'string' || Object.keys(args).some((k) => k !== 'requestId')) {
      return refuse(
        `invalid arguments for ${name}: requestId (a string) is required and is the only argument`,
        false,
      );
    }
    const own = await taskStore.own(requestId);
    if (!own) return refuse(`${name}: no request ${requestId} of yours`, false);
    if (name === STATUS_TOOL) {
      return {
        content: [{ type: 'text', text: statusMessage(own, channels()) }],
        structuredContent: {
          requestId,
          status: own.status,
          statusMessage: statusMessage(own, channels()),
          links: own.links,
        },
      };
    }
    const state = isSettled(own) ? own : await waitWithProgress(requestId, waitMs, extra);
    return isSettled(state) ? toolResultOf(state) : pendingResult(state, channels());
  }

  return server;
}

function refuse(problem: string, asProtocolError: boolean): CallToolResult {
  if (asProtocolError) throw new McpError(ErrorCode.InvalidParams, problem);
  return { content: [{ type: 'text', text: problem }], isError: true };
}
