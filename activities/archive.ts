// The history archiver's activities (SPEC 7): find this deployment's closed request workflows
// that are not archived yet (Temporal visibility on CloseTime, resuming from a cursor kept in
// PostgreSQL, so a run after downtime catches up), fetch each full history as-is (payloads stay
// ciphertext), store it with its `history.archived` chain event, and sign a checkpoint.
import { WorkflowNotFoundError } from '@temporalio/client';
import {
  advanceArchiveCursor,
  alreadyHandled,
  archiveHistory,
  readArchiveCursor,
  recordHistoryUnavailable,
} from '../audit/archive-store.js';
import { signCheckpoint } from '../audit/checkpoints.js';
import { historyToJson } from '../temporal/history-json.js';
import type { ActivityDeps } from './deps.js';

export interface ClosedRequest {
  requestId: string;
  workflowId: string;
  runId: string;
  closeTime: string;
  status: string;
}

export interface ClosedRequestPage {
  /** Oldest first. */
  items: ClosedRequest[];
  /** Every closed workflow since the cursor was seen: once `items` are archived the cursor may move. */
  complete: boolean;
  /** Newest close time seen (only when complete). */
  maxCloseTime?: string;
}

/** Visibility is eventually consistent: re-list this far behind the cursor (already-archived ones are skipped). */
export const CURSOR_OVERLAP_MS = 10 * 60_000;
const WORKFLOW_PREFIX = 'action-';

export function closedRequestsQuery(taskQueue: string, since: string | undefined): string {
  if (/['"\\]/.test(taskQueue)) throw new Error('the task queue name cannot be used in a visibility query');
  const clauses = [
    `WorkflowType = 'actionRequest'`,
    `TaskQueue = '${taskQueue}'`,
    `ExecutionStatus != 'Running'`,
  ];
  if (since) clauses.push(`CloseTime >= '${since}'`);
  return clauses.join(' AND ');
}

export function createArchiveActivities({ audit, evidence, logger }: ActivityDeps) {
  const db = audit.db;
  return {
    async listClosedRequests({ limit }: { limit: number }): Promise<ClosedRequestPage> {
      const cursor = await readArchiveCursor(db);
      const since = cursor ? new Date(Date.parse(cursor) - CURSOR_OVERLAP_MS).toISOString() : undefined;
      const items: ClosedRequest[] = [];
      let maxCloseTime: string | undefined;
      let batch: ClosedRequest[] = [];
      const flush = async () => {
        const done = await alreadyHandled(
          db,
          batch.map((b) => b.requestId),
        );
        items.push(...batch.filter((b) => !done.has(b.requestId)));
        batch = [];
      };
      let complete = true;
      for await (const wf of evidence.client.workflow.list({
        query: closedRequestsQuery(evidence.taskQueue, since),
      })) {
        if (!wf.workflowId.startsWith(WORKFLOW_PREFIX) || !wf.closeTime) continue;
        const closeTime = wf.closeTime.toISOString();
        if (!maxCloseTime || closeTime > maxCloseTime) maxCloseTime = closeTime;
        batch.push({
          requestId: wf.workflowId.slice(WORKFLOW_PREFIX.length),
          workflowId: wf.workflowId,
          runId: wf.runId,
          closeTime,
          status: wf.status.name,
        });
        if (batch.length >= 200) await flush();
        if (items.length >= limit) {
          complete = false;
          break;
        }
      }
      if (complete) await flush();
      items.sort((a, b) => (a.closeTime < b.closeTime ? -1 : a.closeTime > b.closeTime ? 1 : 0));
      return complete
        ? { items, complete, ...(maxCloseTime ? { maxCloseTime } : {}) }
        : { items: items.slice(0, limit), complete };
    },

    async archiveRequestHistory(
      req: ClosedRequest,
    ): Promise<{ status: 'archived' | 'already' | 'unavailable' }> {
      let history: Awaited<ReturnType<ReturnType<typeof evidence.client.workflow.getHandle>['fetchHistory']>>;
      try {
        history = await evidence.client.workflow.getHandle(req.workflowId, req.runId).fetchHistory();
      } catch (err) {
        const gone = err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5;
        if (!gone) throw err;
        await recordHistoryUnavailable(db, {
          requestId: req.requestId,
          workflowId: req.workflowId,
          closeTime: req.closeTime,
          reason: 'the history was no longer in Temporal (past the namespace retention?)',
        });
        logger.warn(
          { requestId: req.requestId },
          'closed request history not found; recorded as unavailable',
        );
        return { status: 'unavailable' };
      }
      const { created, history: stored } = await archiveHistory(db, {
        requestId: req.requestId,
        workflowId: req.workflowId,
        runId: req.runId,
        history: historyToJson(history),
      });
      logger.info({ requestId: req.requestId, sha256: stored.sha256, created }, 'history archived');
      return { status: created ? 'archived' : 'already' };
    },

    async advanceArchiveCursor({ closeTime }: { closeTime: string }): Promise<void> {
      await advanceArchiveCursor(db, closeTime);
    },

    async checkpointChain(): Promise<{ id: number; headId: number } | null> {
      const c = await signCheckpoint(db, evidence.signing, { reason: 'periodic' });
      return c ? { id: c.id, headId: c.headId } : null;
    },
  };
}
