// Audit activities: append events to the hash chain (idempotent by event key, so a retried
// activity never doubles them) and keep the request index used by enrichment and listings.
import { ApplicationFailure } from '@temporalio/common';
import type { AuditEventInput, RequestIndexRow } from '../audit/types.js';
import { storeCannotAccept } from '../db/errors.js';
import { AUDIT_REJECTED } from '../workflows/failure-types.js';
import type { MessageKind } from '../workflows/messages.js';
import type { ActionState } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

/** The workflow's buffered audit events and the request's index row, written together. */
export interface RecordBatch {
  events: AuditEventInput[];
  index: RequestIndexRow;
  /** The state as of these events, stored sealed for GET (the workflow's event count orders them). */
  state?: ActionState;
  stateSeq?: number;
}

/**
 * The workflow's buffered events in one append (in order) with the request's index row. The
 * batch may be written twice (a local activity's input is not in history until its workflow task
 * completes; a retried activity carries it again, after a worker crash with a later workflow time
 * on the events): the first write of an event key stands.
 */
export async function recordBatch(
  deps: ActivityDeps,
  { events, index, state, stateSeq }: RecordBatch,
): Promise<void> {
  const { audit, logger, stateSealer } = deps;
  const snapshot =
    state && stateSeq !== undefined && stateSealer
      ? { statePayload: await stateSealer.seal(state), stateSeq }
      : {};
  // The index row goes in the events' transaction (one commit, and never ahead of the trail).
  const stored = await failClosed(deps, events, () =>
    audit.appendMany(
      events.map((e) => ({ ...e, data: dropUndefined(e.data) })),
      { keepStored: true, index: { ...index, ...snapshot } },
    ),
  );
  const kept = stored.filter((s, i) => s.at !== events[i]?.at || s.type !== events[i]?.type);
  if (kept.length > 0) {
    logger.warn(
      { requestId: events[0]?.requestId, eventKeys: kept.map((e) => e.eventKey) },
      'kept audit events written by an earlier attempt of this workflow task',
    );
  }
  await observe(deps, events);
}

/**
 * Runs an audit write, failing closed: when the store refused it for what it holds (it can never
 * succeed), a non-retryable AuditRejected instead of retries without end, which would leave the
 * request stuck with no trail. Its message names only the SQLSTATE: the database's own message
 * can quote the refused value. Anything else (an outage) is thrown as it was, and retried.
 */
export async function failClosed<T>(
  { logger }: Pick<ActivityDeps, 'logger'>,
  events: readonly Pick<AuditEventInput, 'requestId' | 'eventKey' | 'type'>[],
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!storeCannotAccept(err)) throw err;
    logger.error(
      {
        requestId: events[0]?.requestId,
        events: events.map((e) => `${e.type} ${e.eventKey}`),
        sqlstate: err.code,
      },
      'the audit store can never accept these events; failing the write for good',
    );
    throw ApplicationFailure.create({
      type: AUDIT_REJECTED,
      message: `the audit store can never accept these events (SQLSTATE ${err.code})`,
      nonRetryable: true,
      details: [{ sqlstate: err.code }],
    });
  }
}

/** The metrics hook: a failure there must not fail (and retry) the write, or block an execution. */
async function observe({ onAudit, logger }: ActivityDeps, events: AuditEventInput[]): Promise<void> {
  try {
    await onAudit?.(events);
  } catch (err) {
    logger.warn({ requestId: events[0]?.requestId, err: String(err) }, 'audit metrics update failed');
  }
}

export function createAuditActivities(deps: ActivityDeps) {
  return {
    async recordEvents(batch: RecordBatch): Promise<void> {
      await recordBatch(deps, batch);
    },
    /** Whether a message to a request workflow carries a valid proof (temporal/message-proof.ts). */
    async verifyMessage({
      kind,
      requestId,
      message,
    }: {
      kind: MessageKind;
      requestId: string;
      message: object;
    }) {
      return deps.prover.verify(kind, requestId, message);
    },
  };
}

/** JSON round trip: the workflow's payloads may carry `undefined` members the chain must not see. */
function dropUndefined(data: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
}
