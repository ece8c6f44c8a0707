// The bot's words: commands read through mentions and markup, channel names resolve to the
// policy's conversationRef, and every decide answer and refusal reads as the clicker needs it.
import { describe, expect, it } from 'vitest';
import { answerText, refusalText } from '../../../bots/answers.js';
import { tenantOf } from '../../../bots/teams/bot.js';
import { commandText, refNameFor } from '../../../bots/teams/commands.js';
import { parsePolicy } from '../../../policy/load.js';

const policy = parsePolicy(
  `version: 1
channels:
  dba-teams: { teams: { conversationRef: dba } }
  dba-slack: { slack: { channel: C1 } }
default: { effect: require_approval, stages: [{ approvers: [x@example.com], timeout: 1h }] }
`,
  'policy.yaml',
);

describe('Teams bot text', () => {
  it('reads a command through mentions and markup', () => {
    expect(commandText('<at>Airlock</at>&nbsp; <p>link   dba-teams</p>')).toBe('link dba-teams');
  });

  it('resolves a policy channel or a conversationRef, and nothing else', () => {
    expect(refNameFor(policy, 'dba-teams')).toBe('dba');
    expect(refNameFor(policy, 'dba')).toBe('dba');
    expect(refNameFor(policy, 'dba-slack')).toBeUndefined();
    expect(refNameFor(policy, 'nope')).toBeUndefined();
  });

  it('answers decisions', () => {
    expect(answerText('approve', { status: 'approved', approvals: 1, needed: 1 }, 'teams')).toMatch(
      /^Approved/,
    );
    expect(answerText('approve', { status: 'pending_approval', approvals: 1, needed: 2 }, 'teams')).toBe(
      'Your approval is recorded: 1 of 2 approvals.',
    );
    expect(answerText('deny', { status: 'denied', approvals: 0, needed: 1 }, 'teams')).toMatch(/^Denied/);
  });

  it('explains refusals by their stable code', () => {
    expect(refusalText('self_approval', 'approve', 'teams')).toBe(
      'Refused: you cannot approve your own request.',
    );
    expect(refusalText('reason_required', 'deny', 'teams')).toMatch(/needs a reason/);
    expect(refusalText('request_closed', 'approve', 'teams')).toMatch(/no longer waiting/);
    expect(refusalText('something_new', 'approve', 'teams')).toBe(
      'Refused: Airlock did not accept this decision.',
    );
  });

  it('finds the tenant on the conversation or in channelData', () => {
    expect(tenantOf({ conversation: { tenantId: 't1' } as never })).toBe('t1');
    expect(tenantOf({ channelData: { tenant: { id: 't2' } } })).toBe('t2');
  });
});
