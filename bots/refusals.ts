// One recorder for every refusal a channel makes before or instead of a decision: through the
// workflow (it signs, keeps and aggregates refusals), or, when the request has closed and its
// workflow can no longer record anything, straight into the audit trail, the way the API
// records a late decision. One event-key scheme for the direct writes.
import type { Logger } from 'pino';
import type { AuditEventInput } from '../audit/types.js';
import type { ActionClient } from '../temporal/action-client.js';
import type { RefusedAttempt } from '../workflows/types.js';

export type Attempt = Omit<RefusedAttempt, 'at'>;

/** What the recorder needs of the audit store: appending one event. */
export interface RefusalTrail {
  append(event: AuditEventInput): Promise<unknown>;
}

/** The key of a refusal written past the workflow: unique per channel, actor and instant. */
export function closedRefusalKey(attempt: Attempt, at: string): string {
  return `${attempt.channel}:refused:${attempt.actor}:${at}`;
}

export class RefusalRecorder {
  constructor(
    private readonly actions: ActionClient,
    private readonly trail: RefusalTrail,
    private readonly logger: Logger,
  ) {}

  /** A refusal of an open request goes to its workflow; of a closed one, to the trail. Never throws. */
  async refuse(requestId: string, attempt: Attempt): Promise<void> {
    try {
      await this.actions.reportRefusal(requestId, attempt);
    } catch (err) {
      const closed = await this.actions.isClosed(requestId).catch(() => false);
      if (closed) return this.closed(requestId, attempt);
      this.logger.warn(
        { requestId, channel: attempt.channel, code: (err as { code?: unknown }).code },
        'could not record a refused attempt',
      );
    }
  }

  /** A refusal of a request whose workflow has closed (it cannot record it). Never throws. */
  async closed(requestId: string, { actor, ...data }: Attempt): Promise<void> {
    const at = new Date().toISOString();
    await this.trail
      .append({
        requestId,
        eventKey: closedRefusalKey({ actor, ...data }, at),
        type: 'attempt.refused',
        actor,
        at,
        data,
      })
      .catch((err: unknown) =>
        this.logger.warn({ requestId, err: String(err) }, 'a late attempt was not recorded'),
      );
  }
}
