// Airlock's preview on the cards: labelled as Airlock's, beside the requester's diff labelled as a
// claim; a failed preview degrades the card with its reason; and a preview with the longest samples
// a preview keeps still renders as a card the Teams and Slack fakes accept (limits and schema).
import { describe, expect, it } from 'vitest';
import { buildApprovalCard } from '../../../bots/card.js';
import { CLAIM_HEADING, PREVIEW_HEADING } from '../../../bots/preview-text.js';
import { renderCard, textLength } from '../../../bots/slack/blocks.js';
import { byteSize, CARD_BUDGET_BYTES, renderAdaptiveCard } from '../../../bots/teams/render.js';
import { SAMPLE_LIMITS } from '../../../executors/postgres-sql-preview.js';
import type { ActionPreview, RowSample } from '../../../workflows/preview-types.js';
import type { ActionState } from '../../../workflows/types.js';
import { TEAMS_MESSAGE_LIMIT_BYTES } from '../../fakes/bot-connector.js';
import { MAX_BLOCKS_TEXT, validateBlocks } from '../../fakes/slack-api.js';
import { state as baseState } from '../slack/fixtures.js';

/** The widest sample a preview keeps: every row, column and character at its bound, with markup in it. */
const wide = (tag: string): RowSample => ({
  columns: Array.from({ length: SAMPLE_LIMITS.columns }, (_, i) => `column_${i}_<${tag}>`),
  rows: Array.from({ length: SAMPLE_LIMITS.rows }, (_, r) =>
    Array.from(
      { length: SAMPLE_LIMITS.columns },
      (_, c) => `${tag}${r}.${c} \`\`\` <!channel> {{DATE(x)}} `.padEnd(59, 'é') + '…',
    ),
  ),
  truncated: true,
});

function preview(over: Partial<ActionPreview> = {}): ActionPreview {
  return {
    status: 'ok',
    computedBy: 'airlock',
    executor: 'postgres.sql',
    computedAt: '2030-01-02T03:00:00.000Z',
    durationMs: 40,
    summary: Array.from(
      { length: SAMPLE_LIMITS.sampled },
      (_, i) => `${i + 1}. UPDATE customers: 1,204 rows (sample below)`,
    ),
    rowsAffected: 6020,
    sql: {
      statements: Array.from({ length: SAMPLE_LIMITS.sampled }, () => ({
        kind: 'UpdateStmt',
        text: "UPDATE customers SET tier = 'platinum' WHERE tier = 'gold'",
        mode: 'run' as const,
        table: 'customers',
        rows: 1204,
        before: wide('b'),
        after: wide('a'),
      })),
      rolledBack: true,
      statementTimeoutMs: 30_000,
      lockTimeoutMs: 5_000,
    },
    hash: 'c'.repeat(64),
    ...over,
  };
}

/** The Slack tests' request, as a postgres.sql request with long parameters and a long claimed diff. */
const state = (over: Partial<ActionState> = {}): ActionState =>
  baseState({
    request: {
      action: 'db.schema.migrate',
      resource: 'postgres://analytics/customers',
      environment: 'production',
      parameters: {
        sql: `UPDATE customers SET tier = 'platinum' WHERE tier = 'gold' -- ${'x'.repeat(4000)}`,
      },
      justification: 'promote the gold customers',
      diff: { unified: `-1 gold\n+1 platinum\n(1 row)\n${'+ filler line\n'.repeat(400)}` },
    },
    enrichment: {
      degraded: [],
      diffPreview: `-1 gold\n+1 platinum\n(1 row)\n${'+ filler line\n'.repeat(400)}`,
    },
    execution: { executor: 'postgres.sql', target: 'analytics', mode: 'once' },
    preview: preview(),
    ...over,
  });

function texts(x: unknown, out: string[] = []): string[] {
  if (Array.isArray(x)) for (const v of x) texts(v, out);
  else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      if (k === 'text' && typeof v === 'string') out.push(v);
      else texts(v, out);
    }
  }
  return out;
}

describe('the preview on the cards', () => {
  it("is labelled as Airlock's, apart from the requester's diff labelled as a claim", () => {
    const card = buildApprovalCard(state());
    expect(card.preview?.heading).toBe(PREVIEW_HEADING);
    expect(card.preview?.hash).toBe('c'.repeat(16));
    const teams = texts(renderAdaptiveCard(card)).join('\n');
    const slack = texts(renderCard(card).blocks).join('\n');
    for (const text of [teams, slack]) {
      expect(text).toContain(PREVIEW_HEADING);
      expect(text).toContain('1. UPDATE customers: 1,204 rows (sample below)');
    }
    expect(teams).toContain(CLAIM_HEADING);
    expect(slack).toContain('only if reality still matches the preview it computed (sha256 cccccccccccc…)');
    expect(slack).toContain(CLAIM_HEADING);
  });

  it('a failed preview degrades the card with the reason, and the buttons stay', () => {
    const failed = preview({
      status: 'failed',
      reason: 'statement 1 waited longer than the lock_timeout',
      summary: [],
      sql: undefined,
      rowsAffected: undefined,
    });
    const card = buildApprovalCard(state({ preview: failed }));
    expect(card.preview?.summary.text).toBe(
      'Preview failed: statement 1 waited longer than the lock_timeout',
    );
    expect(card.preview?.detail).toBeUndefined();
    expect(card.actions).toBeDefined();
    expect(texts(renderCard(card).blocks).join('\n')).toContain('Preview failed: statement 1 waited');
  });

  it("keeps within Slack's limits (the fake's schema and total) with the longest samples", () => {
    for (const s of [state(), state({ status: 'failed', outcomeReason: 'drift detected: '.repeat(100) })]) {
      const message = renderCard(buildApprovalCard(s));
      expect(validateBlocks(message.blocks, 'message')).toEqual([]);
      expect(textLength(message.blocks)).toBeLessThanOrEqual(MAX_BLOCKS_TEXT);
      const all = texts(message.blocks).join('\n');
      expect(all).toContain('1,204 rows');
      expect(all).not.toContain('<!channel>');
    }
  });

  it("keeps within Teams' message size with the longest samples, the figures and hash still on it", () => {
    const rendered = renderAdaptiveCard(buildApprovalCard(state()));
    expect(byteSize(rendered)).toBeLessThanOrEqual(CARD_BUDGET_BYTES);
    expect(CARD_BUDGET_BYTES).toBeLessThan(TEAMS_MESSAGE_LIMIT_BYTES);
    const all = texts(rendered).join('\n');
    expect(all).toContain('1,204 rows');
    expect(all).toContain('c'.repeat(16));
    expect(all).not.toContain('{{DATE(x)');
  });
});
