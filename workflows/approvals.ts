// Asking the approvers (SPEC 2, steps 3-4): stage by stage, cards out, wait for decisions until
// the stage's deadline with a reminder before it, cards a channel failed to take posted again
// with backoff, then escalation to the next stage. Cards are a convenience (the API decides as
// well), so a card call that fails for good is logged or recorded, never fatal.
import { condition, log } from '@temporalio/workflow';
import type { DestinationKind } from '../bots/channel.js';
import type { ApprovalStage } from '../policy/types.js';
import { postCardsInput, remindInput, updateCardsInput } from './activity-inputs.js';
import { cards } from './activity-options.js';
import { failureMessage } from './failures.js';
import type { ActionRequest } from './request.js';
import { CARD_REPOST, nextRepostDelay, nextWake } from './rules.js';
import type { PostedCard } from './types.js';

interface PostResult {
  cards: PostedCard[];
  errors: string[];
  failed?: DestinationKind[] | 'all';
}

/** A card call that failed through all its attempts: logged, and the request goes on. */
export async function bestEffort<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    log.warn('card activity failed', { error: failureMessage(err) });
    return undefined;
  }
}

/** Refreshes the posted cards (after the buffered events are written), if there are any. */
export async function refreshCards(request: ActionRequest, note?: string): Promise<void> {
  const { state, ledger } = request;
  if (state.cards.length === 0) return;
  await ledger.flush();
  await bestEffort(() => cards.updateCards(updateCardsInput(state, note)));
}

/** Posts a stage's cards (to `only` the channels that failed, when given) and records the outcome. */
async function post(request: ActionRequest, stage: number, only?: DestinationKind[]): Promise<PostResult> {
  const { state } = request;
  let posted: PostResult;
  try {
    posted = await cards.postCards(postCardsInput(state, stage, only));
  } catch (err) {
    posted = { cards: [], errors: [failureMessage(err)], failed: only ?? 'all' };
  }
  state.cards.push(...posted.cards);
  // GET (and an MCP task's status) names where the approvers were asked.
  if (posted.cards.length > 0) request.ledger.touch();
  return posted;
}

/** Waits through every stage; returns when the request is no longer pending or the last stage timed out. */
export async function askApprovers(request: ActionRequest, stages: ApprovalStage[]): Promise<void> {
  const { state, ledger } = request;
  request.setStatus('pending_approval');
  for (let i = 0; i < stages.length; i++) {
    const stage = stages[i]!;
    state.stageIndex = i;
    const deadlineMs = Date.now() + stage.timeoutMs;
    state.stageDeadline = new Date(deadlineMs).toISOString();
    if (i > 0) {
      ledger.record('request.escalated', 'system', { stage: i, approvers: stage.approvers });
      await refreshCards(request, `escalated to stage ${i + 1}`);
    }
    await ledger.flush();
    const posted = await post(request, i);
    if (posted.errors.length > 0)
      ledger.record('notify.failed', 'system', { stage: i, errors: posted.errors });
    let failed = posted.failed ?? [];
    let repostDelayMs: number = CARD_REPOST.firstMs;
    let reposts = 0;
    let repostAt = Date.now() + repostDelayMs;
    let reminded = stage.reminderBeforeMs === undefined;
    for (;;) {
      await ledger.flush();
      const seen = request.changes;
      const wake = nextWake({
        now: Date.now(),
        deadlineMs,
        reminderBeforeMs: reminded ? undefined : stage.reminderBeforeMs,
        repostAt: failed === 'all' || failed.length > 0 ? repostAt : undefined,
      });
      if (wake === undefined) break;
      const changed = await condition(
        () => state.status !== 'pending_approval' || request.changes !== seen,
        wake.inMs,
      );
      if (state.status !== 'pending_approval') return;
      if (changed) {
        await refreshCards(request);
      } else if (wake.reason === 'repost') {
        const again = await post(request, i, failed === 'all' ? undefined : failed);
        if (again.cards.length > 0) {
          ledger.record('notify.recovered', 'system', {
            stage: i,
            channels: again.cards.map((c) => `${c.channel}:${c.destination}`),
          });
        }
        reposts++;
        failed = reposts < CARD_REPOST.attempts ? (again.failed ?? []) : [];
        repostDelayMs = nextRepostDelay(repostDelayMs);
        repostAt = Date.now() + repostDelayMs;
      } else if (wake.reason === 'reminder') {
        reminded = true;
        await bestEffort(() => cards.remind(remindInput(state, i)));
      }
    }
  }
}
