// Connections to the upstream MCP servers of `mcp.upstreams`: stdio commands started with
// server-held environment variables (and only those plus a minimal PATH/HOME set, never
// Airlock's own secrets), or Streamable HTTP URLs with server-held headers. One connection per
// upstream, opened on first use and reopened after it drops. The API lists their tools; the
// worker's mcp.call executor calls them after approval.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type CallToolResult, CallToolResultSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { actionWord } from '../config/mcp.js';
import type { McpUpstream } from '../config/types.js';
import type { UpstreamCaller } from '../executors/mcp-call.js';
import type { UpstreamCatalog } from './server.js';
import { type GatewayTool, upstreamTool } from './tools.js';

/** How long a listing is reused before the upstream is asked again. */
const LIST_TTL_MS = 30_000;
const CONNECT_TIMEOUT_MS = 15_000;

interface Connection {
  client: Client;
  closed: boolean;
}

export class UpstreamPool implements UpstreamCatalog, UpstreamCaller {
  readonly #connections = new Map<string, Promise<Connection>>();
  readonly #listed = new Map<string, { at: number; tools: Tool[] }>();

  constructor(
    private readonly upstreams: Record<string, McpUpstream>,
    private readonly logger: Logger,
  ) {}

  /** Every upstream's tools as gateway tools; an upstream that is down is logged and left out. */
  async tools(): Promise<GatewayTool[]> {
    const lists = await Promise.all(
      Object.entries(this.upstreams).map(async ([name, upstream]) => {
        try {
          return (await this.list(name)).map((tool) => upstreamTool(name, upstream, tool));
        } catch (err) {
          this.logger.warn({ upstream: name, err: errorText(err) }, 'MCP upstream cannot list its tools');
          return [];
        }
      }),
    );
    return lists.flat();
  }

  /** The upstream tool an action word names (`mcp.<upstream>.<word>`), when exactly one does. */
  async resolveTool(upstream: string, word: string): Promise<string | undefined> {
    if (!Object.hasOwn(this.upstreams, upstream)) return undefined;
    const matches = (await this.list(upstream, true)).filter((t) => actionWord(t.name) === word);
    return matches.length === 1 ? matches[0]!.name : undefined;
  }

  /** Calls an upstream tool once with exactly these arguments. */
  async call(
    upstream: string,
    tool: string,
    args: Record<string, unknown>,
    options: { idempotencyKey: string; signal?: AbortSignal },
  ): Promise<CallToolResult> {
    const config = this.upstreams[upstream];
    if (!config) throw new Error(`no upstream ${upstream}`);
    const { client } = await this.connect(upstream);
    return (await client.callTool(
      { name: tool, arguments: args, _meta: { 'airlock/idempotency-key': options.idempotencyKey } },
      CallToolResultSchema,
      { timeout: config.timeoutMs, ...(options.signal ? { signal: options.signal } : {}) },
    )) as CallToolResult;
  }

  async close(): Promise<void> {
    const all = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.all(all.map((c) => c.then((conn) => conn.client.close()).catch(() => undefined)));
  }

  private async list(name: string, fresh = false): Promise<Tool[]> {
    const cached = this.#listed.get(name);
    if (!fresh && cached && Date.now() - cached.at < LIST_TTL_MS) return cached.tools;
    const { client } = await this.connect(name);
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: CONNECT_TIMEOUT_MS });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    this.#listed.set(name, { at: Date.now(), tools });
    return tools;
  }

  private connect(name: string): Promise<Connection> {
    const existing = this.#connections.get(name);
    if (existing) {
      return existing.then((c) => {
        if (!c.closed) return c;
        this.#connections.delete(name);
        return this.connect(name);
      });
    }
    const opened = this.open(name);
    this.#connections.set(name, opened);
    // A failed open is not kept: the next call tries again.
    opened.catch(() => this.#connections.delete(name));
    return opened;
  }

  private async open(name: string): Promise<Connection> {
    const upstream = this.upstreams[name]!;
    const client = new Client({ name: 'airlock', version: '0.1.0' });
    const transport =
      upstream.transport === 'stdio'
        ? new StdioClientTransport({
            command: upstream.command,
            args: upstream.args,
            env: { ...getDefaultEnvironment(), ...upstream.env },
            ...(upstream.cwd ? { cwd: upstream.cwd } : {}),
            // Its stderr could carry the secrets it was given: not copied into Airlock's logs.
            stderr: 'ignore',
          })
        : new StreamableHTTPClientTransport(new URL(upstream.url), {
            requestInit: { headers: upstream.headers },
          });
    const connection: Connection = { client, closed: false };
    client.onclose = () => {
      connection.closed = true;
    };
    await client.connect(transport, { timeout: CONNECT_TIMEOUT_MS });
    return connection;
  }
}

/** An error's message without the upstream's configuration (URLs may carry tokens). */
function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 300);
}
