// Clicks in: Approve, Deny (which opens a modal for the reason) and the modal's submission. Every
// listener acks first (Slack wants an answer within 3 s), then resolves the verified clicker to an
// identity, sends the decision to the workflow, and answers the clicker with an ephemeral message.
import type { App, BlockAction, ButtonAction, ViewSubmitAction, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { DecisionVerb } from '../../workflows/types.js';
import {
  acknowledgeFromChannel,
  type ChannelClick,
  type DecisionPathDeps,
  decideFromChannel,
  type IdentityVerdict,
  refuseIdentity,
} from '../decide.js';
import type { SlackAdapter } from './adapter.js';
import { parseButtonValue, SLACK_IDS } from './blocks.js';
import { parseDenyMetadata, renderDenyModal } from './modal.js';

export interface InteractionDeps {
  /** The shared click-to-decision path (bots/decide.ts). */
  decisions: DecisionPathDeps;
  adapter: SlackAdapter;
  client: webApi.WebClient;
  logger: Logger;
}

interface Clicker {
  id: string;
  teamId?: string;
  name?: string;
}

/** Where the clicker's private answer goes: the channel of the card, or the click's response_url. */
interface AnswerTo {
  channel?: string;
  responseUrl?: string;
}

export function registerInteractions(app: App, deps: InteractionDeps): void {
  const log = deps.logger.child({ component: 'slack' });

  app.action<BlockAction<ButtonAction>>(
    { type: 'block_actions', action_id: SLACK_IDS.approve },
    async ({ ack, body, action }) => {
      await ack();
      const value = parseButtonValue(action.value);
      if (!value) return void log.warn({ userId: body.user.id }, 'slack approve click without a request id');
      await decide(deps, {
        requestId: value.requestId,
        verb: 'approve',
        user: clicker(body.user, body.team),
        to: answerTo(body),
      });
    },
  );

  app.action<BlockAction<ButtonAction>>(
    { type: 'block_actions', action_id: SLACK_IDS.approveStanding },
    async ({ ack, body, action }) => {
      await ack();
      const value = parseButtonValue(action.value);
      if (!value?.standingTtlMs)
        return void log.warn({ userId: body.user.id }, 'slack standing click without a request id or TTL');
      await decide(deps, {
        requestId: value.requestId,
        verb: 'approve',
        standingTtlMs: value.standingTtlMs,
        user: clicker(body.user, body.team),
        to: answerTo(body),
      });
    },
  );

  app.action<BlockAction<ButtonAction>>(
    { type: 'block_actions', action_id: SLACK_IDS.acknowledge },
    async ({ ack, body, action }) => {
      await ack();
      const value = parseButtonValue(action.value);
      if (!value)
        return void log.warn({ userId: body.user.id }, 'slack acknowledge click without a request id');
      const user = clicker(body.user, body.team);
      const { verb: _verb, reason: _reason, ...click } = clickOf(value.requestId, 'approve', user);
      const text = await acknowledgeFromChannel(deps.decisions, click, await deps.adapter.resolve(user));
      await ephemeral(deps, answerTo(body), user.id, text);
    },
  );

  app.action<BlockAction<ButtonAction>>(
    { type: 'block_actions', action_id: SLACK_IDS.deny },
    async ({ ack, body, action }) => {
      await ack();
      const value = parseButtonValue(action.value);
      if (!value) return void log.warn({ userId: body.user.id }, 'slack deny click without a request id');
      const user = clicker(body.user, body.team);
      const to = answerTo(body);
      // Refuse unmapped users before they type a reason; the submission is checked again anyway.
      const verdict = await deps.adapter.resolve(user);
      if (!verdict.ok) return refuseUnmapped(deps, value.requestId, 'deny', user, to, verdict);
      try {
        await deps.client.views.open({
          trigger_id: body.trigger_id,
          view: renderDenyModal({
            requestId: value.requestId,
            reasonRequired: value.reasonRequired,
            channel: to.channel,
            responseUrl: to.responseUrl,
            messageTs: body.message?.ts,
            summary: headerOf(body.message),
          }),
        });
      } catch (err) {
        log.warn(
          { requestId: value.requestId, err: slackError(err) },
          'slack: could not open the deny modal',
        );
        await ephemeral(deps, to, user.id, 'Slack did not open the form in time: press Deny again.');
      }
    },
  );

  app.view<ViewSubmitAction>(SLACK_IDS.denyView, async ({ ack, body, view }) => {
    const meta = parseDenyMetadata(view.private_metadata);
    const reason = reasonOf(view);
    const userId = typeof body.user?.id === 'string' ? body.user.id : undefined;
    if (reason === undefined || !userId) {
      // Not a form Slack fills in (no state.values, no user): refuse it, keeping the modal open.
      log.warn({ userId }, 'slack deny submission without form values or user; refused');
      await ack({
        response_action: 'errors',
        errors: {
          [SLACK_IDS.reasonBlock]: 'Airlock could not read this form. Close it and press Deny again.',
        },
      });
      return;
    }
    if (meta?.reasonRequired && !reason) {
      // The modal stays open and shows the error under the field.
      await ack({ response_action: 'errors', errors: { [SLACK_IDS.reasonBlock]: 'A reason is required.' } });
      return;
    }
    await ack();
    if (!meta) return void log.warn({ userId }, 'slack deny submission without a request id');
    await decide(deps, {
      requestId: meta.requestId,
      verb: 'deny',
      reason: reason || undefined,
      user: clicker(body.user, body.team),
      to: { channel: meta.channel, responseUrl: meta.responseUrl },
    });
  });

  app.error(async (err) => {
    log.error({ err: err.message }, 'slack listener failed');
  });
}

/**
 * The typed reason ('' when the field is empty), or undefined when the submission carries no
 * form values at all (Slack always sends view.state.values; anything else is not its form).
 */
export function reasonOf(view: { state?: { values?: unknown } } | undefined): string | undefined {
  const values = view?.state?.values;
  if (typeof values !== 'object' || values === null || Array.isArray(values)) return undefined;
  const block = (values as Record<string, unknown>)[SLACK_IDS.reasonBlock];
  const input =
    typeof block === 'object' && block !== null
      ? (block as Record<string, unknown>)[SLACK_IDS.reasonInput]
      : undefined;
  const value =
    typeof input === 'object' && input !== null ? (input as { value?: unknown }).value : undefined;
  return typeof value === 'string' ? value.trim() : '';
}

async function decide(
  deps: InteractionDeps,
  input: {
    requestId: string;
    verb: DecisionVerb;
    reason?: string;
    standingTtlMs?: number;
    user: Clicker;
    to: AnswerTo;
  },
): Promise<void> {
  const { user } = input;
  const click = clickOf(input.requestId, input.verb, user, input.reason);
  const text = await decideFromChannel(
    deps.decisions,
    input.standingTtlMs ? { ...click, standingTtlMs: input.standingTtlMs } : click,
    await deps.adapter.resolve(user),
  );
  await ephemeral(deps, input.to, user.id, text);
}

async function refuseUnmapped(
  deps: InteractionDeps,
  requestId: string,
  verb: DecisionVerb,
  user: Clicker,
  to: AnswerTo,
  verdict: Extract<IdentityVerdict, { ok: false }>,
): Promise<void> {
  const text = await refuseIdentity(deps.decisions, clickOf(requestId, verb, user), verdict);
  await ephemeral(deps, to, user.id, text);
}

function clickOf(requestId: string, verb: DecisionVerb, user: Clicker, reason?: string): ChannelClick {
  return {
    channel: 'slack',
    requestId,
    verb,
    reason,
    channelUserId: user.id,
    displayName: user.name,
    unmappedActor: `slack:${user.teamId ?? '-'}:${user.id}`,
  };
}

async function ephemeral(deps: InteractionDeps, to: AnswerTo, user: string, text: string): Promise<void> {
  if (!to.channel) return;
  try {
    await deps.adapter.ephemeral(to.channel, user, text, to.responseUrl);
  } catch (err) {
    deps.logger.warn({ channel: to.channel, err: slackError(err) }, 'slack: could not answer the approver');
  }
}

function answerTo(body: BlockAction<ButtonAction>): AnswerTo {
  return {
    channel: body.channel?.id ?? body.container?.channel_id,
    responseUrl: typeof body.response_url === 'string' ? body.response_url : undefined,
  };
}

function clicker(
  user: { id: string; name?: string; username?: string; team_id?: string },
  team: { id: string } | null,
): Clicker {
  return { id: user.id, teamId: user.team_id ?? team?.id, name: user.name ?? user.username };
}

function headerOf(message: { [key: string]: unknown } | undefined): string | undefined {
  const blocks = Array.isArray(message?.blocks)
    ? (message.blocks as { type?: string; text?: { text?: unknown } }[])
    : [];
  const text = blocks.find((b) => b.type === 'header')?.text?.text;
  return typeof text === 'string' ? text : undefined;
}

/** Slack's error code (never the request, which holds the token in a header). */
export function slackError(err: unknown): string {
  const code = (err as { data?: { error?: unknown } }).data?.error;
  if (typeof code === 'string') return code;
  return (err as { code?: unknown }).code ? String((err as { code: unknown }).code) : 'error';
}
