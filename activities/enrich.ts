// Enrichment (SPEC 2 step 1): who asks, which agent, how their recent requests ended, and a
// diff preview. Each part fails on its own and is listed as degraded; none blocks the request.
import { createTwoFilesPatch } from 'diff';
import { groupsOf } from '../policy/evaluate.js';
import type { ActionRequestInput, Enrichment } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

const HISTORY_DAYS = 30;
const DIFF_PREVIEW_CHARS = 20_000;

export function createEnrichActivities({ audit, policy, logger }: ActivityDeps) {
  return {
    async enrichRequest(input: ActionRequestInput): Promise<Enrichment> {
      const enrichment: Enrichment = { degraded: [], agent: input.request.agent };
      try {
        enrichment.requesterDirectory = {
          identity: input.requester,
          groups: groupsOf(policy.current(), input.requester),
        };
      } catch (err) {
        enrichment.degraded.push('requester directory unavailable');
        logger.warn({ requestId: input.requestId, err: String(err) }, 'directory look-up failed');
      }
      try {
        enrichment.history = await audit.historyFor({
          requester: input.requester,
          resource: input.request.resource,
          sinceDays: HISTORY_DAYS,
          excludeRequestId: input.requestId,
        });
      } catch (err) {
        enrichment.degraded.push('request history unavailable');
        logger.warn({ requestId: input.requestId, err: String(err) }, 'history look-up failed');
      }
      const preview = diffPreview(input.request.diff);
      if (preview) enrichment.diffPreview = preview;
      return enrichment;
    },
  };
}

export function diffPreview(diff: ActionRequestInput['request']['diff']): string | undefined {
  if (!diff) return undefined;
  let text: string | undefined = diff.unified;
  if (text === undefined && (diff.before !== undefined || diff.after !== undefined)) {
    text = createTwoFilesPatch('before', 'after', diff.before ?? '', diff.after ?? '', undefined, undefined, {
      context: 3,
    });
  }
  return text === undefined ? undefined : text.slice(0, DIFF_PREVIEW_CHARS);
}
