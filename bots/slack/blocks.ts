// Block Kit rendering of the channel-neutral ApprovalCard (bots/card.ts): the same content as the
// Teams card, laid out for Slack and kept inside Slack's limits (50 blocks, 10 fields, 3000/2000/150
// characters, and an undocumented ~13k total that Slack answers with msg_blocks_too_long).
import type { types } from '@slack/bolt';
import { isRequestId } from '../../lib/request-id.js';
import type { ApprovalCard } from '../card.js';
import { CLAIM_HEADING } from '../preview-text.js';
import { codeBlock, escapeMrkdwn, fitMrkdwn, fitPlain, link, slackDate } from './text.js';

type Block = types.KnownBlock;

export const SLACK_IDS = {
  approve: 'airlock_approve',
  deny: 'airlock_deny',
  acknowledge: 'airlock_breakglass_ack',
  approveStanding: 'airlock_approve_standing',
  reviewBlock: 'airlock_review',
  actionsBlock: 'airlock_decide',
  denyView: 'airlock_deny_reason',
  reasonBlock: 'reason',
  reasonInput: 'reason',
} as const;

/** Slack's limits the renderer keeps to (UTF-16 units). */
export const BLOCK_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  field: 2000,
  fields: 10,
  header: 150,
  /** Total text across a message's blocks we aim under; Slack refuses somewhere above 13,000. */
  totalText: 11_000,
  fallbackText: 3000,
} as const;

const RISK_MARK: Record<string, string> = { low: '🟢', medium: '🟡', high: '🟠', critical: '🔴' };
const STATUS_MARK: Record<string, string> = {
  pending_approval: ':hourglass_flowing_sand:',
  approved: ':white_check_mark:',
  executing: ':gear:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  denied: ':no_entry:',
  expired: ':alarm_clock:',
  cancelled: ':heavy_multiplication_x:',
  active: ':key:',
  revoked: ':lock:',
};

/** What each button carries back in the signed click payload. */
export interface ButtonValue {
  requestId: string;
  reasonRequired: boolean;
  /** On the "and the same again" button: for how long (the workflow holds it to the rule's maxTtl). */
  standingTtlMs?: number;
}

export function parseButtonValue(raw: unknown): ButtonValue | undefined {
  if (typeof raw !== 'string' || raw.length > 500) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<ButtonValue>;
    if (!isRequestId(v.requestId)) return undefined;
    const ttl = v.standingTtlMs;
    return {
      requestId: v.requestId,
      reasonRequired: v.reasonRequired !== false,
      ...(typeof ttl === 'number' && Number.isSafeInteger(ttl) && ttl > 0 ? { standingTtlMs: ttl } : {}),
    };
  } catch {
    return undefined;
  }
}

export interface SlackMessage {
  text: string;
  blocks: Block[];
}

const mrkdwnSection = (text: string): Block => ({
  type: 'section',
  text: { type: 'mrkdwn', text: fitMrkdwnSafe(text, BLOCK_LIMITS.sectionText) },
});
const context = (texts: string[]): Block => ({
  type: 'context',
  elements: texts.slice(0, 10).map((text) => ({ type: 'mrkdwn' as const, text })),
});
/** Text already escaped: only cut it (on a line end when we can) if a caller got the budget wrong. */
function fitMrkdwnSafe(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const nl = cut.lastIndexOf('\n');
  return `${nl > max / 2 ? cut.slice(0, nl) : cut.replace(/&[a-z]*$/, '')}…`;
}

export function renderCard(card: ApprovalCard): SlackMessage {
  const head = headBlocks(card);
  const tail = tailBlocks(card);
  const fixed = textLength([...head, ...tail]);
  let room = Math.max(800, BLOCK_LIMITS.totalText - fixed);
  // Airlock's preview first (its figures always fit), then the parameters, then the claimed diff.
  const preview = previewBlocks(card, Math.floor(room / 2));
  room -= textLength(preview);
  const paramsBudget = Math.min(BLOCK_LIMITS.sectionText, card.diff ? Math.floor(room / 2) : room);
  const params = parametersBlock(card, paramsBudget);
  const diffBudget = Math.min(BLOCK_LIMITS.sectionText, room - textLength([params]));
  const middle = [
    params,
    ...preview,
    ...(card.diff && diffBudget > 200 ? [diffBlock(card, diffBudget)] : []),
  ];
  const blocks = [...head, ...middle, ...tail].slice(0, BLOCK_LIMITS.blocks);
  return { text: fallbackText(card), blocks };
}

