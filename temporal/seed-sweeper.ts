// Removes the stored starting state of requests whose workflow never started. The API stores it
// before it starts the workflow (so a new request is readable at once) and removes it when the
// start fails; an API process that dies in between, or a removal the database refused, would
// leave a request listed as evaluating forever. No audit event exists for such a request: the
// workflow writes the first one.
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { Logger } from 'pino';
import type { SeedCursor } from '../audit/request-index.js';
import type { AuditStore } from '../audit/store.js';
import { workflowIdFor } from './action-client.js';

export interface SeedSweeperDeps {
  audit: Pick<AuditStore, 'seedsOlderThan' | 'dropSeededRequest'>;
  client: Client;
  logger: Logger;
}

/** Older than this, a starting state with no workflow behind it is an orphan (a start takes ms). */
export const ORPHAN_AFTER_MS = 10 * 60_000;
const SWEEP_EVERY_MS = 5 * 60_000;
const PAGE = 100;
/** Seeds looked at per sweep, oldest first: many whose workflow waits for a worker do not hide the rest for long. */
const PER_SWEEP = 1_000;

/**
 * One sweep; returns the request ids removed. Any answer from Temporal but "not found" keeps the
 * seed and ends the sweep (a server that is down is not asked a thousand times).
 */
export async function sweepOrphanedSeeds(
  { audit, client, logger }: SeedSweeperDeps,
  {
    olderThanMs = ORPHAN_AFTER_MS,
    now = Date.now(),
    pageSize = PAGE,
  }: { olderThanMs?: number; now?: number; pageSize?: number } = {},
): Promise<string[]> {
  const removed: string[] = [];
  let from: SeedCursor | undefined;
  sweep: for (let seen = 0; seen < PER_SWEEP; ) {
    const page = await audit.seedsOlderThan(new Date(now - olderThanMs), pageSize, from);
    for (const seed of page) {
      try {
        await client.workflow.getHandle(workflowIdFor(seed.requestId)).describe();
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) break sweep;
        await audit.dropSeededRequest(seed.requestId);
        removed.push(seed.requestId);
      }
    }
    if (page.length < pageSize) break;
    seen += page.length;
    from = page.at(-1);
  }
  if (removed.length > 0) {
    logger.warn({ requestIds: removed }, 'removed the stored start of requests whose workflow never started');
  }
  return removed;
}

/** Sweeps every 5 minutes (never two at once) until the returned function is called. */
export function startSeedSweeper(deps: SeedSweeperDeps): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepOrphanedSeeds(deps)
      .catch((err) => deps.logger.warn({ err: String(err) }, 'seed sweep failed'))
      .finally(() => {
        running = false;
      });
  }, SWEEP_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
