// Lays the channel-neutral ApprovalCard out as an Adaptive Card 1.5 with Universal Actions
// (Action.Execute). Content comes only from the card model; user text goes into TextRuns (which
// Teams never reads as Markdown) with date/time template braces broken, and the card is shrunk
// until it fits well under Teams' ~28 KB message limit.
import { type ApprovalCard, bound } from '../card.js';
import { type CardPreview, CLAIM_HEADING } from '../preview-text.js';

export const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
/** Verbs of the card's Action.Execute buttons. */
export const VERBS = {
  approve: 'airlock.approve',
  deny: 'airlock.deny',
  acknowledge: 'airlock.breakglass.acknowledge',
  approveStanding: 'airlock.approve.standing',
} as const;
/** Bytes of card JSON we allow; Teams refuses messages over ~28 KB and the activity adds its envelope. */
export const CARD_BUDGET_BYTES = 24 * 1024;

export type AdaptiveElement = Record<string, unknown>;
export interface AdaptiveCardJson {
  type: 'AdaptiveCard';
  $schema: string;
  version: '1.5';
  body: AdaptiveElement[];
  actions?: AdaptiveElement[];
  fallbackText: string;
  msteams: { width: 'Full' };
}

/** The data an Approve/Deny click carries back (Teams merges the `reason` input into it). */
export interface CardActionData {
  requestId: string;
  parametersHash: string;
  reason?: string;
  /** On the "and the same again" action: for how long (the workflow holds it to the rule's maxTtl). */
  standingTtlMs?: number;
}

/** Neutralises what Teams would interpret in text: `{{DATE(..)}}`/`{{TIME(..)}}` functions, control characters. */
export function plain(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
      .replace(/\{\{/g, '{\u200b{')
      .replace(/\}\}/g, '}\u200b}')
  );
}

const run = (text: string, extra: Record<string, unknown> = {}): AdaptiveElement => ({
  type: 'TextRun',
  text: plain(text),
  ...extra,
});
const rich = (inlines: AdaptiveElement[], extra: Record<string, unknown> = {}): AdaptiveElement => ({
  type: 'RichTextBlock',
  inlines,
  ...extra,
});
/** Fixed text of our own (labels, headings): safe for TextBlock. */
const heading = (text: string): AdaptiveElement => ({
  type: 'TextBlock',
  text,
  weight: 'Bolder',
  size: 'Small',
  spacing: 'Medium',
  wrap: true,
});

const RISK_STYLE: Record<string, string> = {
  low: 'good',
  medium: 'warning',
  high: 'attention',
  critical: 'attention',
};
const STATUS_COLOR: Record<string, string> = {
  pending_approval: 'Accent',
  approved: 'Good',
  executing: 'Good',
  succeeded: 'Good',
  active: 'Good',
  failed: 'Attention',
  denied: 'Attention',
  expired: 'Warning',
  cancelled: 'Warning',
  revoked: 'Default',
};

const ISO_INSTANT = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/;

/** Renders the card, shrinking long parts until it fits the budget. */
export function renderAdaptiveCard(card: ApprovalCard): AdaptiveCardJson {
  let current = card;
  let rendered = layout(current);
  for (const shrink of SHRINK_STEPS) {
    if (byteSize(rendered) <= CARD_BUDGET_BYTES) break;
    current = shrink(current);
    rendered = layout(current);
  }
  return rendered;
}

export function byteSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

const shorten = (t: { text: string; truncated: boolean } | undefined, max: number) => {
  if (!t) return t;
  const b = bound(t.text, max);
  return { text: b.text, truncated: t.truncated || b.truncated };
};

const shrinkPreview = (p: CardPreview | undefined, detail: number | undefined, summary?: number) =>
  p && {
    ...p,
    detail: detail === undefined ? undefined : shorten(p.detail, detail),
    summary: summary === undefined ? p.summary : shorten(p.summary, summary)!,
  };

