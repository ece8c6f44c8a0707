// What a clicker reads after a click, in every channel: one wording per outcome, branching on
// the stable refusal code, never on error text.
import type { DecisionAnswer } from '../workflows/messages.js';
import type { DecisionVerb } from '../workflows/types.js';
import type { IdentityVerdict } from './decide.js';

type Channel = 'slack' | 'teams';
const CHANNEL_NAME = { slack: 'Slack', teams: 'Teams' } as const;

/**
 * The only wordings that still differ by channel: each channel's users (and its scenario tests)
 * know these sentences, so they stay until the product settles on one.
 */
const CHANNEL_WORDING: Record<
  Channel,
  {
    selfApproval(verb: DecisionVerb): string;
    approved(a: DecisionAnswer): string;
    denied: string;
    ended: string;
  }
> = {
  slack: {
    selfApproval: () => 'Refused: you cannot decide a request you made or one made on your behalf.',
    approved: (a) =>
      `You approved this request (${a.approvals} of ${a.needed}). It runs now; the card shows the result.`,
    denied: 'You denied this request. Nothing will run.',
    ended: 'This request has already ended; nothing was changed.',
  },
  teams: {
    selfApproval: (verb) => `Refused: you cannot ${verb} your own request.`,
    approved: () => 'Approved: the request is approved and will run.',
    denied: 'Denied: the request will not run.',
    ended: 'Refused: this request is no longer waiting for a decision.',
  },
};

export function answerText(verb: DecisionVerb, answer: DecisionAnswer, channel: Channel): string {
  if (answer.status === 'approved') return CHANNEL_WORDING[channel].approved(answer);
  if (answer.status === 'denied') return CHANNEL_WORDING[channel].denied;
  if (verb === 'approve')
    return `Your approval is recorded: ${answer.approvals} of ${answer.needed} approvals.`;
  return `Your decision is recorded; the request is ${answer.status}.`;
}

export function closedRequestText(channel: Channel): string {
  return CHANNEL_WORDING[channel].ended;
}

export function refusalText(code: string, verb: DecisionVerb, channel: Channel): string {
  switch (code) {
    case 'self_approval':
      return CHANNEL_WORDING[channel].selfApproval(verb);
    case 'not_an_approver':
      return 'Refused: you are not an approver of this request at its current stage.';
    case 'already_decided':
      return 'Refused: you have already decided this request.';
    case 'reason_required':
      return 'Refused: a deny needs a reason. Give one and press Deny again.';
    case 'standing_not_allowed':
      return 'Refused: this approval cannot stand for later requests (the rule or your role does not allow it); approve this request alone instead.';
    case 'request_ended':
    case 'request_closed':
    case 'not_pending':
      return closedRequestText(channel);
    case 'not_found':
      return 'Refused: Airlock does not know this request.';
    case 'unavailable':
      return 'Airlock could not reach the request just now, so nothing was recorded. Try again in a moment.';
    default:
      return 'Refused: Airlock did not accept this decision.';
  }
}

export function unmappedText(channel: Channel, verdict: Extract<IdentityVerdict, { ok: false }>): string {
  if (verdict.why === 'tenant_not_allowed')
    return 'Refused: your organisation is not allowed to decide Airlock requests.';
  return `Refused: Airlock cannot map your ${CHANNEL_NAME[channel]} account to exactly one approver identity (${verdict.detail}), so it is not mapped to an Airlock approver. Nothing was decided; ask your Airlock admin to add you to the policy identities.`;
}
