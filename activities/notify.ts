// Card activities: post the stage's cards to its policy channels and keep every posted card
// in step with the request's state. Partial failure is reported, not thrown.
import { DelegationStore } from '../audit/delegation-store.js';
import { buildApprovalCard, type CardContext } from '../bots/card.js';
import type { DestinationKind } from '../bots/channel.js';
import type { ChannelDestination } from '../policy/types.js';
import type { ActionState, PostedCard } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

export function createNotifyActivities({ channels, policy, logger, audit }: ActivityDeps) {
  const delegations = new DelegationStore(audit.db);
  /** Who may decide for the current stage's approvers now (a failed look-up only leaves the line out). */
  const contextFor = async (state: ActionState): Promise<CardContext> => {
    const stage = state.policy?.stages[state.stageIndex];
    if (state.status !== 'pending_approval' || !stage) return {};
    try {
      return { delegates: await delegations.givenBy(stage.approverIdentities, new Date().toISOString()) };
    } catch (err) {
      logger.warn(
        { requestId: state.requestId, err: String(err) },
        'could not read delegations for the card',
      );
      return {};
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
      state,
      stage,
      only,
    }: {
      state: ActionState;
      stage: number;
      only?: DestinationKind[];
    }): Promise<{ cards: PostedCard[]; errors: string[]; failed: DestinationKind[] }> {
      const names = state.policy?.stages[stage]?.notify ?? [];
      const { found, unknown } = destinations(names);
      const result = await channels.post(
        found,
        buildApprovalCard(state, undefined, await contextFor(state)),
        stage,
        only,
      );
      const errors = [
        ...(only ? [] : unknown.map((n) => `channel ${n} is not defined in the current policy`)),
        ...result.errors,
      ];
      if (errors.length) logger.warn({ requestId: state.requestId, errors }, 'some cards were not posted');
      return { cards: result.cards, errors, failed: result.failed };
    },
    async updateCards({ state, note }: { state: ActionState; note?: string }): Promise<{ errors: string[] }> {
      const errors = await channels.update(
        state.cards,
        buildApprovalCard(state, note, await contextFor(state)),
        note,
      );
      if (errors.length) logger.warn({ requestId: state.requestId, errors }, 'some cards were not updated');
      return { errors };
    },
    async remind({ state, stage }: { state: ActionState; stage: number }): Promise<{ errors: string[] }> {
      const deadline = state.stageDeadline ?? 'soon';
      const text = `Reminder: this request needs a decision before ${deadline} or it escalates.`;
      return {
        errors: await channels.reply(
          state.cards.filter((c) => c.stage === stage),
          text,
        ),
      };
    },
  };
}
