// The approval card, built once from the request state as plain, bounded text. Channel
// renderers (Adaptive Card, Block Kit) only lay it out and escape it for their markup.
import { consoleLinkOf } from '../console/links.js';
import type { ActionState, Delegation } from '../workflows/types.js';
import { type CardPreview, previewForCard } from './preview-text.js';

export interface CardField {
  label: string;
  value: string;
}

export interface BoundedText {
  text: string;
  truncated: boolean;
}

export interface ApprovalCard {
  requestId: string;
  title: string;
  action: string;
  risk: string;
  status: string;
  /** One line saying where the request stands ("Waiting for dba: 0 of 1 approvals"). */
  statusLine: string;
  fields: CardField[];
  parameters: BoundedText;
  parametersHash: string;
  /** What Airlock computed the action would do (shown as Airlock's, apart from the claim). */
  preview?: CardPreview;
  /** The requester's `diff`: their claim, shown as such (CLAIM_HEADING). */
  diff?: BoundedText;
  history?: string;
  rule?: string;
  stage?: { number: number; of: number; approvers: string[]; deadline?: string };
  decisions: string[];
  links: { request: string; console?: string; temporalUi?: string };
  /** Present only while a decision can still be made: the buttons. */
  actions?: {
    approve: true;
    deny: true;
    denyReasonRequired: boolean;
    /** The rule allows "approve this and the same again" for up to this long (a standing approval). */
    standing?: { ttlMs: number; label: string };
  };
  /** Present while a break-glass request awaits its review: the acknowledge button. */
  review?: { acknowledge: true };
  note?: string;
}

export const CARD_LIMITS = {
  field: 300,
  parameters: 2000,
  diff: 2500,
  justification: 1000,
  title: 120,
} as const;

/** Cuts text to a bound on a character boundary (never splits a surrogate pair). */
export function bound(text: string, max: number): BoundedText {
  const chars = Array.from(text);
  if (chars.length <= max) return { text, truncated: false };
  return { text: `${chars.slice(0, max - 1).join('')}…`, truncated: true };
}

const field = (label: string, value: string | undefined, max: number = CARD_LIMITS.field): CardField[] =>
  value?.trim() ? [{ label, value: bound(value.trim(), max).text }] : [];

/** Facts about a request that live outside its state, looked up when a card is sent. */
export interface CardContext {
  /** Delegations in force from the current stage's approvers: the card names who may decide for them. */
  delegates?: readonly Pick<Delegation, 'delegator' | 'delegate' | 'endsAt'>[];
}

/**
 * The card of a request as it stands. Pure and bounded, so the workflow builds it and hands the
 * card, not the state, to the card activities; those add the context they look up.
 */
export function buildApprovalCard(
  state: ActionState,
  note?: string,
  context: CardContext = {},
): ApprovalCard {
  return withContext(cardOf(state, note), context);
}

/** Adds the looked-up facts to a built card: who may decide for its approvers while it waits. */
export function withContext(card: ApprovalCard, context: CardContext): ApprovalCard {
  const delegates = card.status === 'pending_approval' ? field('Delegates', delegatesLine(context)) : [];
  if (delegates.length === 0) return card;
  // Just above the requester, after the break-glass and standing lines.
  const at = card.fields.findIndex((f) => f.label === 'Requester');
  const fields = [...card.fields];
  fields.splice(at < 0 ? fields.length : at, 0, ...delegates);
  return { ...card, fields };
}