/** Each step gives up a little more detail; the links, the hashes and the preview's figures always stay. */
const SHRINK_STEPS: ((c: ApprovalCard) => ApprovalCard)[] = [
  (c) => ({
    ...c,
    diff: shorten(c.diff, 1000),
    parameters: shorten(c.parameters, 1000)!,
    preview: shrinkPreview(c.preview, 1000),
  }),
  (c) => ({
    ...c,
    decisions:
      c.decisions.length > 6
        ? [`(${c.decisions.length - 5} earlier decisions not shown)`, ...c.decisions.slice(-5)]
        : c.decisions,
    fields: c.fields.map((f) => ({ ...f, value: bound(f.value, 200).text })),
  }),
  (c) => ({
    ...c,
    diff: undefined,
    parameters: shorten(c.parameters, 300)!,
    history: undefined,
    preview: shrinkPreview(c.preview, undefined, 600),
  }),
  (c) => ({
    ...c,
    fields: c.fields.map((f) => ({ ...f, value: bound(f.value, 80).text })),
    decisions: c.decisions.slice(-3).map((d) => bound(d, 120).text),
    note: c.note === undefined ? undefined : bound(c.note, 120).text,
    statusLine: bound(c.statusLine, 200).text,
  }),
];

function layout(card: ApprovalCard): AdaptiveCardJson {
  const body: AdaptiveElement[] = [
    {
      type: 'ColumnSet',
      columns: [
        {
          type: 'Column',
          width: 'stretch',
          items: [rich([run(card.title, { weight: 'Bolder', size: 'Medium' })])],
        },
        {
          type: 'Column',
          width: 'auto',
          items: [
            {
              type: 'Container',
              style: RISK_STYLE[card.risk] ?? 'emphasis',
              items: [rich([run(`${card.risk.toUpperCase()} RISK`, { weight: 'Bolder', size: 'Small' })])],
            },
          ],
        },
      ],
    },
    rich([run(card.statusLine, { weight: 'Bolder', color: STATUS_COLOR[card.status] ?? 'Default' })], {
      id: 'status',
    }),
  ];
  if (card.note) body.push(rich([run(card.note, { italic: true, color: 'Warning' })], { id: 'note' }));

  body.push(
    ...card.fields.map((f) =>
      rich([run(`${f.label}: `, { weight: 'Bolder' }), run(f.value)], { spacing: 'Small' }),
    ),
  );

  body.push(heading('Parameters'));
  body.push(
    rich([run(card.parameters.text, { fontType: 'Monospace', size: 'Small' })], { id: 'parameters' }),
  );
  if (card.parameters.truncated) body.push(rich([run('(truncated)', { isSubtle: true, size: 'Small' })]));
  body.push(
    rich([
      run('Parameters hash: ', { weight: 'Bolder', size: 'Small' }),
      run(card.parametersHash, { fontType: 'Monospace', size: 'Small' }),
    ]),
  );

  if (card.preview) body.push(...previewElements(card.preview));
  if (card.diff) {
    body.push(heading(CLAIM_HEADING));
    body.push(rich([run(card.diff.text, { fontType: 'Monospace', size: 'Small' })], { id: 'diff' }));
    if (card.diff.truncated) body.push(rich([run('(truncated)', { isSubtle: true, size: 'Small' })]));
  }
  if (card.history) {
    body.push(heading('History'));
    body.push(rich([run(card.history, { size: 'Small' })]));
  }

  const policyLines: AdaptiveElement[] = [];
  if (card.rule) policyLines.push(rich([run('Rule: ', { weight: 'Bolder' }), run(card.rule)]));
  if (card.stage) {
    policyLines.push(
      rich([
        run('Stage: ', { weight: 'Bolder' }),
        run(`${card.stage.number} of ${card.stage.of}, approvers ${card.stage.approvers.join(', ')}`),
      ]),
    );
    if (card.stage.deadline) policyLines.push(deadline(card.stage.deadline));
  }
  if (policyLines.length) body.push(heading('Policy'), ...policyLines);

  if (card.decisions.length) {
    body.push(heading('Decisions'));
    body.push(...card.decisions.map((d) => rich([run(d)], { spacing: 'Small' })));
  }

  const data = { requestId: card.requestId, parametersHash: card.parametersHash };
  const actions: AdaptiveElement[] = [];
  if (card.actions) {
    body.push({
      type: 'Input.Text',
      id: 'reason',
      isMultiline: true,
      maxLength: 500,
      label: card.actions.denyReasonRequired ? 'Reason (required to deny)' : 'Reason (optional)',
      placeholder: 'Why approve or deny?',
    });
    actions.push(
      { type: 'Action.Execute', title: 'Approve', verb: VERBS.approve, style: 'positive', data },
      { type: 'Action.Execute', title: 'Deny', verb: VERBS.deny, style: 'destructive', data },
    );
    const standing = card.actions.standing;
    if (standing) {
      actions.push({
        type: 'Action.Execute',
        title: `Approve + same again ${standing.label}`,
        verb: VERBS.approveStanding,
        data: { ...data, standingTtlMs: standing.ttlMs },
      });
    }
  }
  // A break-glass request awaiting its review: acknowledge here (an incident, with its reason, over the API).
  if (card.review) {
    actions.push({ type: 'Action.Execute', title: 'Acknowledge break-glass', verb: VERBS.acknowledge, data });
  }
  if (isHttpUrl(card.links.console)) {
    actions.push({ type: 'Action.OpenUrl', title: 'Open in console', url: card.links.console });
  }
  if (isHttpUrl(card.links.temporalUi)) {
    actions.push({ type: 'Action.OpenUrl', title: 'Temporal UI', url: card.links.temporalUi });
  }
  if (isHttpUrl(card.links.request)) {
    actions.push({ type: 'Action.OpenUrl', title: 'Request (API)', url: card.links.request });
  }
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body,
    ...(actions.length ? { actions } : {}),
    fallbackText: plain(`${card.title}: ${card.statusLine}`),
    msteams: { width: 'Full' },
  };
}

