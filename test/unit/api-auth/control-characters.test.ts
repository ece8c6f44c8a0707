// Every string of every request body, at any depth, is refused with its field path when it holds
// a control character or a lone surrogate (PostgreSQL cannot store NUL, 22021, nor a lone
// surrogate in JSON, 22P05); free-text fields keep their tabs and line breaks.
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { zodProblem } from '../../../api/problem.js';
import {
  actionRequestSchema,
  cancelSchema,
  completeSchema,
  decisionSchema,
  evaluateSchema,
  redeemSchema,
} from '../../../api/schemas.js';

const submit = {
  action: 'http.config.update',
  resource: 'admin-api:/config',
  environment: 'production',
  parameters: { method: 'POST', path: '/config', body: { feature: 'on', list: ['a', 'b'] } },
  justification: 'turn the feature on',
  agent: { name: 'deploy-bot', onBehalfOf: 'dana@example.com' },
  labels: { ticket: 'OPS-1' },
  diff: { before: 'a', after: 'b' },
};

const { diff: _diff, ...evaluation } = submit;

function fieldOf(schema: z.ZodType, body: unknown): string | undefined {
  const result = schema.safeParse(body);
  if (result.success) return undefined;
  return zodProblem(result.error).field;
}

const BAD = ['\u0000', '\u0007', '\u001b[31m', '\u007f', '\u0085', '\u009b', '\ud800', '\udfff', 'a\udc00b'];

describe('control characters and lone surrogates in request bodies', () => {
  const cases: [string, z.ZodType, (bad: string) => unknown, string][] = [
    ['submit resource', actionRequestSchema, (x) => ({ ...submit, resource: `r${x}` }), 'resource'],
    [
      'submit agent.onBehalfOf',
      actionRequestSchema,
      (x) => ({ ...submit, agent: { onBehalfOf: `dana${x}@example.com` } }),
      'agent.onBehalfOf',
    ],
    ['submit agent.name', actionRequestSchema, (x) => ({ ...submit, agent: { name: x } }), 'agent.name'],
    ['submit justification', actionRequestSchema, (x) => ({ ...submit, justification: x }), 'justification'],
    [
      'submit a nested parameter',
      actionRequestSchema,
      (x) => ({ ...submit, parameters: { ...submit.parameters, body: { list: ['ok', x] } } }),
      'parameters.body.list[1]',
    ],
    [
      'submit a parameter key',
      actionRequestSchema,
      (x) => ({ ...submit, parameters: { [`k${x}`]: 1 } }),
      `parameters.k${'\u0000'}`,
    ],
    ['submit a label', actionRequestSchema, (x) => ({ ...submit, labels: { ticket: x } }), 'labels.ticket'],
    [
      'submit diff.after',
      actionRequestSchema,
      (x) => ({ ...submit, diff: { before: '', after: x } }),
      'diff.after',
    ],
    [
      'submit idempotencyKey',
      actionRequestSchema,
      (x) => ({ ...submit, idempotencyKey: `k${x}` }),
      'idempotencyKey',
    ],
    ['decision reason', decisionSchema, (x) => ({ decision: 'deny', reason: x }), 'reason'],
    ['cancel reason', cancelSchema, (x) => ({ reason: x }), 'reason'],
    ['redeem token', redeemSchema, (x) => ({ token: `t${x}` }), 'token'],
    ['complete details', completeSchema, (x) => ({ details: { log: [x] } }), 'details.log[0]'],
    [
      'evaluate requester',
      evaluateSchema,
      (x) => ({ ...evaluation, requester: `a${x}@example.com` }),
      'requester',
    ],
  ];

  for (const [name, schema, body, field] of cases) {
    it(`${name}: 400 naming ${JSON.stringify(field)}`, () => {
      for (const bad of BAD) {
        const expected = field.includes('\u0000') ? `parameters.k${bad}` : field;
        expect(fieldOf(schema, body(bad)), JSON.stringify(bad)).toBe(expected);
      }
    });
  }

  it('keeps tabs and line breaks in free text, and refuses them in one-line fields', () => {
    const text = 'line one\n\tline two\r\n';
    expect(
      fieldOf(actionRequestSchema, {
        ...submit,
        justification: text,
        parameters: { sql: `SELECT 1;\n\tSELECT 2;` },
        diff: { unified: text },
      }),
    ).toBeUndefined();
    expect(fieldOf(decisionSchema, { decision: 'deny', reason: text })).toBeUndefined();
    expect(fieldOf(actionRequestSchema, { ...submit, resource: 'a\nb' })).toBe('resource');
    expect(fieldOf(actionRequestSchema, { ...submit, agent: { onBehalfOf: 'dana@example.com\t' } })).toBe(
      'agent.onBehalfOf',
    );
    expect(fieldOf(actionRequestSchema, { ...submit, labels: { ticket: 'a\r\nb' } })).toBe('labels.ticket');
  });

  it('accepts well-formed text beyond ASCII (pairs, combining marks, RTL)', () => {
    expect(
      fieldOf(actionRequestSchema, {
        ...submit,
        resource: 'résumé 😀 שלום e\u0301',
        justification: '日本語',
      }),
    ).toBeUndefined();
  });

  it('names the offending character and where it is, never echoing the value', () => {
    const result = actionRequestSchema.safeParse({ ...submit, resource: 'abc\u0000secret' });
    expect(result.success).toBe(false);
    const problem = zodProblem(result.error!);
    expect(problem.detail).toBe('resource: must not contain control characters (U+0000 at position 3)');
  });
});
