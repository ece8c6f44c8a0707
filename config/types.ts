// Shapes of the service configuration (SPEC 9) after parsing, shared with executors and API.
// The zod schemas that produce them live in config/service.ts.

export type Role = 'requester' | 'approver' | 'auditor' | 'admin';

export interface ApiKeyEntry {
  /** Canonical (policy/identity.ts). */
  principal: string;
  roles: Role[];
  /** The human every request made with this key acts for (canonical address); the body cannot say otherwise. */
  onBehalfOf?: string;
  /** SHA-256 (hex, lower case) of the key; the key itself is never stored. */
  sha256: string;
}

/**
 * Where a target lives: the one environment it belongs to and the resources it holds. A request
 * runs on a target only when its `environment` and `resource` are these, so the policy decides on
 * what will actually run.
 */
export interface TargetPlacement {
  environment: string;
  /** Resource globs; `{name}` stands for the request's `parameters.name`, matched literally. */
  resources: string[];
}

export interface HttpTarget extends TargetPlacement {
  type: 'http';
  baseUrl: string;
  /** Secret headers added to every call; never logged, never shown. */
  headers: Record<string, string>;
  timeoutMs: number;
  /** Response body bytes kept in the result. */
  maxResponseBytes: number;
  /** False: the result holds the status and the body's size, never the body (default true). */
  returnBody?: boolean;
  /**
   * Where the current state of what a request changes is read for its preview: a GET, its path
   * with `{name}` filled from `parameters.name` (as in `resources`).
   */
  preview?: { method: 'GET'; path: string };
}

export interface PostgresTarget extends TargetPlacement {
  type: 'postgres';
  url: string;
  statementTimeoutMs: number;
  /** How long a statement may wait for a lock (previews and execution); the config sets 5 s by default. */
  lockTimeoutMs?: number;
  /** False: requests on this target get no preview (nothing runs before approval). Default true. */
  preview?: boolean;
}

export type Target = HttpTarget | PostgresTarget;

export interface ActionBinding {
  /** Glob over the action type (`db.schema.*`, `*`). */
  match: string;
  executor: string;
  target?: string;
  /**
   * Only for a binding without a target (gate mode): the environments and resource globs it
   * serves. A binding with a target takes both from its target.
   */
  environments?: string[];
  resources?: string[];
}

export interface ServiceConfig {
  apiKeys: ApiKeyEntry[];
  targets: Record<string, Target>;
  actions: ActionBinding[];
  callbacks: {
    /** Allowed callback URLs, `scheme://host[:port|:*][/path-glob]` (config/callback-allow.ts); empty: none. */
    allow: string[];
    /** What each requester's Airlock-Signature key is derived from (HKDF); unset: the master key. */
    signingSecret?: string;
  };
  grants: {
    /** Default and maximum TTL of a just-in-time grant. */
    defaultTtlMs: number;
    maxTtlMs: number;
  };
  gate: {
    /** How long a gate-mode approval token stays redeemable. */
    tokenTtlMs: number;
    /** How long a redeemed gate request waits for its completion report. */
    completionTimeoutMs: number;
  };
  oidc?: {
    /** Claim holding the principal; unset: OIDC_PRINCIPAL_CLAIM, else `email` (falls back to `sub`). */
    principalClaim?: string;
    /** Claim holding roles (default `roles`). */
    rolesClaim: string;
    /** Roles granted by subject glob, for issuers that carry no role claim (GitHub Actions). */
    subjects: { match: string; principal?: string; roles: Role[] }[];
  };
  /** The MCP gateway at /mcp (SPEC 10); unset when the config has no mcp section. */
  mcp?: McpConfig;
}

/** A tool the MCP gateway offers, and how a call becomes a request (SPEC 10). */
export interface McpTool {
  name: string;
  title?: string;
  description: string;
  /** JSON Schema (type: object) of the arguments; calls that fail it create no request. */
  inputSchema: Record<string, unknown>;
  action: string;
  /** Fixed, or templated from the arguments (`{{args.table}}`). */
  resource: string;
  environment: string;
  /** Argument names to pass as parameters, or a mapping of templates; unset: all arguments. */
  parameters?: string[] | Record<string, unknown>;
  justification?: string;
}

interface McpUpstreamCommon {
  /** The environment the policy sees for this upstream's calls. */
  environment: string;
  /** How long one upstream call may take. */
  timeoutMs: number;
}

/** An MCP server whose tools the gateway offers as `<upstream>.<tool>`; its credentials stay here. */
export type McpUpstream =
  | (McpUpstreamCommon & {
      transport: 'stdio';
      command: string;
      args: string[];
      cwd?: string;
      env: Record<string, string>;
    })
  | (McpUpstreamCommon & { transport: 'http'; url: string; headers: Record<string, string> });

export interface McpConfig {
  /** How long a call without a task waits for the request to end before answering "pending". */
  waitSeconds: number;
  tools: McpTool[];
  upstreams: Record<string, McpUpstream>;
}
