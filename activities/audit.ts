// Audit activities: append events to the hash chain (idempotent by event key, so a retried
// activity never doubles them) and keep the request index used by enrichment and listings.
import type { AuditEventInput, RequestIndexRow } from '../audit/types.js';
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
  const stored = await audit.appendMany(
    events.map((e) => ({ ...e, data: dropUndefined(e.data) })),
    { keepStored: true, index: { ...index, ...snapshot } },
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

/** The metrics hook: a failure there must not fail (and retry) the write, or block an execution. */
async function observe({ onAudit, logger }: ActivityDeps, events: AuditEventInput[]): Promise<void> {
  try {
    await onAudit?.(events);
  } catch (err) {
    logger.warn({ requestId: events[0]?.requestId, err: String(err) }, 'audit metrics update failed');
  }
}

export function createAuditActivities(deps: ActivityDeps) {
  const { audit } = deps;
  return {
    async recordAudit(event: AuditEventInput): Promise<void> {
      await audit.append({ ...event, data: dropUndefined(event.data) });
      await observe(deps, [event]);
    },
    async indexRequest(row: RequestIndexRow): Promise<void> {
      await audit.upsertRequestIndex(row);
    },
    async recordEvents(batch: RecordBatch): Promise<void> {
      await recordBatch(deps, batch);
    },
  };
}

/** JSON round trip: the workflow's payloads may carry `undefined` members the chain must not see. */
function dropUndefined(data: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
}
