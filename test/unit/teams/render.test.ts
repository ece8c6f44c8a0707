// The Adaptive Card layout of the channel-neutral card: every fact shown, user text only in
// TextRuns (never Markdown) with template braces broken, buttons and the reason input only while
// a decision can be made, and a card that always fits the budget.
import { describe, expect, it } from 'vitest';
import type { ApprovalCard } from '../../../bots/card.js';
import { byteSize, CARD_BUDGET_BYTES, plain, renderAdaptiveCard, VERBS } from '../../../bots/teams/render.js';

const card = (over: Partial<ApprovalCard> = {}): ApprovalCard => ({
  requestId: 'req-1',
  title: 'db.export on postgres://analytics/customers',
  action: 'db.export',
  risk: 'high',
  status: 'pending_approval',
  statusLine: 'Waiting for dba: 0 of 1 approvals',
  fields: [
    { label: 'Requester', value: 'ci@example.com' },
    { label: 'Justification', value: 'quarterly export' },
  ],
  parameters: { text: '{\n  "table": "customers"\n}', truncated: false },
  parametersHash: 'a'.repeat(64),
  diff: { text: '- old\n+ new', truncated: true },
  history: 'In 30 days: requester 2 requests (2 succeeded)',
  rule: 'prod-data-export (policy 0123456789ab)',
  stage: { number: 1, of: 2, approvers: ['dba'], deadline: '2030-01-02T04:00:00.000Z' },
  decisions: [],
  links: {
    request: 'https://airlock.test/v1/actions/req-1',
    temporalUi: 'https://temporal.test/wf/action-req-1',
  },
  actions: { approve: true, deny: true, denyReasonRequired: true },
  ...over,
});

function all(x: unknown, out: Record<string, any>[] = []): Record<string, any>[] {
  if (Array.isArray(x)) for (const v of x) all(v, out);
  else if (x && typeof x === 'object') {
    out.push(x as Record<string, any>);
    for (const v of Object.values(x)) all(v, out);
  }
  return out;
}
const texts = (c: unknown) =>
  all(c)
    .filter((e) => e.type === 'TextRun' || e.type === 'TextBlock')
    .map((e) => e.text as string);

describe('renderAdaptiveCard', () => {
  it('is an Adaptive Card 1.5 with the facts, the hash, the diff, history, policy and deadline', () => {
    const rendered = renderAdaptiveCard(card());
    expect(rendered.version).toBe('1.5');
    const text = texts(rendered).join('\n');
    for (const fact of [
      'db.export on postgres://analytics/customers',
      'HIGH RISK',
      'Waiting for dba: 0 of 1 approvals',
      'ci@example.com',
      '"table": "customers"',
      'a'.repeat(64),
      '+ new',
      '(truncated)',
      'In 30 days',
      'prod-data-export (policy 0123456789ab)',
      '1 of 2, approvers dba',
      '{{DATE(2030-01-02T04:00:00Z, SHORT)}}',
      '2030-01-02 04:00:00 UTC',
    ]) {
      expect(text).toContain(fact);
    }
    const mono = all(rendered)
      .filter((e) => e.fontType === 'Monospace')
      .map((e) => e.text);
    expect(mono).toContain('- old\n+ new');
  });

  it('has Approve and Deny (Action.Execute) and a reason input while pending, with the request in their data', () => {
    const rendered = renderAdaptiveCard(card());
    const execute = all(rendered).filter((e) => e.type === 'Action.Execute');
    expect(execute.map((a) => a.verb)).toEqual([VERBS.approve, VERBS.deny]);
    expect(
      execute.every((a) => a.data.requestId === 'req-1' && a.data.parametersHash === 'a'.repeat(64)),
    ).toBe(true);
    const input = all(rendered).find((e) => e.type === 'Input.Text');
    expect(input).toMatchObject({ id: 'reason', label: 'Reason (required to deny)' });
    const optional = all(
      renderAdaptiveCard(card({ actions: { approve: true, deny: true, denyReasonRequired: false } })),
    );
    expect(optional.find((e) => e.type === 'Input.Text')?.label).toBe('Reason (optional)');
  });

  it('loses the buttons and the input once the request has ended, but keeps the links', () => {
    const ended = renderAdaptiveCard(
      card({ actions: undefined, status: 'succeeded', statusLine: 'Approved by dana' }),
    );
    const els = all(ended);
    expect(els.some((e) => e.type === 'Action.Execute' || String(e.type).startsWith('Input.'))).toBe(false);
    expect(els.filter((e) => e.type === 'Action.OpenUrl').map((e) => e.url)).toEqual([
      'https://temporal.test/wf/action-req-1',
      'https://airlock.test/v1/actions/req-1',
    ]);
  });

  it('shows a note (escalated) in the card', () => {
    expect(texts(renderAdaptiveCard(card({ note: 'escalated to stage 2' })))).toContain(
      'escalated to stage 2',
    );
  });

  it('puts user text only in TextRuns, with template braces broken and control characters removed', () => {
    const hostile = '**bold** [x](https://evil.example) {{DATE(2030-01-01T00:00:00Z)}}\u0007';
    const rendered = renderAdaptiveCard(
      card({ title: hostile, fields: [{ label: 'Justification', value: hostile }], decisions: [hostile] }),
    );
    const carriers = all(rendered).filter(
      (e) => typeof e.text === 'string' && e.text.includes('evil.example'),
    );
    expect(carriers.length).toBeGreaterThanOrEqual(3);
    for (const c of carriers) {
      expect(c.type).toBe('TextRun');
      expect(c.text).not.toContain('{{');
      expect(c.text).not.toContain('\u0007');
    }
    expect(plain('a{{b}}c')).toBe('a{\u200b{b}\u200b}c');
  });

  it('refuses links that are not http(s)', () => {
    const rendered = renderAdaptiveCard(
      card({ links: { request: 'javascript:alert(1)', temporalUi: undefined } }),
    );
    expect(all(rendered).some((e) => e.type === 'Action.OpenUrl')).toBe(false);
  });

  it('shrinks a card of maximal parts under the budget, keeping the hash and the buttons', () => {
    const heavy = (n: number) => '😀'.repeat(n);
    const big = card({
      title: heavy(120),
      fields: Array.from({ length: 7 }, (_, i) => ({ label: `F${i}`, value: heavy(1000) })),
      parameters: { text: heavy(2000), truncated: true },
      diff: { text: `${heavy(50)}\n`.repeat(50), truncated: true },
      history: heavy(300),
      decisions: Array.from({ length: 40 }, () => heavy(250)),
      statusLine: heavy(400),
      note: heavy(300),
    });
    const rendered = renderAdaptiveCard(big);
    expect(byteSize(rendered)).toBeLessThanOrEqual(CARD_BUDGET_BYTES);
    expect(texts(rendered).join('\n')).toContain('a'.repeat(64));
    expect(all(rendered).filter((e) => e.type === 'Action.Execute')).toHaveLength(2);
  });
});
