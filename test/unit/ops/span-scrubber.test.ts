// Spans go out without failure messages or stack traces (they may carry what Temporal history
// keeps encrypted); the failure's kind and every other field stay.
import { describe, expect, it } from 'vitest';
import { ScrubbingExporter, scrubSpan } from '../../../temporal/span-scrubber.js';

const span = {
  name: 'RunActivity:executeAction',
  attributes: { temporalWorkflowId: 'action-1' },
  status: { code: 2, message: 'target secret-db refused password hunter2' },
  events: [
    {
      name: 'exception',
      time: [1, 0],
      attributes: {
        'exception.type': 'ExecutorFailed',
        'exception.message': 'hunter2',
        'exception.stacktrace': 'at secret',
      },
    },
    { name: 'note', time: [1, 0], attributes: { kept: 'yes' } },
  ],
  spanContext() {
    return { traceId: 't', spanId: 's', traceFlags: 1 };
  },
};

describe('scrubSpan', () => {
  it('drops failure messages and stacks, keeps the kind and the rest', () => {
    const out = scrubSpan(span as never);
    expect(JSON.stringify(out)).not.toContain('hunter2');
    expect(out.status).toEqual({ code: 2 });
    expect(out.events[0]?.attributes).toEqual({ 'exception.type': 'ExecutorFailed' });
    expect(out.events[1]).toBe(span.events[1]);
    expect(out.name).toBe('RunActivity:executeAction');
    expect(out.attributes).toEqual({ temporalWorkflowId: 'action-1' });
    expect(out.spanContext().spanId).toBe('s');
  });

  it('is what the exporter hands on', async () => {
    const seen: unknown[] = [];
    const inner = {
      export: (spans: unknown[], done: (r: { code: number }) => void) => {
        seen.push(...spans);
        done({ code: 0 });
      },
      shutdown: async () => {},
    };
    const result = await new Promise((resolve) =>
      new ScrubbingExporter(inner as never).export([span as never], resolve),
    );
    expect(result).toEqual({ code: 0 });
    expect(JSON.stringify(seen)).not.toContain('hunter2');
  });
});
