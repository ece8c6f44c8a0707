// The history archiver (SPEC 7), started by a Temporal Schedule: archives the full history of
// every closed request workflow into PostgreSQL with its hash in the chain, then signs a
// checkpoint of the chain head. Idempotent (archived requests are skipped), and it catches up
// after downtime because the listing resumes from a cursor kept in the database. Deterministic:
// all I/O is in the activities of activities/archive.ts.
import { continueAsNew, proxyActivities } from '@temporalio/workflow';
import type { AirlockActivities } from '../activities/index.js';

const archive = proxyActivities<AirlockActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', maximumInterval: '30s', backoffCoefficient: 2, maximumAttempts: 5 },
});

export interface HistoryArchiverInput {
  /** Histories archived in parallel per page (default 20). */
  batchSize?: number;
  /** After this many, a long backlog continues as a new run so each history stays small (default 1000). */
  maxPerRun?: number;
}

export interface HistoryArchiverResult {
  archived: number;
  already: number;
  unavailable: number;
  checkpoint: { id: number; headId: number } | null;
}

export async function historyArchiver(input: HistoryArchiverInput = {}): Promise<HistoryArchiverResult> {
  const batchSize = Math.max(1, input.batchSize ?? 20);
  const maxPerRun = Math.max(batchSize, input.maxPerRun ?? 1000);
  const totals = { archived: 0, already: 0, unavailable: 0 };
  for (;;) {
    const page = await archive.listClosedRequests({ limit: batchSize });
    const results = await Promise.all(page.items.map((item) => archive.archiveRequestHistory(item)));
    for (const r of results) totals[r.status]++;
    if (page.complete) {
      // Everything closed up to maxCloseTime is archived now: the next run starts there.
      if (page.maxCloseTime) await archive.advanceArchiveCursor({ closeTime: page.maxCloseTime });
      break;
    }
    if (totals.archived + totals.already + totals.unavailable >= maxPerRun) {
      await continueAsNew<typeof historyArchiver>(input);
    }
  }
  const checkpoint = await archive.checkpointChain();
  return { ...totals, checkpoint };
}