function headBlocks(card: ApprovalCard): Block[] {
  const risk = card.risk.toLowerCase();
  const blocks: Block[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: fitPlain(`${RISK_MARK[risk] ?? '⚪'} ${card.title}`, BLOCK_LIMITS.header),
        emoji: true,
      },
    },
    context([
      `*Action* \`${fitMrkdwn(card.action, 200)}\`  ·  *Risk* ${fitMrkdwn(risk.toUpperCase(), 40)}  ·  *Request* \`${fitMrkdwn(card.requestId, 80)}\``,
    ]),
    mrkdwnSection(`${STATUS_MARK[card.status] ?? ':grey_question:'} ${fitMrkdwn(card.statusLine, 1000)}`),
  ];
  if (card.note) blocks.push(context([`:information_source: ${fitMrkdwn(card.note, 500)}`]));
  // Short values side by side (at most 10 per section); long ones (a justification) full width.
  const short = card.fields.filter((f) => f.value.length <= 80);
  const long = card.fields.filter((f) => f.value.length > 80);
  for (let i = 0; i < short.length; i += BLOCK_LIMITS.fields) {
    blocks.push({
      type: 'section',
      fields: short.slice(i, i + BLOCK_LIMITS.fields).map((f) => ({
        type: 'mrkdwn' as const,
        text: `*${fitMrkdwn(f.label, 60)}*\n${fitMrkdwn(f.value, 600)}`,
      })),
    });
  }
  for (const f of long)
    blocks.push(mrkdwnSection(`*${fitMrkdwn(f.label, 60)}*\n${fitMrkdwn(f.value, 1500)}`));
  return blocks;
}

function parametersBlock(card: ApprovalCard, budget: number): Block {
  const title = `*Parameters*  ·  sha256 \`${escapeMrkdwn(card.parametersHash)}\`${card.parameters.truncated ? '  (shortened; the hash covers them all)' : ''}\n`;
  return mrkdwnSection(`${title}${codeBlock(card.parameters.text, budget - title.length)}`);
}

const PREVIEW_MARK: Record<string, string> = {
  ok: ':mag:',
  partial: ':warning:',
  unavailable: ':warning:',
  failed: ':x:',
};

/** The preview's figures (always), its detail as far as `budget` allows, and its hash. */
function previewBlocks(card: ApprovalCard, budget: number): Block[] {
  const p = card.preview;
  if (!p) return [];
  const hash = p.hash ? `  ·  sha256 \`${escapeMrkdwn(p.hash)}…\`` : '';
  const head = `${PREVIEW_MARK[p.status] ?? ''} *${escapeMrkdwn(p.heading)}*${hash}\n`;
  const summary = mrkdwnSection(
    `${head}${fitMrkdwn(p.summary.text, Math.min(1500, BLOCK_LIMITS.sectionText - head.length))}`,
  );
  const left = Math.min(BLOCK_LIMITS.sectionText, budget - textLength([summary]));
  if (!p.detail || left < 300) return [summary];
  const title = `*Sample and detail*${p.detail.truncated ? '  (shortened)' : ''}\n`;
  return [summary, mrkdwnSection(`${title}${codeBlock(p.detail.text, left - title.length)}`)];
}

function diffBlock(card: ApprovalCard, budget: number): Block {
  const title = `*${escapeMrkdwn(CLAIM_HEADING)}*${card.diff?.truncated ? '  (shortened)' : ''}\n`;
  return mrkdwnSection(`${title}${codeBlock(card.diff?.text ?? '', budget - title.length)}`);
}

function tailBlocks(card: ApprovalCard): Block[] {
  const blocks: Block[] = [];
  const facts: string[] = [];
  if (card.rule) facts.push(`*Rule* ${fitMrkdwn(card.rule, 300)}`);
  if (card.stage) {
    const approvers = fitMrkdwn(card.stage.approvers.join(', '), 300);
    facts.push(`*Stage* ${card.stage.number} of ${card.stage.of} (${approvers})`);
    if (card.stage.deadline) facts.push(`*Decide by* ${slackDate(card.stage.deadline)}`);
  }
  if (facts.length) blocks.push(context(facts));
  if (card.history) blocks.push(context([`:bar_chart: ${fitMrkdwn(card.history, 600)}`]));
  if (card.decisions.length) blocks.push(mrkdwnSection(decisionsText(card.decisions)));
  const links = [link(card.links.console ?? card.links.request, 'Open in console')];
  if (card.links.console) links.push(link(card.links.request, 'API'));
  if (card.links.temporalUi) links.push(link(card.links.temporalUi, 'Temporal UI'));
  blocks.push(context([fitMrkdwnSafe(links.join('  ·  '), 3000)]));
  if (card.review) blocks.push({ type: 'divider' }, reviewBlock(card));
  if (card.actions) {
    blocks.push({ type: 'divider' }, actionsBlock(card));
  }
  return blocks;
}

function decisionsText(decisions: string[]): string {
  const budget = 1500;
  let text = '*Decisions*';
  let shown = 0;
  for (const d of decisions) {
    const line = `\n• ${fitMrkdwn(d, 400)}`;
    if (text.length + line.length > budget - 40) break;
    text += line;
    shown++;
  }
  if (shown < decisions.length) text += `\n…and ${decisions.length - shown} more (open the request)`;
  return text;
}

