// A small upstream MCP server for the gateway tests, started by Airlock over stdio: it refuses to
// start without the token Airlock holds for it (NOTES_TOKEN), and appends every tool call it
// receives, with its exact arguments, to CALLS_FILE, so a test can count what reached it.
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

export const NOTES_TOKEN = 'notes-upstream-secret';

async function main(): Promise<void> {
  const callsFile = process.env.CALLS_FILE;
  if (process.env.NOTES_TOKEN !== NOTES_TOKEN || !callsFile) {
    process.stderr.write('notes upstream: NOTES_TOKEN and CALLS_FILE are required\n');
    process.exit(2);
  }

  const record = (tool: string, args: unknown) =>
    appendFileSync(
      callsFile,
      `${JSON.stringify({ tool, args, airlockEnv: Boolean(process.env.AIRLOCK_ENCRYPTION_KEY) })}\n`,
    );

  const server = new McpServer({ name: 'notes', version: '1.0.0' });

  server.registerTool(
    'record_note',
    {
      description: 'Records a note',
      inputSchema: { note: z.string().min(1), priority: z.number().int().min(1).max(5) },
    },
    async (args) => {
      record('record_note', args);
      return {
        content: [{ type: 'text', text: `noted: ${args.note} (priority ${args.priority})` }],
        structuredContent: { stored: true, note: args.note },
      };
    },
  );

  server.registerTool('read_notes', { description: 'Reads the notes', inputSchema: {} }, async (args) => {
    record('read_notes', args);
    return { content: [{ type: 'text', text: 'no notes yet' }] };
  });

  await server.connect(new StdioServerTransport());
}

// Started as a program by the gateway; imported by the tests only for its token.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
