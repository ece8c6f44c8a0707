// Airlock's preview (SPEC 13) as card text: built once, channel-neutral, bounded, and always
// labelled as Airlock's own computation, apart from the requester's `diff`, which is a claim.
import type { ActionPreview, RowSample, SqlStatementPreview } from '../workflows/preview-types.js';
import { type BoundedText, bound } from './card.js';

export interface CardPreview {
  status: ActionPreview['status'];
  /** "Preview computed by Airlock" (or why there is none). */
  heading: string;
  /** The figures, one line each ("1. UPDATE customers: 1,204 rows (sample below)"). */
  summary: BoundedText;
  /** Samples, plan, diff or statements; the first part to go when a card must shrink. */
  detail?: BoundedText;
  /** Short hash, so an approver can match what they saw with the trail. */
  hash?: string;
}

export const PREVIEW_LIMITS = { summary: 1200, detail: 2500, reason: 400 } as const;

export const PREVIEW_HEADING = 'Preview computed by Airlock';
export const CLAIM_HEADING = "Requester's diff (their claim, not verified)";

export function previewForCard(preview: ActionPreview): CardPreview {
  const reason = preview.reason ? bound(preview.reason, PREVIEW_LIMITS.reason).text : 'no reason given';
  const lines = [...preview.summary];
  if (preview.status === 'failed') lines.unshift(`Preview failed: ${reason}`);
  if (preview.status === 'unavailable') lines.unshift(`No preview: ${reason}`);
  if (preview.status === 'partial') lines.push(`Partial preview: ${reason}`);
  if (preview.withheld) lines.push(preview.withheld);
  const detail = detailText(preview);
  return {
    status: preview.status,
    heading: PREVIEW_HEADING,
    summary: bound(lines.join('\n'), PREVIEW_LIMITS.summary),
    ...(detail ? { detail: bound(detail, PREVIEW_LIMITS.detail) } : {}),
    ...(preview.hash ? { hash: preview.hash.slice(0, 16) } : {}),
  };
}

function detailText(preview: ActionPreview): string | undefined {
  if (preview.status === 'failed' || preview.status === 'unavailable') return undefined;
  if (preview.sql) return sqlDetail(preview.sql.statements) || undefined;
  if (preview.http) return preview.http.diff || '(the proposed body equals the current state)';
  if (preview.grant)
    return [
      'Statements:',
      ...preview.grant.statements,
      '',
      'The role would hold:',
      ...preview.grant.privileges.map((p) => `${p.privilege} ON ${p.on} ${p.object}`),
    ].join('\n');
  return undefined;
}

function sqlDetail(statements: SqlStatementPreview[]): string {
  const parts: string[] = [];
  statements.forEach((s, i) => {
    const what = `${i + 1}. ${s.table ?? s.kind}`;
    if (s.before) parts.push(`${what}, before:\n${table(s.before)}`);
    if (s.after) parts.push(`${what}, after:\n${table(s.after)}`);
    if (s.plan) parts.push(`${what}, plan:\n${s.plan}`);
  });
  return parts.join('\n\n');
}

/** Rows as `a | b | c` lines under a header; "…" marks a sample cut short. */
function table(sample: RowSample): string {
  const rows = sample.rows.map((r) =>
    r.map((v) => (v === null ? 'NULL' : v.replace(/\s+/g, ' '))).join(' | '),
  );
  return [sample.columns.join(' | '), ...rows, ...(sample.truncated ? ['…'] : [])].join('\n');
}
