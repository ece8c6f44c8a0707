// The MCP gateway's cost: one auto-allowed tool call through Airlock's /mcp (a request, its
// workflow and the mcp.call executor forwarding to the upstream) against the same upstream tool
// called directly over stdio from this process, in the same run.
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { NOTES_TOKEN } from '../test/fakes/mcp-upstream.js';
import { type LatencySummary, pool, round, summarize } from './lib.js';

const UPSTREAM = fileURLToPath(new URL('../test/fakes/mcp-upstream.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/tsx/dist/esm/index.mjs', import.meta.url));

/** The upstream as Airlock's service config declares it (its env comes from Airlock's). */
export function mcpUpstreamConfig(): string {
  return `mcp:
  waitSeconds: 60
  upstreams:
    notes:
      command: "${process.execPath}"
      args: ["--import", "${TSX}", "${UPSTREAM}"]
      env: { NOTES_TOKEN: "\${NOTES_TOKEN}", CALLS_FILE: "\${CALLS_FILE}" }
      environment: bench
`;
}

/** What Airlock's processes need in their environment for that upstream. */
export const mcpUpstreamEnv = (callsFile: string) => ({ NOTES_TOKEN, CALLS_FILE: callsFile });

export interface McpOverhead {
  direct: LatencySummary;
  viaAirlock: LatencySummary;
  overheadP50Ms: number;
  overheadP99Ms: number;
  callsPerSecond: number;
  callsPerSecondLatency: LatencySummary;
}

export async function measureMcpOverhead(o: {
  url: string;
  requesterKey: string;
  callsFile: string;
  sizes: { latency: number; throughput: number; concurrency: number };
}): Promise<McpOverhead> {
  const direct = new Client({ name: 'bench-direct', version: '1' });
  await direct.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: ['--import', TSX, UPSTREAM],
      env: { NOTES_TOKEN, CALLS_FILE: o.callsFile },
    }),
  );
  const gateway = new Client({ name: 'bench-agent', version: '1' });
  await gateway.connect(
    new StreamableHTTPClientTransport(new URL(`${o.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${o.requesterKey}` } },
    }),
  );
  try {
    let n = 0;
    const call = async (client: Client, name: string) => {
      const res = await client.callTool({ name, arguments: { note: `bench ${++n}`, priority: 1 } });
      if (res.isError) throw new Error(`${name}: ${JSON.stringify(res.content).slice(0, 300)}`);
    };
    const serial = async (label: string, client: Client, name: string) => {
      await pool(`${label} warm-up`, 5, 1, () => call(client, name));
      const samples: number[] = [];
      await pool(`${label}: latency`, o.sizes.latency, 1, async () => {
        const s = performance.now();
        await call(client, name);
        samples.push(performance.now() - s);
      });
      return summarize(samples);
    };
    const directLatency = await serial('MCP direct', direct, 'record_note');
    const viaAirlock = await serial('MCP via Airlock', gateway, 'notes.record_note');
    const loaded: number[] = [];
    const s = performance.now();
    await pool('MCP via Airlock: throughput', o.sizes.throughput, o.sizes.concurrency, async () => {
      const t = performance.now();
      await call(gateway, 'notes.record_note');
      loaded.push(performance.now() - t);
    });
    return {
      direct: directLatency,
      viaAirlock,
      overheadP50Ms: round(viaAirlock.p50Ms - directLatency.p50Ms),
      overheadP99Ms: round(viaAirlock.p99Ms - directLatency.p99Ms),
      callsPerSecond: round(o.sizes.throughput / ((performance.now() - s) / 1000)),
      callsPerSecondLatency: summarize(loaded),
    };
  } finally {
    await Promise.allSettled([direct.close(), gateway.close()]);
  }
}
