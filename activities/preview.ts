// Verified previews (SPEC 13): the executor computes what the action would do, with the target's
// server-held credentials and no lasting effect; Airlock stamps it as its own and hashes it, so the
// approval, the trail and the drift check at execution all refer to the same thing. A preview that
// fails is a result (the card says why), never a blocked request; only transient errors are
// thrown, for Temporal to retry. The policy is evaluated again here when a rule reads `preview`.
import { Context } from '@temporalio/activity';
import type { Target } from '../config/types.js';
import { ExecutorError, type PreviewOutcome } from '../executors/types.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { sha256Hex } from '../lib/sha256.js';
import { evaluatePolicy } from '../policy/evaluate.js';
import type { PolicyDecision } from '../policy/types.js';
import type { ActionPreview } from '../workflows/preview-types.js';
import { policyInputFor } from '../workflows/rules.js';
import type { ActionRequestInput, Enrichment, ExecutionBinding } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

/** A preview's own time budget, inside the activity's start-to-close timeout (activity-options.ts). */
export const PREVIEW_BUDGET_MS = 45_000;

export interface PreviewInput {
  requestId: string;
  action: string;
  parameters: Record<string, unknown>;
  requester: string;
  binding: ExecutionBinding;
}

/** The preview's hash: SHA-256 of the canonical JSON of all of it but the hash. */
export function previewHash(preview: Omit<ActionPreview, 'hash'>): string {
  return sha256Hex(canonicalJson(preview));
}

export function createPreviewActivities(deps: ActivityDeps) {
  const { executors, config, logger } = deps;
  return {
    async previewAction(input: PreviewInput): Promise<ActionPreview> {
      const started = Date.now();
      const stamp = (outcome: PreviewOutcome): ActionPreview => {
        const preview = {
          ...outcome,
          computedBy: 'airlock' as const,
          executor: input.binding.executor,
          computedAt: new Date(started).toISOString(),
          durationMs: Date.now() - started,
        };
        return { ...preview, hash: previewHash(preview) };
      };
      const executor = executors.get(input.binding.executor);
      if (executor?.preview === undefined)
        return stamp({
          status: 'unavailable',
          reason: `${input.binding.executor} computes no preview`,
          summary: [],
        });
      const name = input.binding.target;
      const target: Target | undefined =
        name !== undefined && Object.hasOwn(config.targets, name) ? config.targets[name] : undefined;
      if (name !== undefined && target === undefined)
        return stamp({ status: 'unavailable', reason: `target ${name} is not configured`, summary: [] });
      try {
        const outcome = await executor.preview({
          requestId: input.requestId,
          action: input.action,
          parameters: input.parameters,
          requester: input.requester,
          target,
          signal: Context.current().cancellationSignal,
          deadline: started + PREVIEW_BUDGET_MS,
        });
        const preview = stamp(outcome);
        logger.info(
          {
            requestId: input.requestId,
            executor: executor.name,
            status: preview.status,
            ms: preview.durationMs,
          },
          'previewed',
        );
        return preview;
      } catch (err) {
        if (err instanceof ExecutorError && !err.retryable)
          return stamp({ status: 'failed', reason: err.message, summary: [] });
        logger.warn(
          { requestId: input.requestId, executor: executor.name, err: String(err) },
          'preview attempt failed',
        );
        throw err;
      }
    },

    /** The policy's answer with the preview in view (`preview` in CEL), for rules that read it. */
    async evaluateAfterPreview(input: {
      request: ActionRequestInput;
      enrichment: Enrichment | undefined;
      preview: ActionPreview | undefined;
      now: string;
    }): Promise<PolicyDecision> {
      const preview = input.preview ?? { status: 'unavailable', reason: 'this action has no preview' };
      return evaluatePolicy(
        deps.policy.current(),
        policyInputFor(input.request, input.enrichment, input.now, { ...preview }),
      );
    },
  };
}
