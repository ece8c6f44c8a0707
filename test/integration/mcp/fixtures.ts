// Policy, service config and an MCP client for the gateway scenarios: the SDK's own Client over
// Streamable HTTP, authenticated with a harness API key, is the agent.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export const MCP_POLICY = `version: 1
groups:
  dba: [dana@example.com]
channels:
  dba-chat: { slack: { channel: C0DBA } }
rules:
  - name: never-export-secrets
    match: { action: "http.export" }
    when: 'parameters.body.table == "secrets"'
    effect: deny
    reason: the secrets table is never exported
  - name: dev-is-free
    match: { environment: dev }
    effect: allow
  - name: production
    match: { environment: production }
    effect: require_approval
    stages:
      - { approvers: [dba], timeout: 10m, notify: [dba-chat] }
default:
  effect: require_approval
  stages:
    - { approvers: [dba], timeout: 10m }
`;

export const MCP_TOOLS = `mcp:
  waitSeconds: 3
  tools:
    - name: echo_dev
      description: Echoes a message through the dev target
      inputSchema:
        type: object
        properties: { message: { type: string } }
        required: [message]
        additionalProperties: false
      action: http.echo
      resource: "echo:/echo"
      environment: dev
      parameters: { method: POST, path: /echo, body: { message: "{{args.message}}" } }
    - name: export_table
      description: Exports rows of a production table (a DBA approves)
      inputSchema:
        type: object
        properties:
          table: { type: string, pattern: "^[a-z_]+$" }
          rows: { type: integer, minimum: 1, maximum: 1000 }
        required: [table, rows]
        additionalProperties: false
      action: http.export
      resource: "echo:/export/{{args.table}}"
      environment: production
      parameters: { method: POST, path: "/export/{{args.table}}", body: { table: "{{args.table}}", rows: "{{args.rows}}" } }
`;

export function mcpConfig(targetUrl: string, extra = ''): string {
  return `targets:
  echo: { type: http, environment: production, resources: ["echo:*"], baseUrl: "${targetUrl}", headers: { Authorization: "Bearer target-secret-token" } }
  echo-dev: { type: http, environment: dev, resources: ["echo:*"], baseUrl: "${targetUrl}", headers: { Authorization: "Bearer target-secret-token" } }
actions:
  - { match: "http.*", executor: http.request, target: echo }
  - { match: "http.*", executor: http.request, target: echo-dev }
${MCP_TOOLS}${extra}`;
}

export const MCP_PRINCIPALS = [
  { principal: 'agent@example.com', roles: ['requester'] },
  { principal: 'other-agent@example.com', roles: ['requester'] },
  // An agent's key bound to the human it acts for: that human is the requester for self-approval.
  { principal: 'dana-agent@example.com', roles: ['requester'], onBehalfOf: 'dana@example.com' },
  { principal: 'dana@example.com', roles: ['approver'] },
  { principal: 'audit@example.com', roles: ['auditor'] },
];

/** Connects the SDK's Client to Airlock's /mcp with a bearer key. */
export async function connectAgent(url: string, key: string, name = 'test-agent'): Promise<Client> {
  const client = new Client({ name, version: '1.2.3' });
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
  });
  await client.connect(transport);
  return client;
}

/** The text of a tool result's first content block. */
export function textOf(result: object): string {
  const first = (
    (result as { content?: unknown }).content as { type: string; text?: string }[] | undefined
  )?.[0];
  return first?.type === 'text' ? (first.text ?? '') : '';
}
