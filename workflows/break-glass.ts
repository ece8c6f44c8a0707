// Break-glass in a request's story (SPEC 14): a requester the rule names runs the action at once,
// with a reason, and the request is loud about it everywhere: its state, a search attribute, a
// card to every channel of the first stage, the trail (and the metrics derived from it). A stage
// approver reviews it afterwards; a review still missing at its deadline marks the request
// overdue and posts the cards again, every `reviewWithin`, until someone reviews it.
import { condition } from '@temporalio/workflow';
import type { BreakGlassPolicy } from '../policy/types.js';
import { postCardsInput } from './activity-inputs.js';
import { cards } from './activity-options.js';
import { bestEffort, refreshCards } from './approvals.js';
import type { ActionRequest } from './request.js';
import { BREAK_GLASS_REPOSTS } from './rules.js';
import { SA } from './search-attributes.js';

const nowIso = (): string => new Date().toISOString();

/** Marks the request approved by break-glass and posts the loud cards; execution follows. */
export async function breakTheGlass(request: ActionRequest, policy: BreakGlassPolicy, reason: string) {
  const { state, ledger } = request;
  const at = nowIso();
  state.breakGlass = {
    reason,
    by: state.requester,
    at,
    reviewDueAt: new Date(Date.now() + policy.reviewWithinMs).toISOString(),
  };
  ledger.setAttributes([{ key: SA.breakGlass, value: 'review_pending' }]);
  request.markDecidedBy(`break-glass:${state.requester}`);
  state.decidedAt = at;
  request.setStatus('approved');
  ledger.record('breakglass.used', state.requester, {
    reason,
    reviewDueAt: state.breakGlass.reviewDueAt,
    groups: policy.approvers,
    rule: state.policy?.rule,
  });
  await postLoudCards(request);
}

/** Waits for the review, marking the request overdue and posting again while it is missing. */
export async function awaitReview(request: ActionRequest, policy: BreakGlassPolicy): Promise<void> {
  const { state, ledger } = request;
  const breakGlass = state.breakGlass;
  if (!breakGlass) return;
  let wakeAt = Date.parse(breakGlass.reviewDueAt);
  for (;;) {
    const reviewed = await condition(() => breakGlass.review !== undefined, Math.max(1, wakeAt - Date.now()));
    if (reviewed) break;
    breakGlass.overdue = true;
    breakGlass.reposts = (breakGlass.reposts ?? 0) + 1;
    ledger.setAttributes([{ key: SA.breakGlass, value: 'review_overdue' }]);
    ledger.record('breakglass.review_overdue', 'system', {
      reviewDueAt: breakGlass.reviewDueAt,
      reposts: breakGlass.reposts,
    });
    await postLoudCards(request);
    if (breakGlass.reposts >= BREAK_GLASS_REPOSTS) {
      await ledger.flush();
      await condition(() => breakGlass.review !== undefined);
      break;
    }
    wakeAt = Date.now() + policy.reviewWithinMs;
  }
  await refreshCards(request);
}

/** The break-glass card to every channel of the first stage; the trail says where it failed. */
async function postLoudCards(request: ActionRequest): Promise<void> {
  const { state, ledger } = request;
  await ledger.flush();
  const posted = await bestEffort(() => cards.postCards(postCardsInput(state, 0)));
  if (posted) state.cards.push(...posted.cards);
  if (!posted || posted.errors.length > 0) {
    ledger.record('notify.failed', 'system', {
      stage: 0,
      breakGlass: true,
      errors: posted?.errors ?? ['the card activity failed'],
    });
  }
  ledger.touch();
  await ledger.flush();
}
