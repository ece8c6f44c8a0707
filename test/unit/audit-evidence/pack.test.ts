// The evidence pack offline: a pack verifies with no server and no database; one changed byte
// anywhere makes it fail; each kind of tampering done before sealing is named precisely (event,
// history, record); and a pack or checkpoint signed with another key fails against the service key.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventHash, GENESIS_HASH } from '../../../audit/chain.js';
import { checkpointStatement, type StoredCheckpoint } from '../../../audit/checkpoints.js';
import { buildEvidenceRecords } from '../../../audit/evidence.js';
import { PACK_FORMAT, type PackFormat, type PackItem, writePack } from '../../../audit/pack.js';
import { verifyPack } from '../../../audit/pack-verify.js';
import { signStatement, toJwk } from '../../../audit/signing.js';
import type { StoredAuditEvent } from '../../../audit/types.js';
import { type SigningKey, signingKeyFrom } from '../../../lib/keys.js';

const serviceKey = signingKeyFrom(Buffer.alloc(32, 5));
const otherKey = signingKeyFrom(Buffer.alloc(32, 6));
const trusted = new Map([[serviceKey.kid, serviceKey.publicKey]]);
const HISTORY = JSON.stringify(
  { events: [{ eventId: '1', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED' }] },
  null,
  2,
);
const sha = (t: string) => createHash('sha256').update(t, 'utf8').digest('hex');

type Draft = Omit<StoredAuditEvent, 'id' | 'prevHash' | 'hash' | 'recordedAt'>;
const drafts: Draft[] = [
  [
    'request.submitted',
    'ci@example.com',
    {
      action: 'db.export',
      parametersHash: 'p'.repeat(64),
      justification: 'quarterly report, "quoted", with commas',
    },
  ],
  [
    'policy.evaluated',
    'policy',
    { rule: 'prod-data-export', policyVersion: 'v1hash', effect: 'require_approval' },
  ],
  ['attempt.refused', 'ci@example.com', { code: 'self_approval', what: 'approve', channel: 'slack' }],
  [
    'decision.recorded',
    'dana@example.com',
    { decision: 'approve', channel: 'teams', channelUserId: 'aad-1' },
  ],
  ['request.approved', 'dana@example.com', { decidedBy: 'dana@example.com' }],
  ['execution.started', 'system', {}],
  ['request.succeeded', 'system', { result: { ok: true, output: { rows: 3 } } }],
  ['history.archived', 'system', { sha256: sha(HISTORY), workflowId: 'action-r1' }],
].map(([type, actor, data], i) => ({
  requestId: 'r1',
  eventKey: `wf:${i + 1}`,
  type: type as string,
  actor: actor as string,
  at: `2025-01-01T00:00:0${i}.000Z`,
  data: data as Record<string, unknown>,
}));

/** Links drafts into a chain (ids from 10, so the segment does not start at genesis). */
function link(list: Draft[], anchor = 'a'.repeat(64)): StoredAuditEvent[] {
  let prev = anchor;
  return list.map((d, i) => {
    const hash = eventHash(prev, d);
    const e = { ...d, id: 10 + i, prevHash: prev, hash, recordedAt: d.at };
    prev = hash;
    return e;
  });
}

function checkpoint(key: SigningKey, head: StoredAuditEvent, id = 1): StoredCheckpoint {
  const c = { headId: head.id, headHash: head.hash, signedAt: '2025-01-02T00:00:00.000Z', kid: key.kid };
  return {
    id,
    ...c,
    publicKey: key.publicKey.toString('base64url'),
    signature: signStatement(key, checkpointStatement(c)),
    reason: 'export',
  };
}

interface Options {
  format?: PackFormat;
  key?: SigningKey;
  events?: StoredAuditEvent[];
  history?: string;
  edit?: (items: PackItem[]) => void;
}

function pack(o: Options = {}): string {
  const key = o.key ?? serviceKey;
  const events = o.events ?? link(drafts);
  const last = events.at(-1)!;
  const items: PackItem[] = [
    {
      kind: 'header',
      format: PACK_FORMAT,
      version: 1,
      generatedAt: '2025-01-02T00:00:00.000Z',
      generatedBy: 'audit@example.com',
      service: 'https://airlock.example.com',
      range: { from: '2025-01-01T00:00:00.000Z', to: '2025-01-02T00:00:00.000Z' },
      chain: {
        firstId: events[0]!.id,
        lastId: last.id,
        anchorHash: events[0]!.prevHash,
        headHash: last.hash,
        events: events.length,
      },
      decrypted: false,
    },
    { kind: 'key', current: true, ...toJwk(key) },
    ...events.map((e) => ({ kind: 'event' as const, ...e })),
    {
      kind: 'history',
      requestId: 'r1',
      workflowId: 'action-r1',
      runId: 'run-1',
      sha256: sha(HISTORY),
      archivedAt: '2025-01-01T00:00:09.000Z',
      history: o.history ?? HISTORY,
    },
    { kind: 'checkpoint', ...checkpoint(key, last) },
    ...buildEvidenceRecords(events).map((r) => ({ kind: 'record' as const, ...r })),
  ];
  o.edit?.(items);
  return writePack(items, o.format ?? 'jsonl', key);
}

describe.each(['jsonl', 'csv'] as const)('an evidence pack (%s)', (format) => {
  const good = pack({ format });

  it('verifies offline, also against the pinned service key', () => {
    expect(verifyPack(good)).toMatchObject({
      ok: true,
      format,
      counts: { events: 8, histories: 1, checkpoints: 1, records: 1 },
    });
    expect(verifyPack(good, { trustedKeys: trusted })).toMatchObject({
      ok: true,
      keyPinned: true,
      signedBy: serviceKey.kid,
    });
  });

  it('fails when any single byte changes, wherever it is', () => {
    const bytes = Buffer.from(good, 'utf8');
    // Every position, one bit each (cycling through the 8 bits)...
    const missed: number[] = [];
    for (let at = 0; at < bytes.length; at++) {
      const changed = Buffer.from(bytes);
      changed[at] = changed[at]! ^ (1 << (at % 8));
      if (verifyPack(changed).ok) missed.push(at);
    }
    expect(missed).toEqual([]);
    // ...and random positions with random new values.
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const changed = Buffer.from(bytes);
        changed[at] = changed[at]! ^ xor;
        return !verifyPack(changed).ok;
      }),
      { numRuns: 300 },
    );
  });
});

