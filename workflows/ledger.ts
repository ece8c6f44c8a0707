// The request's audit ledger inside the workflow: events are buffered and written in order, with
// the request's index row and sealed state, before anything can observe what they describe (an
// answer to a caller, a side effect, a wait). The one home of the rule "nothing observable before
// its events are written". Pure of Temporal APIs: the writer and the search-attribute upsert are
// injected, so the rule is unit-tested with fakes.
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { RecordBatch } from '../activities/audit.js';
import type { AuditEventInput } from '../audit/types.js';
import { indexRow } from './state.js';
import type { ActionState, ActionStatus } from './types.js';

export interface LedgerPorts {
  /** Writes a batch (a local activity in the workflow). */
  write(batch: RecordBatch): Promise<void>;
  upsertSearchAttributes(pairs: SearchAttributeUpdatePair[]): void;
  now(): string;
}

export class AuditLedger {
  private seq = 0;
  private unrecorded: AuditEventInput[] = [];
  /** Handed to an activity that writes them first; sent again with the next write unless delivered. */
  private handedOver: AuditEventInput[] = [];
  private readonly attributes = new Map<string, SearchAttributeUpdatePair>();
  private written: Promise<void> = Promise.resolve();
  private inFlight = 0;
  /** The state changed in a way readers care about (cards posted) with no event to write. */
  private stale = false;
  /** The status the request is ending with: from then on every row and snapshot carries it. */
  endingAs: ActionStatus | undefined;

  constructor(
    private readonly state: ActionState,
    private readonly ports: LedgerPorts,
  ) {}

  /** The status as callers must see it: the end once the request is ending. */
  get status(): ActionStatus {
    return this.endingAs ?? this.state.status;
  }

  record(type: string, actor: string, data: Record<string, unknown>): void {
    this.unrecorded.push({
      requestId: this.state.requestId,
      eventKey: `wf:${++this.seq}`,
      type,
      actor,
      at: this.ports.now(),
      data,
    });
  }

  /** The next flush writes the state (with the index row) even when no event is buffered. */
  touch(): void {
    this.stale = true;
  }

  /** Search attributes go out with the next flush, as one upsert. */
  setAttributes(pairs: SearchAttributeUpdatePair[]): void {
    for (const pair of pairs) this.attributes.set(pair.key.name, pair);
  }

  /** Writes what is buffered; chained, so a caller also waits for the writes others started. */
  flush(): Promise<void> {
    this.sendAttributes();
    if (this.unrecorded.length > 0 || this.stale) {
      this.stale = false;
      const batch = this.batch([...this.handedOver, ...this.unrecorded.splice(0)]);
      this.inFlight++;
      this.written = this.written.then(() => this.ports.write(batch)).finally(() => this.inFlight--);
    }
    return this.written;
  }

  /** Records and writes at once: for a handler whose caller must not hear back before the trail. */
  async recordNow(type: string, actor: string, data: Record<string, unknown>): Promise<void> {
    this.record(type, actor, data);
    await this.flush();
  }

  /**
   * For an activity that writes the buffered events itself before it acts: a write still in
   * flight (e.g. the decision that approved) lands first, then the buffer is handed over.
   */
  async handOver(): Promise<RecordBatch | undefined> {
    if (this.inFlight > 0) await this.written;
    this.sendAttributes();
    if (this.unrecorded.length === 0) return undefined;
    this.handedOver = this.unrecorded.splice(0);
    return this.batch(this.handedOver);
  }

  /** The activity wrote what it was handed. */
  delivered(): void {
    this.handedOver = [];
  }

  /**
   * The store can never accept what is buffered (AuditRejected): drop it, and every write still
   * chained, so that the request can end with a trail entry of its own.
   */
  discard(): void {
    this.unrecorded = [];
    this.handedOver = [];
    this.written = Promise.resolve();
    this.inFlight = 0;
  }

  /** The activity could not write what it was handed: write it the patient way, first. */
  takeBack(): void {
    this.unrecorded.unshift(...this.handedOver);
    this.handedOver = [];
  }

  private batch(events: AuditEventInput[]): RecordBatch {
    const status = this.status;
    return {
      events,
      index: indexRow(this.state, status),
      state: { ...this.state, status },
      stateSeq: this.seq,
    };
  }

  private sendAttributes(): void {
    if (this.attributes.size === 0) return;
    this.ports.upsertSearchAttributes([...this.attributes.values()]);
    this.attributes.clear();
  }
}
