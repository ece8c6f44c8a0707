// The frozen hash rule: a golden value guards against accidental changes.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eventHash, GENESIS_HASH } from '../../../audit/chain.js';

const event = {
  requestId: 'req-1',
  eventKey: 'wf:1',
  type: 'request.submitted',
  actor: 'alice@example.com',
  at: '2025-01-01T00:00:00.000Z',
  data: { b: 2, a: 1 },
};

describe('eventHash', () => {
  it('is sha256(prev + "\\n" + canonical JSON of the event)', () => {
    const text =
      '{"actor":"alice@example.com","at":"2025-01-01T00:00:00.000Z","data":{"a":1,"b":2},' +
      '"eventKey":"wf:1","requestId":"req-1","type":"request.submitted"}';
    const expected = createHash('sha256').update(`${GENESIS_HASH}\n${text}`).digest('hex');
    expect(eventHash(GENESIS_HASH, event)).toBe(expected);
    expect(GENESIS_HASH).toBe('0'.repeat(64));
  });

  it('ignores extra properties (id, hashes, recordedAt) and depends on prev and content', () => {
    const h = eventHash(GENESIS_HASH, event);
    expect(eventHash(GENESIS_HASH, { ...event, id: 5, hash: 'x', recordedAt: 'y' } as typeof event)).toBe(h);
    expect(eventHash('1'.repeat(64), event)).not.toBe(h);
    expect(eventHash(GENESIS_HASH, { ...event, data: { a: 1, b: 3 } })).not.toBe(h);
  });
});
