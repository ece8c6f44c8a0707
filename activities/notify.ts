// Card activities: post the stage's cards to its policy channels and keep every posted card
// in step with the request's state. Partial failure is reported, not thrown.
import { DelegationStore } from '../audit/delegation-store.js';
import { type ApprovalCard, withContext } from '../bots/card.js';
import type { DestinationKind } from '../bots/channel.js';
import type { ChannelDestination } from '../policy/types.js';
import type { PostCardsInput, RemindInput, UpdateCardsInput } from '../workflows/activity-inputs.js';
import type { PostedCard } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

export function createNotifyActivities({ channels, policy, logger, audit }: ActivityDeps) {
  const delegations = new DelegationStore(audit.db);
  /** The card with who may decide for its approvers now (a failed look-up only leaves the line out). */
  const withDelegates = async (card: ApprovalCard, delegatesOf: string[] | undefined) => {
    if (!delegatesOf) return card;
    try {
      return withContext(card, {
        delegates: await delegations.givenBy(delegatesOf, new Date().toISOString()),
      });
    } catch (err) {
      logger.warn({ requestId: card.requestId, err: String(err) }, 'could not read delegations for the card');
      return card;
    }
  };
  const destinations = (names: string[]): { found: ChannelDestination[]; unknown: string[] } => {
    const all = policy.current().policy.channels ?? {};
    const found: ChannelDestination[] = [];
    const unknown: string[] = [];
    for (const name of names) {
      const dest = all[name];
      if (dest) found.push({ name, ...dest });
      else unknown.push(name);
    }
    return { found, unknown };
  };

  return {
    /** Posts the stage's cards (or, with `only`, just the ones that failed before). */
    async postCards({
      card,
      stage,
      notify,
      only,
      delegatesOf,
    }: PostCardsInput): Promise<{ cards: PostedCard[]; errors: string[]; failed: DestinationKind[] }> {
      const { found, unknown } = destinations(notify);
      const result = await channels.post(found, await withDelegates(card, delegatesOf), stage, only);
      const errors = [
        ...(only ? [] : unknown.map((n) => `channel ${n} is not defined in the current policy`)),
        ...result.errors,
      ];
      if (errors.length) logger.warn({ requestId: card.requestId, errors }, 'some cards were not posted');
      return { cards: result.cards, errors, failed: result.failed };
    },
    async updateCards({ card, cards, note, delegatesOf }: UpdateCardsInput): Promise<{ errors: string[] }> {
      const errors = await channels.update(cards, await withDelegates(card, delegatesOf), note);
      if (errors.length) logger.warn({ requestId: card.requestId, errors }, 'some cards were not updated');
      return { errors };
    },
    async remind({ cards, deadline }: RemindInput): Promise<{ errors: string[] }> {
      const text = `Reminder: this request needs a decision before ${deadline ?? 'soon'} or it escalates.`;
      return { errors: await channels.reply(cards, text) };
    },
  };
}
