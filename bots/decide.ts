// The one click-to-decision path of every chat channel: an adapter parses the click, verifies
// the clicker with its channel and resolves them to an identity verdict; from there the decision,
// the refusals and the answer texts are the same for all channels. Adapters only render the text.
import type { Logger } from 'pino';
import { type ActionClient, ActionError } from '../temporal/action-client.js';
import type { DecisionVerb } from '../workflows/types.js';
import { answerText, closedRequestText, refusalText, unmappedText } from './answers.js';
import type { RefusalRecorder } from './refusals.js';

type Channel = 'slack' | 'teams';

/** A chat user maps to exactly one approver identity, or is refused with the reason. */
export type IdentityVerdict =
  | { ok: true; identity: string; via?: 'policy' | 'directory' }
  | { ok: false; why: 'tenant_not_allowed' | 'unmapped' | 'ambiguous'; detail: string };

export interface ChannelClick {
  channel: Channel;
  requestId: string;
  verb: DecisionVerb;
  reason?: string;
  /** Approve this and the same again for this long (the card's standing button). */
  standingTtlMs?: number;
  /** The clicker's id in the channel (verified by the adapter), and who they are in the trail when unmapped. */
  channelUserId?: string;
  displayName?: string;
  unmappedActor: string;
}

export interface DecisionPathDeps {
  actions: Pick<ActionClient, 'decide' | 'review'>;
  refusals: RefusalRecorder;
  logger: Logger;
}

/** Records a refused identity; returns the clicker's answer. */
export async function refuseIdentity(
  deps: DecisionPathDeps,
  click: ChannelClick,
  verdict: Extract<IdentityVerdict, { ok: false }>,
): Promise<string> {
  await deps.refusals.refuse(click.requestId, {
    code: 'unmapped_identity',
    what: click.verb,
    actor: click.unmappedActor,
    channel: click.channel,
    detail: verdict.detail,
  });
  return unmappedText(click.channel, verdict);
}

/** Turns a verified click into a decision (or a recorded refusal); returns the clicker's answer. */
export async function decideFromChannel(
  deps: DecisionPathDeps,
  click: ChannelClick,
  verdict: IdentityVerdict,
): Promise<string> {
  if (!verdict.ok) return refuseIdentity(deps, click, verdict);
  const { requestId, verb } = click;
  try {
    const answer = await deps.actions.decide(requestId, {
      decision: verb,
      reason: click.reason,
      ...(click.standingTtlMs ? { standing: { ttlMs: click.standingTtlMs } } : {}),
      approver: {
        id: verdict.identity,
        channel: click.channel,
        ...(click.channelUserId ? { channelUserId: click.channelUserId } : {}),
        ...(click.displayName ? { displayName: click.displayName } : {}),
      },
    });
    return answerText(verb, answer, click.channel);
  } catch (err) {
    if (!(err instanceof ActionError)) {
      deps.logger.error({ requestId, channel: click.channel, err: String(err) }, 'decision failed');
      return refusalText('internal', verb, click.channel);
    }
    if (err.code === 'request_closed') {
      // The workflow has closed and cannot record the attempt: the trail still must.
      await deps.refusals.closed(requestId, {
        code: 'request_ended',
        what: verb,
        actor: verdict.identity,
        channel: click.channel,
        detail: 'decision after the request ended',
      });
      return closedRequestText(click.channel);
    }
    return refusalText(err.code, verb, click.channel);
  }
}

/**
 * Acknowledges a break-glass request from a chat card: the same review the API sends, judged by
 * the workflow (a stage approver, never the requester). Flagging an incident needs a reason and
 * is done over the API or the console.
 */
export async function acknowledgeFromChannel(
  deps: DecisionPathDeps,
  click: Omit<ChannelClick, 'verb' | 'reason'>,
  verdict: IdentityVerdict,
): Promise<string> {
  if (!verdict.ok) return refuseIdentity(deps, { ...click, verb: 'approve' }, verdict);
  try {
    await deps.actions.review(click.requestId, {
      outcome: 'acknowledge',
      reviewer: {
        id: verdict.identity,
        channel: click.channel,
        ...(click.channelUserId ? { channelUserId: click.channelUserId } : {}),
        ...(click.displayName ? { displayName: click.displayName } : {}),
      },
    });
    return 'You acknowledged this break-glass request; the review is recorded.';
  } catch (err) {
    if (!(err instanceof ActionError)) {
      deps.logger.error(
        { requestId: click.requestId, channel: click.channel, err: String(err) },
        'review failed',
      );
      return 'Airlock could not record the review; try again or use the API.';
    }
    if (err.code === 'request_closed') {
      // The workflow has closed and cannot record the attempt: the trail still must.
      await deps.refusals.closed(click.requestId, {
        code: 'request_ended',
        what: 'review:acknowledge',
        actor: verdict.identity,
        channel: click.channel,
        detail: 'review after the request ended',
      });
      return 'This break-glass request has already been reviewed.';
    }
    if (err.code === 'already_reviewed') return 'This break-glass request has already been reviewed.';
    if (err.code === 'self_approval') return 'Refused: you cannot review your own break-glass request.';
    return `Refused: ${err.message}`;
  }
}