function cardOf(state: ActionState, note: string | undefined): ApprovalCard {
  const r = state.request;
  const stage = state.policy?.stages[state.stageIndex];
  const agent = r.agent
    ? [
        r.agent.name,
        r.agent.model && `model ${r.agent.model}`,
        r.agent.onBehalfOf && `on behalf of ${r.agent.onBehalfOf}`,
      ]
        .filter(Boolean)
        .join(', ')
    : undefined;
  const labels = r.labels
    ? Object.entries(r.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')
    : undefined;
  const diffText = state.enrichment?.diffPreview ?? r.diff?.unified;
  const pending = state.status === 'pending_approval';
  return {
    requestId: state.requestId,
    // Break-glass is loud on every card: in the title, the status line and its own fields.
    title: bound(`${state.breakGlass ? 'BREAK-GLASS: ' : ''}${r.action} on ${r.resource}`, CARD_LIMITS.title)
      .text,
    action: r.action,
    risk: state.risk ?? 'unknown',
    status: state.status,
    statusLine: statusLine(state),
    fields: [
      ...breakGlassFields(state),
      ...field('Standing approval', standingLine(state)),
      ...field('Requester', state.requester),
      ...field('Agent', agent),
      ...field('Origin', mcpOrigin(r)),
      ...field('Resource', r.resource),
      ...field('Environment', r.environment),
      ...field('Justification', r.justification, CARD_LIMITS.justification),
      ...field('Labels', labels),
      ...field(
        'Enrichment',
        state.enrichment?.degraded.length ? `incomplete: ${state.enrichment.degraded.join('; ')}` : undefined,
      ),
    ],
    parameters: bound(JSON.stringify(r.parameters, null, 2), CARD_LIMITS.parameters),
    parametersHash: state.parametersHash,
    preview: state.preview ? previewForCard(state.preview) : undefined,
    diff: diffText ? bound(diffText, CARD_LIMITS.diff) : undefined,
    history: historyLine(state),
    rule: state.policy
      ? `${state.policy.rule} (policy ${state.policy.policyVersion.slice(0, 12)})`
      : undefined,
    stage: stage
      ? {
          number: state.stageIndex + 1,
          of: state.policy?.stages.length ?? 1,
          approvers: stage.approvers,
          deadline: pending ? state.stageDeadline : undefined,
        }
      : undefined,
    decisions: state.decisions.map(
      (d) =>
        `${d.decision === 'approve' ? 'Approved' : 'Denied'} by ${d.approver.id}${d.asDelegateOf ? ` as delegate of ${d.asDelegateOf}` : ''} via ${d.approver.channel} at ${d.at}${d.standing ? ` (and the same again for ${Math.round(d.standing.ttlMs / 60_000)} min)` : ''}${d.reason ? `: ${bound(d.reason, 200).text}` : ''}`,
    ),
    links: {
      request: state.links.api,
      console: consoleLinkOf(state.links.api),
      temporalUi: state.links.temporalUi,
    },
    actions: pending
      ? {
          approve: true,
          deny: true,
          denyReasonRequired: state.policy?.denyReasonRequired ?? true,
          ...standingOption(state),
        }
      : undefined,
    ...(state.breakGlass && !state.breakGlass.review ? { review: { acknowledge: true as const } } : {}),
    note,
  };
}

/**
 * Says a request came through the MCP gateway, and for whom: the gateway alone sets labels.via
 * (the REST submit refuses it), so the line is Airlock's word, not the caller's.
 */
function mcpOrigin(r: ActionState['request']): string | undefined {
  if (r.labels?.via !== 'mcp') return undefined;
  const who = r.agent?.name ? `agent ${r.agent.name}` : 'an agent';
  const behalf = r.agent?.onBehalfOf ? ` on behalf of ${r.agent.onBehalfOf}` : '';
  const tool = r.labels['mcp.tool'] ? ` (tool ${r.labels['mcp.tool']})` : '';
  return `${who}${behalf} via MCP${tool}`;
}

function historyLine(state: ActionState): string | undefined {
  const h = state.enrichment?.history;
  if (!h) return undefined;
  const summary = (x: { total: number; byOutcome: Record<string, number> }) => {
    const parts = Object.entries(x.byOutcome).map(([k, n]) => `${n} ${k}`);
    return `${x.total} request${x.total === 1 ? '' : 's'}${parts.length ? ` (${parts.join(', ')})` : ''}`;
  };
  return `In ${h.windowDays} days: requester ${summary(h.byRequester)}; this resource ${summary(h.onResource)}`;
}

function delegatesLine(context: CardContext): string | undefined {
  const delegates = context.delegates ?? [];
  if (delegates.length === 0) return undefined;
  return delegates.map((d) => `${d.delegate} as delegate of ${d.delegator} (until ${d.endsAt})`).join('; ');
}

/** The "and the same again" button, at the rule's longest TTL, where the rule allows it. */
function standingOption(state: ActionState): { standing?: { ttlMs: number; label: string } } {
  const standing = state.policy?.standing;
  if (!standing || state.policy?.risk === 'critical') return {};
  const ms = standing.maxTtlMs;
  const label = ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${Math.max(1, Math.round(ms / 60_000))} min`;
  return { standing: { ttlMs: ms, label } };
}

/** Which standing approval approved this request, or the one it created (or why not). */
function standingLine(state: ActionState): string | undefined {
  const s = state.standing;
  if (!s) return undefined;
  if (s.usedId) return `approved at once by standing approval ${s.usedId} of ${s.usedApprovers?.join(', ')}`;
  if (s.created)
    return `the same again is approved until ${s.created.expiresAt} (standing approval ${s.created.id} of ${s.created.approvers.join(', ')})`;
  return s.notCreated;
}

function breakGlassFields(state: ActionState): CardField[] {
  const bg = state.breakGlass;
  if (!bg) return [];
  const review = bg.review
    ? `${bg.review.outcome === 'incident' ? 'Flagged as an incident' : 'Acknowledged'} by ${bg.review.by} at ${bg.review.at}${bg.review.reason ? `: ${bg.review.reason}` : ''}`
    : `${bg.overdue ? 'OVERDUE: ' : ''}due by ${bg.reviewDueAt} from an approver of this rule (acknowledge or flag as an incident: POST ${state.links.api}/review)`;
  return [
    ...field('Break-glass', `${bg.by} ran this at once, without approval, at ${bg.at}`),
    ...field('Break-glass reason', bg.reason, CARD_LIMITS.justification),
    ...field('Review', review),
  ];
}

function statusLine(state: ActionState): string {
  if (state.breakGlass) return `BREAK-GLASS by ${state.breakGlass.by}: ${baseStatusLine(state)}`;
  return baseStatusLine(state);
}

function baseStatusLine(state: ActionState): string {
  const stage = state.policy?.stages[state.stageIndex];
  switch (state.status) {
    case 'pending_approval': {
      const approvals = new Set(
        state.decisions.filter((d) => d.decision === 'approve').map((d) => d.approver.id),
      ).size;
      return `Waiting for ${stage?.approvers.join(', ') ?? 'approvers'}: ${approvals} of ${stage?.minApprovals ?? 1} approvals`;
    }
    case 'approved':
      return `Approved by ${state.decidedBy ?? 'policy'}`;
    case 'executing':
      return `Approved by ${state.decidedBy ?? 'policy'}; executing`;
    case 'succeeded':
      return `Approved by ${state.decidedBy ?? 'policy'}; executed successfully`;
    case 'failed':
      return `Approved by ${state.decidedBy ?? 'policy'}; execution failed: ${state.outcomeReason ?? 'error'}`;
    case 'denied':
      return `Denied by ${state.decidedBy ?? 'policy'}${state.outcomeReason ? `: ${state.outcomeReason}` : ''}`;
    case 'expired':
      return `Expired: ${state.outcomeReason ?? 'no decision in time'}`;
    case 'cancelled':
      return `Cancelled by ${state.decidedBy ?? 'the requester'}`;
    case 'active':
      return `Access granted until ${state.grant?.validUntil ?? '?'}`;
    case 'revoked':
      return `Access revoked (${state.grant?.revokedBecause ?? 'ended'})`;
    default:
      return 'Evaluating policy';
  }
}
