// How the workflow calls its activities: one proxy per kind of work, each with the timeouts and
// retries that suit it. Types only from activities/: the workflow bundle must not load them.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { AirlockActivities } from '../activities/index.js';

/**
 * Bookkeeping (enrichment with policy, audit writes, message proofs) as local activities: in the
 * worker, inside the workflow task, instead of a server round trip each. They are idempotent
 * (audit by event key, index by request id), so a re-run after a worker crash changes nothing.
 */
export const local = proxyLocalActivities<AirlockActivities>({
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '200ms',
    maximumInterval: '10s',
    backoffCoefficient: 2,
    nonRetryableErrorTypes: ['UnverifiedRequest'],
  },
});
// Cards are best effort per channel; the activity reports partial failures itself.
export const cards = proxyActivities<AirlockActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '30s', maximumAttempts: 5 },
});
// Executors are idempotent by request id, so retrying after a crash never runs twice.
// The heartbeat timeout notices a crashed worker in seconds instead of after the 5-minute limit.
export const executors = proxyActivities<AirlockActivities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: '30s',
  retry: {
    initialInterval: '1s',
    maximumInterval: '1m',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['ExecutorRejected'],
  },
});
// A preview runs on the target with its own budget (activities/preview.ts) inside this timeout; a
// transient failure is tried again twice, then the card says the preview failed.
export const previews = proxyActivities<AirlockActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '5s', maximumAttempts: 3 },
});
// A JIT grant must end: revocation retries until it succeeds, however long the target is down.
export const revocations = proxyActivities<AirlockActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', maximumInterval: '5m', backoffCoefficient: 2 },
});
// The requester's callback endpoint may be down for a while: back off for up to about a day.
export const callbacks = proxyActivities<AirlockActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '2s', maximumInterval: '10m', maximumAttempts: 200 },
});
