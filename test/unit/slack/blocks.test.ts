// Block Kit rendering of the channel-neutral card: the same content as the card model (header with
// action and risk, fields, parameters with hash, diff, history, rule, deadline, links), mrkdwn
// escaped, and inside Slack's limits however large the request, checked with the fake Slack's own
// validator; buttons only while pending; the deny modal fits a modal's limits.
import { describe, expect, it } from 'vitest';
import { buildApprovalCard } from '../../../bots/card.js';
import {
  BLOCK_LIMITS,
  outcomeText,
  parseButtonValue,
  renderCard,
  textLength,
} from '../../../bots/slack/blocks.js';
import { parseDenyMetadata, renderDenyModal } from '../../../bots/slack/modal.js';
import { MAX_BLOCKS_TEXT, validateBlocks, validateModal } from '../../fakes/slack-api.js';
import { ID, state } from './fixtures.js';

const all = (blocks: unknown) => JSON.stringify(blocks);
const actions = (blocks: any[]) => blocks.find((b) => b.type === 'actions');

describe('renderCard', () => {
  it('shows the card content: header with action and risk, fields, parameters with hash, diff, history, rule, deadline, links', () => {
    const { text, blocks } = renderCard(buildApprovalCard(state()));
    expect(validateBlocks(blocks, 'message')).toEqual([]);
    expect(blocks[0]).toMatchObject({
      type: 'header',
      text: { type: 'plain_text', text: '🟠 db.export on postgres://analytics/customers' },
    });
    const json = all(blocks);
    for (const part of [
      '*Action* `db.export`',
      '*Risk* HIGH',
      '*Requester*\\nci@example.com',
      '*Environment*\\nproduction',
      `sha256 \`${'a'.repeat(64)}\``,
      '\\"where\\": \\"region = &lt;EU&gt;\\"',
      "*Requester's diff (their claim, not verified)*\\n```\\n--- a\\n+++ b\\n-old\\n+new\\n```",
      'In 30 days: requester 3 requests (3 succeeded)',
      '*Rule* prod-data-export (policy 0123456789ab)',
      '*Stage* 1 of 1 (dba)',
      '<!date^1893556800^{date_short_pretty} {time}|2030-01-02T04:00:00.000Z>',
      `<http://airlock.test/console/requests/${ID}|Open in console>`,
      `<http://airlock.test/v1/actions/${ID}|API>`,
      '<http://temporal.test/wf?id=a%7Cb|Temporal UI>',
    ]) {
      expect(json).toContain(part);
    }
    expect(text).toBe(
      'Approval needed (high risk): db.export on postgres://analytics/customers. Waiting for dba: 0 of 1 approvals',
    );
  });

  it('escapes mrkdwn so user text cannot mention channels or forge links', () => {
    const json = all(renderCard(buildApprovalCard(state())).blocks);
    expect(json).toContain('finance, &lt;!channel&gt; please');
    expect(json).not.toContain('<!channel>');
  });

  it('has Approve and Deny buttons with confirm dialogs while pending, carrying the request id', () => {
    const { blocks } = renderCard(buildApprovalCard(state()));
    const row = actions(blocks);
    expect(row.elements.map((e: any) => [e.action_id, e.style])).toEqual([
      ['airlock_approve', 'primary'],
      ['airlock_deny', 'danger'],
    ]);
    for (const button of row.elements) {
      expect(button.confirm.title.text).toMatch(/this action\?$/);
      expect(parseButtonValue(button.value)).toEqual({ requestId: ID, reasonRequired: true });
    }
  });

  it('drops the buttons and shows the decision once the request ends', () => {
    const ended = state({
      status: 'denied',
      decidedBy: 'dana@example.com',
      outcomeReason: 'not now',
      decisions: [
        {
          decision: 'deny',
          reason: 'not now',
          approver: { id: 'dana@example.com', channel: 'slack' },
          stage: 0,
          at: '2030-01-02T03:10:00.000Z',
        },
      ],
    });
    const card = buildApprovalCard(ended);
    const { blocks, text } = renderCard(card);
    expect(actions(blocks)).toBeUndefined();
    expect(validateBlocks(blocks, 'message')).toEqual([]);
    expect(all(blocks)).toContain(
      'Denied by dana@example.com via slack at 2030-01-02T03:10:00.000Z: not now',
    );
    expect(all(blocks)).not.toContain('Decide by');
    expect(text).toBe('db.export on postgres://analytics/customers: Denied by dana@example.com: not now');
    expect(outcomeText(card)).toBe(
      ':no_entry: Outcome: Denied by dana@example.com: not now\nDenied by dana@example.com via slack at 2030-01-02T03:10:00.000Z: not now',
    );
  });

  it('stays inside every Block Kit limit with the largest request the card allows', () => {
    const huge = '<&>'.repeat(3000) + '```'.repeat(500) + '😀'.repeat(2000);
    const many = Array.from({ length: 60 }, (_, i) => ({
      decision: 'approve' as const,
      reason: huge,
      approver: { id: `p${i}@example.com`, channel: 'api' as const },
      stage: 0,
      at: '2030-01-02T03:10:00.000Z',
    }));
    const big = state({
      request: {
        ...state().request,
        action: `db.${'x'.repeat(300)}`,
        resource: huge,
        justification: huge,
        parameters: { sql: huge, more: huge },
        labels: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, huge.slice(0, 80)])),
        agent: { name: huge, model: huge, onBehalfOf: huge },
      },
      enrichment: { degraded: [huge], diffPreview: huge },
      decisions: many,
      policy: { ...state().policy!, rule: huge },
    });
    const card = buildApprovalCard(big, huge);
    const { blocks, text } = renderCard(card);
    expect(validateBlocks(blocks, 'message')).toEqual([]);
    expect(blocks.length).toBeLessThanOrEqual(BLOCK_LIMITS.blocks);
    expect(textLength(blocks)).toBeLessThanOrEqual(BLOCK_LIMITS.totalText);
    expect(textLength(blocks)).toBeLessThan(MAX_BLOCKS_TEXT);
    expect(text.length).toBeLessThanOrEqual(3000);
    // Still there, shortened: the hash, the start of the parameters, the buttons.
    expect(all(blocks)).toContain(big.parametersHash);
    expect(all(blocks)).toContain('&lt;&amp;&gt;');
    expect(actions(blocks)).toBeDefined();
    expect(all(blocks)).toMatch(/and \d+ more \(open the request\)/);
    expect(all(blocks)).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('keeps fields to at most 10 per section', () => {
    const card = buildApprovalCard(state());
    const fields = Array.from({ length: 23 }, (_, i) => ({ label: `F${i}`, value: `v${i}` }));
    const { blocks } = renderCard({ ...card, fields });
    const sections = blocks.filter((b: any) => b.fields);
    expect(sections.map((b: any) => b.fields.length)).toEqual([10, 10, 3]);
    expect(validateBlocks(blocks, 'message')).toEqual([]);
  });
});

describe('deny modal', () => {
  it('asks for a required reason and carries the request in its metadata', () => {
    const view = renderDenyModal({
      requestId: ID,
      reasonRequired: true,
      channel: 'C1',
      messageTs: '1.2',
      summary: 'x'.repeat(900),
    });
    expect(validateModal(view as any)).toEqual([]);
    const input = view.blocks.find((b) => b.type === 'input') as any;
    expect(input.optional).toBe(false);
    expect(parseDenyMetadata(view.private_metadata)).toEqual({
      requestId: ID,
      reasonRequired: true,
      channel: 'C1',
      messageTs: '1.2',
    });
  });

  it('makes the reason optional when the policy does not require one', () => {
    const view = renderDenyModal({ requestId: ID, reasonRequired: false });
    expect((view.blocks.find((b) => b.type === 'input') as any).optional).toBe(true);
  });

  it('ignores button values and metadata that do not name a request', () => {
    expect(parseButtonValue('{"requestId":"../../etc"}')).toBeUndefined();
    expect(parseButtonValue('not json')).toBeUndefined();
    expect(parseDenyMetadata('{"requestId":1}')).toBeUndefined();
  });
});
