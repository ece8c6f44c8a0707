// The service config's mcp section: tools and upstreams parse to their shapes, and each mistake
// names its field (a template naming an undeclared argument, a broken schema, an upstream with
// neither command nor url).
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../config/errors.js';
import { parseServiceConfig } from '../../../config/service.js';

const BASE = 'actions: [{ match: "*", executor: callback, environment: production }]\n';

const TOOL = `    - name: export_table
      description: Exports a table
      inputSchema: { type: object, properties: { table: { type: string } }, required: [table] }
      action: db.export
      resource: "postgres://analytics/{{args.table}}"
      environment: production
`;

function errorsOf(text: string): string[] {
  try {
    parseServiceConfig(text, 'airlock.yaml', {});
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('the config was accepted');
}

describe('service config: mcp', () => {
  it('reads tools and upstreams, defaults waitSeconds to 50, and binds each upstream to mcp.call first', () => {
    const config = parseServiceConfig(
      `${BASE}mcp:\n  tools:\n${TOOL}  upstreams:\n    files: { command: node, args: [server.js], env: { TOKEN: "\${FILES_TOKEN}" } }\n    remote: { url: "https://mcp.example.com/mcp", headers: { Authorization: "Bearer x" }, environment: staging }\n`,
      'airlock.yaml',
      { FILES_TOKEN: 'from-env' },
    );
    expect(config.mcp?.waitSeconds).toBe(50);
    expect(config.mcp?.tools[0]).toMatchObject({
      name: 'export_table',
      action: 'db.export',
      environment: 'production',
    });
    expect(config.mcp?.upstreams.files).toMatchObject({
      transport: 'stdio',
      command: 'node',
      env: { TOKEN: 'from-env' },
    });
    expect(config.mcp?.upstreams.remote).toMatchObject({
      transport: 'http',
      environment: 'staging',
      timeoutMs: 60_000,
    });
    expect(config.actions.slice(0, 3)).toEqual([
      // In the upstream's own environment, on its tools' resources (mcp://<upstream>/<tool>).
      {
        match: 'mcp.files.*',
        executor: 'mcp.call',
        environments: ['production'],
        resources: ['mcp://files/*'],
      },
      {
        match: 'mcp.remote.*',
        executor: 'mcp.call',
        environments: ['staging'],
        resources: ['mcp://remote/*'],
      },
      { match: '*', executor: 'callback', environments: ['production'], resources: ['*'] },
    ]);
  });

  it('names a template that refers to an argument the schema does not declare', () => {
    const errors = errorsOf(`${BASE}mcp:\n  tools:\n${TOOL.replace('{{args.table}}', '{{args.tabel}}')}`);
    expect(errors).toEqual([
      expect.stringContaining(
        'mcp.tools[0].resource: refers to argument tabel, which inputSchema.properties does not declare',
      ),
    ]);
  });

  it('names a hole that is not {{args.NAME}}, a schema that is not an object, and a duplicate name', () => {
    const errors = errorsOf(
      `${BASE}mcp:\n  tools:\n${TOOL.replace('environment: production', 'environment: "{{env}}"')}${TOOL.replace('type: object,', 'type: string,')}`,
    );
    expect(
      errors.some((e) => e.includes('mcp.tools[0].environment: has a {{...}} that is not {{args.NAME}}')),
    ).toBe(true);
    expect(errors.some((e) => e.includes('mcp.tools[1].inputSchema.type: must be "object"'))).toBe(true);
    expect(errors.some((e) => e.includes('mcp.tools[1].name: duplicates tools[0].name'))).toBe(true);
  });

  it('refuses an upstream with neither or both of command and url, and a built-in tool name', () => {
    const errors = errorsOf(
      `${BASE}mcp:\n  tools:\n${TOOL.replace('name: export_table', 'name: airlock_wait')}  upstreams:\n    none: { environment: dev }\n    both: { command: node, url: "https://x.example.com" }\n`,
    );
    expect(errors.some((e) => e.includes('mcp.tools[0].name: is a built-in tool name'))).toBe(true);
    expect(errors.some((e) => e.includes('mcp.upstreams.none: needs exactly one of command'))).toBe(true);
    expect(errors.some((e) => e.includes('mcp.upstreams.both: needs exactly one of command'))).toBe(true);
  });
});