describe('named breaks (tampering before the pack was sealed)', () => {
  it('an edited event: hash_mismatch naming that event', () => {
    const events = link(drafts);
    events[3] = { ...events[3]!, actor: 'mallory@example.com' };
    const v = verifyPack(pack({ events }));
    expect(v.firstProblem).toMatchObject({
      part: 'event',
      reason: 'hash_mismatch',
      eventId: 13,
      eventKey: 'wf:4',
      foundHash: events[3]!.hash,
      expectedHash: eventHash(events[3]!.prevHash, events[3]!),
    });
  });

  it('a deleted event: prev_mismatch naming the next one; reordered: out of order', () => {
    const events = link(drafts);
    const deleted = verifyPack(pack({ events: [...events.slice(0, 2), ...events.slice(3)] }));
    expect(deleted.firstProblem).toMatchObject({
      part: 'event',
      reason: 'prev_mismatch',
      eventId: 13,
      expectedHash: events[1]!.hash,
    });
    const swapped = [...events];
    [swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!];
    const reordered = verifyPack(pack({ events: swapped }));
    // The first line out of place is event 13, which does not link to event 11 before it.
    expect(reordered.firstProblem).toMatchObject({ part: 'event', reason: 'prev_mismatch', eventId: 13 });
  });

  it('a forged hash (one row re-hashed): the next link breaks and is named', () => {
    const events = link(drafts);
    const forged = { ...events[2]!, actor: 'mallory@example.com' };
    forged.hash = eventHash(forged.prevHash, forged);
    events[2] = forged;
    expect(verifyPack(pack({ events })).firstProblem).toMatchObject({
      reason: 'prev_mismatch',
      eventId: 13,
      expectedHash: forged.hash,
    });
  });

  it('a changed archived history, and a changed evidence record, are named', () => {
    const history = verifyPack(pack({ history: HISTORY.replace('STARTED', 'STARTEX') }));
    expect(history.firstProblem).toMatchObject({
      part: 'history',
      reason: 'content_changed',
      requestId: 'r1',
    });
    const record = verifyPack(
      pack({
        edit: (items) => {
          const r = items.find((i) => i.kind === 'record');
          if (r?.kind === 'record') r.decisions[0]!.by = 'someone-else@example.com';
        },
      }),
    );
    expect(record.firstProblem).toMatchObject({ part: 'record', reason: 'record_mismatch', requestId: 'r1' });
  });

  it('a pack and checkpoint made with another key pass alone but fail against the service key', () => {
    const forged = pack({ key: otherKey });
    expect(verifyPack(forged).ok).toBe(true);
    expect(verifyPack(forged, { trustedKeys: trusted }).firstProblem).toMatchObject({
      part: 'checkpoint',
      reason: 'untrusted_key',
    });
    // A checkpoint made with the other key inside a pack the service sealed.
    const mixed = pack({
      edit: (items) => {
        const i = items.findIndex((x) => x.kind === 'checkpoint');
        items[i] = { kind: 'checkpoint', ...checkpoint(otherKey, link(drafts).at(-1)!) };
      },
    });
    expect(verifyPack(mixed, { trustedKeys: trusted }).firstProblem).toMatchObject({
      part: 'checkpoint',
      reason: 'untrusted_key',
    });
  });

  it('a checkpoint over a hash the chain no longer has: head_mismatch', () => {
    const original = link(drafts);
    const rewritten = link(
      [...drafts.slice(0, 7), { ...drafts[7]!, actor: 'mallory' }],
      original[0]!.prevHash,
    );
    const v = verifyPack(
      pack({
        events: rewritten,
        edit: (items) => {
          const i = items.findIndex((x) => x.kind === 'checkpoint');
          items[i] = { kind: 'checkpoint', ...checkpoint(serviceKey, original.at(-1)!) };
        },
      }),
    );
    expect(v.firstProblem).toMatchObject({
      part: 'checkpoint',
      reason: 'head_mismatch',
      eventId: 17,
      expectedHash: original.at(-1)!.hash,
      foundHash: rewritten.at(-1)!.hash,
    });
  });

  it('an empty period still makes a valid, sealed pack', () => {
    const body = writePack(
      [
        {
          kind: 'header',
          format: PACK_FORMAT,
          version: 1,
          generatedAt: '2025-01-02T00:00:00.000Z',
          generatedBy: 'a',
          service: 's',
          range: { from: 'a', to: 'b' },
          chain: { anchorHash: GENESIS_HASH, headHash: GENESIS_HASH, events: 0 },
          decrypted: false,
        },
        { kind: 'key', current: true, ...toJwk(serviceKey) },
      ],
      'jsonl',
      serviceKey,
    );
    expect(verifyPack(body, { trustedKeys: trusted }).ok).toBe(true);
  });
});
