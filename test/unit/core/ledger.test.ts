// The audit ledger's one rule: nothing observable before its events are written. With a fake
// writer that holds each write until released, the order of writes, index rows and search
// attributes is checked without Temporal.
import { describe, expect, it } from 'vitest';
import type { RecordBatch } from '../../../activities/audit.js';
import { AuditLedger } from '../../../workflows/ledger.js';
import { initialState } from '../../../workflows/state.js';
import { requestInput } from '../../integration/core/workflow-support.js';

function ledgerWithFakeWriter() {
  const state = initialState(requestInput(), 't0');
  const writes: RecordBatch[] = [];
  const pending: Array<() => void> = [];
  const upserts: string[][] = [];
  const ledger = new AuditLedger(state, {
    write: (batch) => {
      writes.push(batch);
      return new Promise<void>((resolve) => pending.push(resolve));
    },
    upsertSearchAttributes: (pairs) => upserts.push(pairs.map((p) => `${p.key.name}=${String(p.value)}`)),
    now: () => 'now',
  });
  const tick = () => new Promise((r) => setTimeout(r, 0));
  /** Lets the oldest write that has started finish. */
  const release = async () => {
    await tick();
    pending.shift()?.();
    await tick();
  };
  return { state, ledger, writes, upserts, release };
}

describe('AuditLedger', () => {
  it('writes buffered events in order with their keys, the index row and the state as of them', async () => {
    const { state, ledger, writes, release } = ledgerWithFakeWriter();
    ledger.record('request.submitted', 'ci@example.com', { a: 1 });
    ledger.record('policy.evaluated', 'policy', {});
    state.status = 'pending_approval';
    const flushed = ledger.flush();
    await release();
    await flushed;
    expect(writes).toHaveLength(1);
    expect(writes[0]!.events.map((e) => [e.eventKey, e.type])).toEqual([
      ['wf:1', 'request.submitted'],
      ['wf:2', 'policy.evaluated'],
    ]);
    expect(writes[0]!.index.status).toBe('pending_approval');
    expect(writes[0]!.stateSeq).toBe(2);
    // Nothing new: no write at all.
    await ledger.flush();
    expect(writes).toHaveLength(1);
  });

  it('makes a later flush wait for the writes started before it', async () => {
    const { ledger, writes, release } = ledgerWithFakeWriter();
    ledger.record('a', 'x', {});
    let firstDone = false;
    void ledger.flush().then(() => {
      firstDone = true;
    });
    ledger.record('b', 'x', {});
    let secondDone = false;
    const second = ledger.flush().then(() => {
      secondDone = true;
    });
    await new Promise((r) => setTimeout(r, 0));
    expect(writes).toHaveLength(1);
    await release();
    expect(firstDone).toBe(true);
    expect(secondDone).toBe(false);
    await release();
    await second;
    expect(writes.map((w) => w.events.map((e) => e.type))).toEqual([['a'], ['b']]);
  });

  it('carries the ending status in every row once the request is ending', async () => {
    const { state, ledger, writes, release } = ledgerWithFakeWriter();
    state.status = 'pending_approval';
    ledger.endingAs = 'denied';
    ledger.record('request.denied', 'policy', {});
    const f = ledger.flush();
    await release();
    await f;
    expect(ledger.status).toBe('denied');
    expect(writes[0]!.index.status).toBe('denied');
    expect(writes[0]!.state?.status).toBe('denied');
  });

  it('hands events to an executor once any write in flight has landed; undelivered ones go out again first', async () => {
    const { ledger, writes, release } = ledgerWithFakeWriter();
    ledger.record('decision.recorded', 'dana', {});
    void ledger.flush();
    ledger.record('execution.started', 'system', {});
    const handed = ledger.handOver();
    let got: RecordBatch | undefined;
    void handed.then((b) => {
      got = b;
    });
    await new Promise((r) => setTimeout(r, 0));
    expect(got).toBeUndefined();
    await release();
    await handed;
    expect(got!.events.map((e) => e.type)).toEqual(['execution.started']);
    // The executor failed before writing: the next write carries them first.
    ledger.record('request.failed', 'system', {});
    const f = ledger.flush();
    await release();
    await f;
    expect(writes.at(-1)!.events.map((e) => e.type)).toEqual(['execution.started', 'request.failed']);
  });

  it('after takeBack, writes the taken-back events before anything newer; after delivered, never again', async () => {
    const { ledger, writes, release } = ledgerWithFakeWriter();
    ledger.record('execution.started', 'system', {});
    await ledger.handOver();
    ledger.takeBack();
    const f = ledger.flush();
    await release();
    await f;
    expect(writes[0]!.events.map((e) => e.type)).toEqual(['execution.started']);
    ledger.record('x', 'system', {});
    await ledger.handOver();
    ledger.delivered();
    ledger.record('y', 'system', {});
    const g = ledger.flush();
    await release();
    await g;
    expect(writes.at(-1)!.events.map((e) => e.type)).toEqual(['y']);
  });

  it('sends search attributes as one upsert per flush, the last value of each key', async () => {
    const { ledger, upserts } = ledgerWithFakeWriter();
    const key = (name: string) => ({ name, type: 'KEYWORD' }) as never;
    ledger.setAttributes([{ key: key('AirlockStatus'), value: 'pending_approval' } as never]);
    ledger.setAttributes([{ key: key('AirlockStatus'), value: 'approved' } as never]);
    ledger.setAttributes([{ key: key('AirlockRisk'), value: 'high' } as never]);
    expect(upserts).toEqual([]);
    void ledger.flush();
    expect(upserts).toEqual([['AirlockStatus=approved', 'AirlockRisk=high']]);
  });

  it('writes the state once after touch() even with no event buffered, then not again', async () => {
    const { state, ledger, writes, release } = ledgerWithFakeWriter();
    state.cards.push({ channel: 'slack', destination: 'dba', messageId: 'm1', stage: 0 });
    ledger.touch();
    const f = ledger.flush();
    await release();
    await f;
    expect(writes).toHaveLength(1);
    expect(writes[0]!.events).toEqual([]);
    expect(writes[0]!.state?.cards).toHaveLength(1);
    await ledger.flush();
    expect(writes).toHaveLength(1);
  });
});