/** The break-glass review's button: acknowledge (an incident, with its reason, goes over the API). */
function reviewBlock(card: ApprovalCard): Block {
  return {
    type: 'actions',
    block_id: SLACK_IDS.reviewBlock,
    elements: [
      {
        type: 'button',
        action_id: SLACK_IDS.acknowledge,
        text: { type: 'plain_text', text: 'Acknowledge break-glass' },
        value: JSON.stringify({ requestId: card.requestId, reasonRequired: false } satisfies ButtonValue),
        confirm: {
          title: { type: 'plain_text', text: 'Acknowledge?' },
          text: {
            type: 'mrkdwn',
            text: 'You confirm this break-glass use was justified. To flag it as an incident instead, use the API or the console.',
          },
          confirm: { type: 'plain_text', text: 'Acknowledge' },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      },
    ],
  };
}

function actionsBlock(card: ApprovalCard): Block {
  const value = JSON.stringify({
    requestId: card.requestId,
    reasonRequired: card.actions?.denyReasonRequired ?? true,
  } satisfies ButtonValue);
  return {
    type: 'actions',
    block_id: SLACK_IDS.actionsBlock,
    elements: [
      {
        type: 'button',
        action_id: SLACK_IDS.approve,
        style: 'primary',
        text: { type: 'plain_text', text: 'Approve' },
        value,
        confirm: {
          title: { type: 'plain_text', text: 'Approve this action?' },
          text: {
            type: 'mrkdwn',
            text: fitMrkdwn(
              `Airlock will run ${card.action} with exactly these parameters (sha256 ${card.parametersHash.slice(0, 12)}…)${card.preview?.hash ? `, and only if reality still matches the preview it computed (sha256 ${card.preview.hash.slice(0, 12)}…)` : ''}.`,
              300,
            ),
          },
          confirm: { type: 'plain_text', text: 'Approve' },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      },
      ...standingButton(card),
      {
        type: 'button',
        action_id: SLACK_IDS.deny,
        style: 'danger',
        text: { type: 'plain_text', text: 'Deny' },
        value,
        confirm: {
          title: { type: 'plain_text', text: 'Deny this action?' },
          text: {
            type: 'mrkdwn',
            text: card.actions?.denyReasonRequired
              ? 'Nothing will run. You will be asked for a reason.'
              : 'Nothing will run. You may give a reason.',
          },
          confirm: { type: 'plain_text', text: 'Deny' },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      },
    ],
  };
}

/** "Approve + the same again for 8h": a standing approval, where the rule allows one. */
function standingButton(card: ApprovalCard): types.Button[] {
  const standing = card.actions?.standing;
  if (!standing) return [];
  return [
    {
      type: 'button',
      action_id: SLACK_IDS.approveStanding,
      text: { type: 'plain_text', text: `Approve + same again ${standing.label}` },
      value: JSON.stringify({
        requestId: card.requestId,
        reasonRequired: card.actions?.denyReasonRequired ?? true,
        standingTtlMs: standing.ttlMs,
      } satisfies ButtonValue),
      confirm: {
        title: { type: 'plain_text', text: 'Approve and the same again?' },
        text: {
          type: 'mrkdwn',
          text: fitMrkdwn(
            `Airlock runs this, and for ${standing.label} approves at once every request by the same requester for the same action, resource and environment with the same parameters (those the rule lets vary aside). Revoke it any time with DELETE /v1/standing/{id}.`,
            300,
          ),
        },
        confirm: { type: 'plain_text', text: 'Approve' },
        deny: { type: 'plain_text', text: 'Cancel' },
      },
    },
  ];
}

function fallbackText(card: ApprovalCard): string {
  const text = card.actions
    ? `Approval needed (${card.risk} risk): ${card.title}. ${card.statusLine}`
    : `${card.title}: ${card.statusLine}`;
  return fitMrkdwn(text, BLOCK_LIMITS.fallbackText);
}

/** The thread reply that says how a request ended. */
export function outcomeText(card: ApprovalCard): string {
  const last = card.decisions.at(-1);
  return fitMrkdwn(
    `${STATUS_MARK[card.status] ?? ''} Outcome: ${card.statusLine}${last && card.status !== 'expired' ? `\n${last}` : ''}`,
    3000,
  );
}

/** Total characters of text in blocks (what Slack's overall message limit counts). */
export function textLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + textLength(v), 0);
  if (value && typeof value === 'object') {
    return Object.entries(value).reduce(
      (n, [k, v]) => n + (k === 'text' || typeof v === 'object' ? textLength(v) : 0),
      0,
    );
  }
  return 0;
}
