// The envelope check for authenticated Teams activities: what Teams sends passes (unknown fields
// kept), and the shapes botbuilder would throw on are named, at most five paths.
import { describe, expect, it } from 'vitest';
import { envelopeProblems } from '../../../bots/teams/envelope.js';

const activity = {
  type: 'invoke',
  name: 'adaptiveCard/action',
  id: 'in-1',
  channelId: 'msteams',
  serviceUrl: 'https://smba.trafficmanager.net/emea/',
  from: { id: '29:dana', name: 'Dana', aadObjectId: '00000000-0000-4000-8000-00000000000d' },
  recipient: { id: '28:app', name: 'Airlock' },
  conversation: { id: '19:c@thread.tacv2', conversationType: 'channel', tenantId: 't', isGroup: true },
  channelData: { tenant: { id: 't' }, team: { id: '19:team' }, channel: { id: '19:c' } },
  entities: [{ type: 'clientInfo', locale: 'en-GB' }],
  replyToId: null,
  value: { action: { type: 'Action.Execute', verb: 'airlock.approve', data: {} } },
  localTimezone: 'Europe/London',
};

describe('envelopeProblems', () => {
  it('passes what Teams sends', () => {
    expect(envelopeProblems(activity)).toBeUndefined();
    const { channelData, entities, replyToId, ...bare } = activity;
    expect(envelopeProblems(bare)).toBeUndefined();
    expect(envelopeProblems({ ...activity, membersAdded: [{ id: '28:app' }] })).toBeUndefined();
    const mention = {
      type: 'mention',
      text: '<at>Airlock</at>',
      mentioned: { id: '28:app', name: 'Airlock' },
    };
    expect(
      envelopeProblems({ ...activity, type: 'message', text: '<at>Airlock</at> help', entities: [mention] }),
    ).toBeUndefined();
  });

  it.each([
    ['recipient: true', { recipient: true }, ['recipient']],
    ['from without id', { from: { name: 'x' } }, ['from.id']],
    ['conversation id a number', { conversation: { id: 5 } }, ['conversation.id']],
    ['channelData an array', { channelData: [] }, ['channelData']],
    ['channelData null', { channelData: null }, ['channelData']],
    ['entities a string', { entities: 'x' }, ['entities']],
    ['an entity without type', { entities: [{}] }, ['entities.0.type']],
    ['membersAdded an object', { membersAdded: { id: 'x' } }, ['membersAdded']],
    ['text a number', { text: 5 }, ['text']],
    ['aadObjectId a number', { from: { id: 'x', aadObjectId: 1 } }, ['from.aadObjectId']],
    ['no channelId', { channelId: undefined }, ['channelId']],
    [
      'a mention without mentioned',
      { entities: [{ type: 'Mention', text: '<at>A</at>' }] },
      ['entities.0.mentioned'],
    ],
    [
      'a message with a mention and no text',
      { type: 'message', entities: [{ type: 'mention', mentioned: { id: '28:app' } }] },
      ['text'],
    ],
  ] as [string, Record<string, unknown>, string[]][])('names %s', (_what, change, paths) => {
    expect(envelopeProblems({ ...activity, ...change })).toEqual(paths);
  });

  it('names at most five fields, and a body that is not an object', () => {
    const problems = envelopeProblems({
      type: 1,
      channelId: 1,
      serviceUrl: 1,
      from: 1,
      recipient: 1,
      conversation: 1,
    });
    expect(problems).toHaveLength(5);
    expect(envelopeProblems(null)).toEqual(['(activity)']);
  });
});
