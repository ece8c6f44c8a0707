// The Deny form: a modal that asks for the reason (required unless the policy says otherwise).
// Its private_metadata names the request and where to answer; it comes back inside the signed
// view_submission, so nothing in it is taken from the user.
import type { types } from '@slack/bolt';
import { isRequestId } from '../../lib/request-id.js';
import { SLACK_IDS } from './blocks.js';
import { fitMrkdwn } from './text.js';

export interface DenyModalInput {
  requestId: string;
  reasonRequired: boolean;
  /** Where to answer the approver after the modal closes. */
  channel?: string;
  messageTs?: string;
  /** The click's response_url, to answer through if chat.postEphemeral cannot. */
  responseUrl?: string;
  summary?: string;
}

/** The modal that asks for the deny reason; its metadata comes back in the signed submission. */
export function renderDenyModal(input: DenyModalInput): types.ModalView {
  return {
    type: 'modal',
    callback_id: SLACK_IDS.denyView,
    private_metadata: JSON.stringify({
      requestId: input.requestId,
      reasonRequired: input.reasonRequired,
      channel: input.channel,
      messageTs: input.messageTs,
      responseUrl: input.responseUrl && input.responseUrl.length < 1000 ? input.responseUrl : undefined,
    }),
    title: { type: 'plain_text', text: 'Deny request' },
    submit: { type: 'plain_text', text: 'Deny' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      section(
        `You are denying ${input.summary ? `*${fitMrkdwn(input.summary, 500)}*` : `request \`${input.requestId}\``}. Nothing will run.`,
      ),
      {
        type: 'input',
        block_id: SLACK_IDS.reasonBlock,
        optional: !input.reasonRequired,
        label: { type: 'plain_text', text: 'Reason' },
        hint: {
          type: 'plain_text',
          text: 'Shown on the card, sent to the requester and kept in the audit trail.',
        },
        element: {
          type: 'plain_text_input',
          action_id: SLACK_IDS.reasonInput,
          multiline: true,
          max_length: 1000,
          placeholder: { type: 'plain_text', text: 'Why is this denied?' },
        },
      },
    ],
  };
}

export interface DenyMetadata {
  requestId: string;
  reasonRequired: boolean;
  channel?: string;
  messageTs?: string;
  responseUrl?: string;
}

export function parseDenyMetadata(raw: unknown): DenyMetadata | undefined {
  if (typeof raw !== 'string' || raw.length > 3000) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<DenyMetadata>;
    if (!isRequestId(v.requestId)) return undefined;
    return {
      requestId: v.requestId,
      reasonRequired: v.reasonRequired !== false,
      channel: typeof v.channel === 'string' ? v.channel : undefined,
      messageTs: typeof v.messageTs === 'string' ? v.messageTs : undefined,
      responseUrl: typeof v.responseUrl === 'string' ? v.responseUrl : undefined,
    };
  } catch {
    return undefined;
  }
}

const section = (text: string): types.KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });
