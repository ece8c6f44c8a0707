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
});