const PREVIEW_COLOR: Record<string, string> = {
  ok: 'Default',
  partial: 'Warning',
  unavailable: 'Warning',
  failed: 'Attention',
};

function previewElements(preview: CardPreview): AdaptiveElement[] {
  const elements: AdaptiveElement[] = [
    heading(preview.heading),
    rich([run(preview.summary.text, { color: PREVIEW_COLOR[preview.status] ?? 'Default' })], {
      id: 'preview',
    }),
  ];
  if (preview.detail) {
    elements.push(
      rich([run(preview.detail.text, { fontType: 'Monospace', size: 'Small' })], { id: 'previewDetail' }),
    );
    if (preview.detail.truncated)
      elements.push(rich([run('(truncated)', { isSubtle: true, size: 'Small' })]));
  }
  if (preview.hash)
    elements.push(
      rich([
        run('Preview hash: ', { weight: 'Bolder', size: 'Small' }),
        run(preview.hash, { fontType: 'Monospace', size: 'Small' }),
      ]),
    );
  return elements;
}

/** The deadline in the reader's time zone (Teams' DATE/TIME functions), with UTC as a fallback. */
function deadline(iso: string): AdaptiveElement {
  const m = ISO_INSTANT.exec(iso);
  if (!m) return rich([run('Decide by: ', { weight: 'Bolder' }), run(iso)]);
  const at = `${m[1]}Z`;
  return {
    type: 'TextBlock',
    id: 'deadline',
    wrap: true,
    text: `**Decide by:** {{DATE(${at}, SHORT)}} {{TIME(${at})}} (${m[1]!.replace('T', ' ')} UTC)`,
  };
}

function isHttpUrl(url: string | undefined): url is string {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}
