// The router reports which destinations a channel failed to take (so the workflow can post them
// again later) and can post to just those.
import { describe, expect, it } from 'vitest';
import { ChannelRouter } from '../../../bots/channel.js';
import { RecordingChannel } from '../../fakes/recording-channel.js';

const card = { requestId: 'r1' } as never;
const destinations = [
  { name: 'ops', slack: { channel: 'C1' } },
  { name: 'dba', slack: { channel: 'C2' } },
  { name: 'sec', teams: { conversationRef: 'x' } },
];

describe('ChannelRouter.post', () => {
  it('lists failed channels apart from channels that are not configured', async () => {
    const slack = new RecordingChannel();
    slack.failing.add('dba');
    const result = await new ChannelRouter([slack]).post(destinations, card, 0);
    expect(result.cards.map((c) => c.destination)).toEqual(['ops']);
    expect(result.failed).toEqual([{ name: 'dba', kind: 'slack' }]);
    expect(result.errors).toEqual([
      'channel dba (slack): channel unavailable',
      'channel sec: teams is not configured',
    ]);
  });

  it('posts only to the destinations it is asked to retry', async () => {
    const slack = new RecordingChannel();
    const result = await new ChannelRouter([slack]).post(destinations, card, 0, [
      { name: 'dba', kind: 'slack' },
    ]);
    expect(result.cards.map((c) => c.destination)).toEqual(['dba']);
    expect(result).toMatchObject({ errors: [], failed: [] });
    expect(slack.to('ops')).toEqual([]);
  });

  it('gives up on a channel that does not answer in time and still posts to the others', async () => {
    const slack = new RecordingChannel();
    const hanging = {
      kind: 'teams' as const,
      postCard: () => new Promise<never>(() => {}),
      updateCard: () => new Promise<never>(() => {}),
      reply: () => new Promise<never>(() => {}),
    };
    const router = new ChannelRouter([slack, hanging], 50);
    const started = Date.now();
    const result = await router.post(destinations, card, 0);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(result.cards.map((c) => c.destination)).toEqual(['ops', 'dba']);
    expect(result.failed).toEqual([{ name: 'sec', kind: 'teams' }]);
    expect(result.errors).toEqual(['channel sec (teams): posting to sec took longer than 50 ms']);
    const teamsCard = { ...result.cards[0]!, channel: 'teams' as const };
    expect(await router.update([result.cards[0]!, teamsCard], card)).toEqual([
      `teams ${teamsCard.destination}: updating the card took longer than 50 ms`,
    ]);
  });

  it('marks a card that lands after it was given up on as superseded, with no buttons', async () => {
    const updates: { destination: string; actions: unknown; statusLine: string }[] = [];
    const late = {
      kind: 'teams' as const,
      postCard: (dest: { name: string }) =>
        new Promise<never>((resolve) =>
          setTimeout(
            () => resolve({ channel: 'teams', destination: dest.name, stage: 0, ref: 'late-1' } as never),
            150,
          ),
        ),
      updateCard: async (p: { destination: string }, c: { actions?: unknown; statusLine: string }) => {
        updates.push({ destination: p.destination, actions: c.actions, statusLine: c.statusLine });
      },
      reply: async () => {},
    };
    const cardWithButtons = { requestId: 'r1', actions: { approve: true }, statusLine: 'Waiting' } as never;
    const result = await new ChannelRouter([late], 50).post(destinations, cardWithButtons, 0);
    expect(result.failed).toEqual([{ name: 'sec', kind: 'teams' }]);
    expect(updates).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    expect(updates).toEqual([
      {
        destination: 'sec',
        actions: undefined,
        statusLine: expect.stringMatching(/replaced by a newer card/),
      },
    ]);
  });
});
