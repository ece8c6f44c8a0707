// The frozen hash rule: a golden value guards against accidental changes.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eventHash, eventHashOfCanonicalData, GENESIS_HASH, type HashedEvent } from '../../../audit/chain.js';
import { canonicalJson } from '../../../lib/canonical-json.js';

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

// Hashes computed by the original implementation (canonicalJson of the whole event object, then
// createHash) before the fast paths existed: stored trails and evidence packs depend on them.
const GOLDEN = [
  {
    event,
    hash: '0c9fb789f25a1aca2b2027ac9c310225b4301c8abc7cddceefceed712c69187f',
  },
  {
    event: {
      requestId: 'réq-ü',
      eventKey: 'wf:2',
      type: 'decision.recorded',
      actor: 'zoë@exämple.com',
      at: '2025-01-01T00:00:01.000Z',
      data: {
        '\u20ac': 'Euro',
        '\r': 'CR',
        '\ufb33': 'Hebrew',
        '1': 'One',
        '10': 'Ten',
        '2': 'Two',
        '\u{1f600}': 'Emoji',
        '\u0080': 'Ctl',
        '\u00f6': 'o',
        nested: { z: [3, { y: 'ÿ', x: null, w: true }], a: { c: { b: -0, a: 1e21 } } },
        s: 'héllo "w" \\ \n \u0001 😀 \u2028',
        lone: '\ud800x',
        __proto__x: 1,
      },
    },
    hash: '4efd76a1fdf31abe3fd60e650d2bca376e5d646343632e987beae9f7b9a3f8fa',
  },
  {
    event: {
      requestId: 'req-3',
      eventKey: 'wf:3',
      type: 't',
      actor: 'policy',
      at: '2025-01-01T00:00:02.000Z',
      data: {
        list: [],
        obj: {},
        n: [0.1, 333333333.3333333, 1e-7, -5],
        dropped: undefined,
        when: new Date(0),
      },
    },
    hash: '80954ed228c575d60272699c672d8249ca5169b7acee913921ab0579a46a4f48',
  },
];

/** The rule exactly as first written, as the reference. */
function referenceHash(prev: string, e: HashedEvent): string {
  const { requestId, eventKey, type, actor, at, data } = e;
  const text = canonicalJson({ requestId, eventKey, type, actor, at, data });
  return createHash('sha256').update(`${prev}\n${text}`, 'utf8').digest('hex');
}

describe('hash fast paths', () => {
  it('give the golden hashes, by every route', () => {
    let prev = GENESIS_HASH;
    for (const { event, hash } of GOLDEN) {
      expect(referenceHash(prev, event)).toBe(hash);
      expect(eventHash(prev, event)).toBe(hash);
      // As the store appends (data already canonical text) ...
      const dataJson = canonicalJson(event.data);
      expect(eventHashOfCanonicalData(prev, event, dataJson)).toBe(hash);
      // ... and as verify reads it back (text from the database, parsed or not).
      expect(eventHash(prev, { ...event, data: JSON.parse(dataJson) })).toBe(hash);
      prev = hash;
    }
  });

  it('agree with the reference on unusual events', () => {
    const base = GOLDEN[0]!.event;
    const odd: HashedEvent[] = [
      { ...base, data: undefined }, // the member is dropped
      { ...base, data: { toJSON: () => undefined } },
      { ...base, data: 'text' },
      { ...base, data: [1, [2, { b: 1, a: 2 }]] },
      { ...base, actor: 'line\nbreak "quoted" \u0000', at: '2025-01-01T00:00:00Z' },
      { ...base, requestId: 7 as unknown as string }, // a tampered pack: not a string
      { ...base, data: { deep: JSON.parse(`${'['.repeat(100)}1${']'.repeat(100)}`) } },
    ];
    for (const e of odd) expect(eventHash(GENESIS_HASH, e)).toBe(referenceHash(GENESIS_HASH, e));
    expect(() => eventHash(GENESIS_HASH, { ...base, data: { n: Number.NaN } })).toThrow(/at \.data\.n/);
  });
});
