// The Temporal the bench runs against: the CLI's dev server (default, as `npm start` runs it), or
// with --cluster the real server as four service processes on PostgreSQL (test/cluster/cluster.ts,
// the same cluster `npm run test:cluster` starts), so both give figures from the same scenarios.
import { join } from 'node:path';
import { startDevServer } from '../temporal/dev-server.js';
import { startCluster } from '../test/cluster/cluster.js';
import { TEMPORAL_SERVICES } from '../test/cluster/contract.js';

export interface BenchTemporal {
  address: string;
  /** The processes whose CPU time is Temporal's (one for the dev server, four on the cluster). */
  pids(): (number | undefined)[];
  /** What ran, for the results' setup section. */
  description: string;
  stop(): Promise<void>;
}

export async function startBenchTemporal(opts: {
  cluster: boolean;
  sqlite: boolean;
  dir: string;
  cliPath: string;
}): Promise<BenchTemporal> {
  if (opts.cluster) {
    const cluster = await startCluster();
    return {
      address: cluster.address,
      pids: () => TEMPORAL_SERVICES.map((s) => cluster.process(s)?.pid),
      description: `Temporal server cluster (${TEMPORAL_SERVICES.join(', ')} as separate processes) on PostgreSQL, fresh per run`,
      stop: () => cluster.stop(),
    };
  }
  const dev = await startDevServer({
    cliPath: opts.cliPath,
    headless: true,
    ...(opts.sqlite ? { dbFilename: join(opts.dir, 'temporal.sqlite') } : {}),
  });
  return {
    address: dev.address,
    pids: () => [dev.process?.pid],
    description: `local dev server (temporal CLI start-dev, ${opts.sqlite ? 'SQLite file' : 'in memory'}), fresh per run`,
    stop: () => dev.stop(),
  };
}
