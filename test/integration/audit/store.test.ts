// The audit store's contract, run unchanged on real PostgreSQL and on PGlite.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventHash, GENESIS_HASH } from '../../../audit/chain.js';
import { AUDIT_APPEND_LOCK_KEY, AuditStore } from '../../../audit/store.js';
import type { AuditEventInput, StoredAuditEvent } from '../../../audit/types.js';
import { AuditAppendOnlyError, AuditConflictError } from '../../../db/errors.js';
import { migrate } from '../../../db/migrate.js';
import { MIGRATIONS } from '../../../db/migrations.js';
import type { SqlDb } from '../../../db/sql.js';
import { BACKENDS, resetSchema } from './backends.js';

const ev = (n: number, over: Partial<AuditEventInput> = {}): AuditEventInput => ({
  requestId: `req-${n % 3}`,
  eventKey: `wf:${n}`,
  type: 'request.submitted',
  actor: 'alice@example.com',
  at: `2025-01-01T00:00:${String(n % 60).padStart(2, '0')}.000Z`,
  data: { n, params: { b: 2, a: [1, 'x'] } },
  ...over,
});

async function count(db: SqlDb, table = 'audit_events'): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]!.n;
}

describe.each(BACKENDS)('AuditStore on $name', (backend) => {
  let db: SqlDb;
  let close: () => Promise<void>;
  let store: AuditStore;

  beforeAll(async () => {
    ({ db, close } = await backend.open());
  });
  afterAll(async () => {
    await close();
  });
  beforeEach(async () => {
    await resetSchema(db);
    await migrate(db);
    store = new AuditStore(db);
  });

  it('migrates idempotently', async () => {
    expect(await migrate(db)).toEqual([]);
    expect(await migrate(db)).toEqual([]);
    const { rows } = await db.query<{ version: string }>('SELECT version FROM schema_migrations');
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('rolls a failed transaction back', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO request_index (request_id) VALUES ('r1')");
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await count(db, 'request_index')).toBe(0);
  });

  it('builds a chain: prev of n+1 is the hash of n', async () => {
    const stored = [];
    for (let i = 1; i <= 4; i++) stored.push(await store.append(ev(i)));
    expect(stored[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < stored.length; i++) {
      expect(stored[i]!.prevHash).toBe(stored[i - 1]!.hash);
      expect(stored[i]!.id).toBeGreaterThan(stored[i - 1]!.id);
    }
    for (const s of stored) expect(s.hash).toBe(eventHash(s.prevHash, s));
    expect(stored[0]!.data).toEqual({ n: 1, params: { a: [1, 'x'], b: 2 } });
    const r1 = await store.eventsFor('req-1');
    expect(r1.map((e) => e.eventKey)).toEqual(['wf:1', 'wf:4']);
    expect(r1[0]).toEqual(stored[0]);
    const { rows } = await db.query<{ data: string }>('SELECT data FROM audit_events ORDER BY id LIMIT 1');
    expect(rows[0]!.data).toBe('{"n":1,"params":{"a":[1,"x"],"b":2}}');
  });

  it('stores an event key once and returns the stored row on retry', async () => {
    const first = await store.append(ev(1));
    const again = await store.append({ ...ev(1), data: { params: { a: [1, 'x'], b: 2 }, n: 1 } });
    expect(again).toEqual(first);
    expect(await count(db)).toBe(1);
  });

  it('throws AuditConflictError for the same key with different content', async () => {
    await store.append(ev(1));
    await expect(store.append(ev(1, { data: { n: 2 } }))).rejects.toBeInstanceOf(AuditConflictError);
    await expect(store.append(ev(1, { at: '2030-01-01T00:00:00.000Z' }))).rejects.toThrow(/different at/);
    expect(await count(db)).toBe(1);
  });

  it('keeps the stored event when asked to (a local activity re-run after a crash), and appends the rest', async () => {
    const first = await store.append(ev(1));
    const rerun = await store.appendMany([ev(1, { at: '2030-01-01T00:00:00.000Z' }), ev(2)], {
      keepStored: true,
    });
    expect(rerun[0]).toEqual(first);
    expect(rerun[1]!.prevHash).toBe(first.hash);
    expect(await count(db)).toBe(2);
    expect((await store.verify()).ok).toBe(true);
    // Without the option the same batch is still a conflict.
    await expect(store.appendMany([ev(1, { at: '2030-01-01T00:00:00.000Z' })])).rejects.toBeInstanceOf(
      AuditConflictError,
    );
  });

  it('appendMany is all or nothing', async () => {
    await store.append(ev(2));
    const batch = [ev(1), ev(2, { actor: 'mallory' }), ev(3)];
    await expect(store.appendMany(batch)).rejects.toBeInstanceOf(AuditConflictError);
    expect(await count(db)).toBe(1);
    const ok = await store.appendMany([ev(1), ev(2), ev(3)]);
    expect(ok.map((e) => e.eventKey)).toEqual(['wf:1', 'wf:2', 'wf:3']);
    expect(ok[2]!.prevHash).toBe(ok[0]!.hash); // wf:2 existed before the batch
    expect((await store.verify()).ok).toBe(true);
  });

  it('keeps one unbroken chain under 20 concurrent appends', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.append(ev(i + 1))));
    expect(new Set(results.map((r) => r.hash)).size).toBe(20);
    expect(await count(db)).toBe(20);
    const v = await store.verify();
    expect(v).toEqual({ ok: true, count: 20, head: expect.any(String) });
    const { rows } = await db.query<{ hash: string }>(
      'SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1',
    );
    expect(v.ok && v.head).toBe(rows[0]!.hash);
  });

  it('keeps one chain when several stores (processes) append at once: the append lock holds', async () => {
    const stores = Array.from({ length: 4 }, () => new AuditStore(db));
    await Promise.all(
      stores.flatMap((st, s) =>
        Array.from({ length: 10 }, (_, i) => st.append({ ...ev(i + 1), requestId: `proc-${s}` })),
      ),
    );
    expect(await count(db)).toBe(40);
    expect(await store.verify()).toEqual({ ok: true, count: 40, head: expect.any(String) });
  });

  it('stores concurrent retries of one event once', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => store.append(ev(5))));
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(await count(db)).toBe(1);
  });

  it('group-commits concurrent calls, each with its own outcome', async () => {
    await store.append(ev(2));
    // Count the store's transactions, and hold the append lock so every call below queues up.
    let transactions = 0;
    const counted: SqlDb = {
      ...db,
      kind: db.kind,
      query: (sql, params) => db.query(sql, params),
      transaction: (fn, opts) => {
        transactions++;
        return db.transaction(fn, opts);
      },
      close: () => db.close(),
    };
    const grouped = new AuditStore(counted);
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const holder =
      db.kind === 'postgres'
        ? db.transaction(async (tx) => {
            await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_APPEND_LOCK_KEY]);
            await held;
          })
        : undefined;
    if (holder) await new Promise((r) => setTimeout(r, 50));
    const calls = [
      grouped.append(ev(1)),
      grouped.append(ev(2, { actor: 'mallory' })), // conflicts with the stored row
      grouped.appendMany([ev(3), ev(2, { data: { n: 0 } })]), // all or nothing: ev(3) not written
      grouped.append(ev(4)),
      grouped.append(ev(4)), // same content as the call before: the same row
      grouped.append(ev(4, { actor: 'eve' })), // conflicts with the call before
      grouped.appendMany([ev(5), ev(5)]), // a duplicate inside one call
    ];
    release();
    await holder;
    const out = await Promise.allSettled(calls);
    expect(transactions).toBe(1);
    const value = <T>(r: PromiseSettledResult<T>): T => {
      if (r.status !== 'fulfilled') throw r.reason;
      return r.value;
    };
    const reason = (r: PromiseSettledResult<unknown>) => (r.status === 'rejected' ? r.reason : undefined);
    const one = value(out[0]!) as StoredAuditEvent;
    const four = value(out[3]!) as StoredAuditEvent;
    const five = value(out[6]!) as StoredAuditEvent[];
    expect(reason(out[1]!)).toMatchObject({
      name: 'AuditConflictError',
      eventKey: 'wf:2',
      differences: ['actor'],
    });
    expect(reason(out[2]!)).toMatchObject({
      name: 'AuditConflictError',
      eventKey: 'wf:2',
      differences: ['data'],
    });
    expect(value(out[4]!)).toEqual(four);
    expect(reason(out[5]!)).toMatchObject({
      name: 'AuditConflictError',
      eventKey: 'wf:4',
      differences: ['actor'],
    });
    expect(five[1]).toEqual(five[0]);
    // New rows follow the call order, and the chain follows the ids.
    expect(one.id).toBeLessThan(four.id);
    expect(four.id).toBeLessThan(five[0]!.id);
    expect(four.prevHash).toBe(one.hash);
    expect(five[0]!.prevHash).toBe(four.hash);
    expect(await count(db)).toBe(4);
    expect((await store.eventsFor('req-0')).map((e) => e.eventKey)).toEqual([]);
    expect(await store.verify()).toMatchObject({ ok: true, count: 4, head: five[0]!.hash });
  });

  it('retries each call alone when the group transaction fails', async () => {
    const calls = [
      store.append(ev(1)),
      store.append(ev(2)),
      store.append(ev(3, { requestId: 'bad\u0000id' })), // the database refuses NUL in text
      store.append(ev(4)),
    ];
    const out = await Promise.allSettled(calls);
    expect(out.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(await count(db)).toBe(3);
    expect((await store.verify()).ok).toBe(true);
  });

  it('verifies across gaps in the ids, window by window', async () => {
    const first = await store.appendMany(Array.from({ length: 4 }, (_, i) => ev(i + 1)));
    await db.query("SELECT setval('audit_events_id_seq', 1000)"); // a gap wider than many windows
    const second = await store.appendMany(Array.from({ length: 5 }, (_, i) => ev(i + 5)));
    expect(second[0]!.id).toBe(1001);
    for (const size of [1, 2, 3, 1000, 10_000]) {
      const paged = new AuditStore(db, { verifyPageSize: size });
      expect(await paged.verify(), `window ${size}`).toEqual({ ok: true, count: 9, head: second[4]!.hash });
      expect(await paged.verify({ fromId: first[2]!.id, toId: second[1]!.id })).toEqual({
        ok: true,
        count: 4,
        head: second[1]!.hash,
      });
      expect(await paged.verify({ fromId: 5, toId: 1000 })).toEqual({
        ok: true,
        count: 0,
        head: first[3]!.hash,
      });
    }
  });

  it('refuses UPDATE, DELETE and TRUNCATE on audit_events in the database', async () => {
    await store.append(ev(1));
    for (const sql of [
      "UPDATE audit_events SET actor = 'mallory'",
      'DELETE FROM audit_events',
      'TRUNCATE audit_events',
    ]) {
      const err = await db.query(sql).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, sql).toBeInstanceOf(AuditAppendOnlyError);
      expect((err as AuditAppendOnlyError).code).toBe('AL001');
    }
    expect(await count(db)).toBe(1);
  });

  it('refuses UPDATE, DELETE and TRUNCATE on archived_histories', async () => {
    await db.query(
      "INSERT INTO archived_histories (request_id, workflow_id, run_id, history, sha256) VALUES ('r', 'action-r', 'run', '{}', 'x')",
    );
    for (const sql of [
      "UPDATE archived_histories SET history = '[]'",
      'DELETE FROM archived_histories',
      'TRUNCATE archived_histories',
    ]) {
      await expect(db.query(sql), sql).rejects.toBeInstanceOf(AuditAppendOnlyError);
    }
    expect(await count(db, 'archived_histories')).toBe(1);
  });

  it('verifies a good chain, also by id range and page by page', async () => {
    const paged = new AuditStore(db, { verifyPageSize: 3 });
    expect(await paged.verify()).toEqual({ ok: true, count: 0, head: GENESIS_HASH });
    const stored = await store.appendMany(Array.from({ length: 10 }, (_, i) => ev(i + 1)));
    expect(await paged.verify()).toEqual({ ok: true, count: 10, head: stored[9]!.hash });
    expect(await paged.verify({ fromId: stored[3]!.id, toId: stored[6]!.id })).toEqual({
      ok: true,
      count: 4,
      head: stored[6]!.hash,
    });
    expect(await store.verifyRequest('req-1')).toMatchObject({ ok: true, count: 4 });
  });

  it('names a row whose content was changed (hash_mismatch)', async () => {
    const stored = await store.appendMany(Array.from({ length: 6 }, (_, i) => ev(i + 1)));
    const victim = stored[3]!;
    await db.query('ALTER TABLE audit_events DISABLE TRIGGER ALL');
    await db.query(`UPDATE audit_events SET data = '{"n":999}' WHERE id = $1`, [victim.id]);
    await db.query('ALTER TABLE audit_events ENABLE TRIGGER ALL');
    const v = await new AuditStore(db, { verifyPageSize: 2 }).verify();
    expect(v).toMatchObject({
      ok: false,
      count: 3,
      firstBroken: { id: victim.id, requestId: victim.requestId, eventKey: 'wf:4', reason: 'hash_mismatch' },
    });
    expect(!v.ok && v.firstBroken.foundHash).toBe(victim.hash);
    expect(await store.verifyRequest(victim.requestId)).toMatchObject({
      ok: false,
      firstBroken: { id: victim.id, reason: 'hash_mismatch' },
    });
    expect((await store.verifyRequest('req-2')).ok).toBe(true);
  });

  it('checks stored data that is not in canonical form by its canonical form, as always', async () => {
    const stored = await store.appendMany(Array.from({ length: 3 }, (_, i) => ev(i + 1)));
    await db.query('ALTER TABLE audit_events DISABLE TRIGGER ALL');
    // Same JSON value, other text: the hash is over the canonical form, so the chain still holds.
    await db.query(
      `UPDATE audit_events SET data = '{ "params": {"b": 2, "a": [1, "x"]}, "n": 2 }' WHERE id = $1`,
      [stored[1]!.id],
    );
    await db.query('ALTER TABLE audit_events ENABLE TRIGGER ALL');
    expect(await store.verify()).toEqual({ ok: true, count: 3, head: stored[2]!.hash });
    expect((await store.verifyRequest(stored[1]!.requestId)).ok).toBe(true);
  });

  it('names the row after a deleted one (prev_mismatch)', async () => {
    const stored = await store.appendMany(Array.from({ length: 6 }, (_, i) => ev(i + 1)));
    await db.query('ALTER TABLE audit_events DISABLE TRIGGER ALL');
    await db.query('DELETE FROM audit_events WHERE id = $1', [stored[2]!.id]);
    await db.query('ALTER TABLE audit_events ENABLE TRIGGER ALL');
    expect(await store.verify()).toEqual({
      ok: false,
      count: 2,
      firstBroken: {
        id: stored[3]!.id,
        requestId: stored[3]!.requestId,
        eventKey: 'wf:4',
        expectedHash: stored[1]!.hash,
        foundHash: stored[2]!.hash,
        reason: 'prev_mismatch',
      },
    });
    // A range starting right after the gap is checked against the row before it, too.
    expect(await store.verify({ fromId: stored[3]!.id })).toMatchObject({
      ok: false,
      firstBroken: { id: stored[3]!.id, reason: 'prev_mismatch' },
    });
    // The content of each remaining row is still intact.
    expect((await store.verifyRequest(stored[3]!.requestId)).ok).toBe(true);
  });

  it('keeps the newest state snapshot: an older seq never replaces it, a plain row update leaves it', async () => {
    const row = { requestId: 'snap-1', status: 'pending_approval' };
    expect(await store.stateSnapshot('snap-1')).toBeUndefined();
    await store.upsertRequestIndex({ ...row, statePayload: 'five', stateSeq: 5 });
    await store.upsertRequestIndex({ ...row, status: 'executing', statePayload: 'three', stateSeq: 3 });
    expect(await store.stateSnapshot('snap-1')).toBe('five');
    const { rows } = await db.query<{ status: string }>(
      "SELECT status FROM request_index WHERE request_id = 'snap-1'",
    );
    expect(rows[0]?.status).toBe('pending_approval');
    await store.upsertRequestIndex({ ...row, status: 'approved' });
    expect(await store.stateSnapshot('snap-1')).toBe('five');
    await store.upsertRequestIndex({ ...row, statePayload: 'six', stateSeq: 6 });
    expect(await store.stateSnapshot('snap-1')).toBe('six');
    expect(await store.stateSnapshot('no-such-request')).toBeUndefined();
  });

  it('writes an index row with its events in one group commit, and neither when they conflict', async () => {
    const row = (n: number, status: string) => ({
      requestId: `req-${n % 3}`,
      status,
      statePayload: `state-${n}`,
      stateSeq: n,
    });
    await Promise.all([
      store.appendMany([ev(1)], { index: row(1, 'evaluating') }),
      store.appendMany([ev(2)], { index: row(2, 'pending_approval') }),
    ]);
    expect(await store.stateSnapshot('req-1')).toBe('state-1');
    expect(await store.stateSnapshot('req-2')).toBe('state-2');
    // Same key, other content: the call fails, and its row is not written either.
    await expect(
      store.appendMany([ev(4, { eventKey: 'wf:1', data: { n: 9 } })], { index: row(4, 'denied') }),
    ).rejects.toBeInstanceOf(AuditConflictError);
    expect(await store.stateSnapshot('req-1')).toBe('state-1');
    // No events: the row alone.
    await store.appendMany([], { index: row(7, 'approved') });
    expect(await store.stateSnapshot('req-1')).toBe('state-7');
    expect(await count(db)).toBe(2);
  });

  it('seeds a new request once, never over a workflow write, and drops only an untouched seed', async () => {
    await store.seedRequestIndex({ requestId: 'seed-1', status: 'evaluating' }, 'start');
    expect(await store.stateSnapshot('seed-1')).toBe('start');
    await store.seedRequestIndex({ requestId: 'seed-1', status: 'evaluating' }, 'again');
    expect(await store.stateSnapshot('seed-1')).toBe('start');
    await store.upsertRequestIndex({
      requestId: 'seed-1',
      status: 'approved',
      statePayload: 'wf',
      stateSeq: 3,
    });
    await store.seedRequestIndex({ requestId: 'seed-1', status: 'evaluating' }, 'late');
    expect(await store.stateSnapshot('seed-1')).toBe('wf');
    await store.dropSeededRequest('seed-1');
    expect(await store.stateSnapshot('seed-1')).toBe('wf');
    await store.seedRequestIndex({ requestId: 'seed-2', status: 'evaluating' }, 'start');
    await store.dropSeededRequest('seed-2');
    expect(await store.stateSnapshot('seed-2')).toBeUndefined();
  });

  it('lists requests newest first, filtered, page by page', async () => {
    const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m)).toISOString();
    for (let i = 0; i < 5; i++) {
      await store.upsertRequestIndex({
        requestId: `r${i}`,
        requester: i % 2 ? 'alice' : 'bob',
        action: 'db.migrate',
        environment: 'prod',
        status: i === 4 ? 'pending_approval' : 'succeeded',
        risk: 'high',
        submittedAt: at(i < 3 ? 0 : i), // r0..r2 share a time: the id breaks the tie
        endedAt: i === 4 ? null : at(10),
      });
    }
    const first = await store.listRequests({ limit: 2 });
    expect(first.items.map((r) => r.id)).toEqual(['r4', 'r3']);
    expect(first.items[0]).toEqual({
      id: 'r4',
      status: 'pending_approval',
      action: 'db.migrate',
      requester: 'bob',
      environment: 'prod',
      risk: 'high',
      startedAt: at(4),
      closedAt: undefined,
    });
    const second = await store.listRequests({ limit: 2, after: first.next });
    expect(second.items.map((r) => r.id)).toEqual(['r2', 'r1']);
    const third = await store.listRequests({ limit: 2, after: second.next });
    expect(third).toEqual({ items: [expect.objectContaining({ id: 'r0' })] });
    const alice = await store.listRequests({ limit: 10, requester: 'alice', status: 'succeeded' });
    expect(alice.items.map((r) => r.id)).toEqual(['r3', 'r1']);
  });

  it('counts recent history by requester and resource within the window', async () => {
    const now = '2025-03-31T12:00:00.000Z';
    const day = (d: number) => new Date(Date.parse(now) - d * 86_400_000).toISOString();
    const rows = [
      { requestId: 'a', requester: 'alice', resource: 'db/prod', status: 'succeeded', submittedAt: day(1) },
      { requestId: 'b', requester: 'alice', resource: 'db/prod', status: 'denied', submittedAt: day(5) },
      { requestId: 'c', requester: 'alice', resource: 'vm/1', status: 'succeeded', submittedAt: day(29) },
      { requestId: 'd', requester: 'alice', resource: 'db/prod', status: 'succeeded', submittedAt: day(31) },
      { requestId: 'e', requester: 'bob', resource: 'db/prod', status: 'expired', submittedAt: day(2) },
      { requestId: 'f', requester: 'alice', resource: 'db/prod', status: 'evaluating', submittedAt: day(0) },
    ];
    for (const r of rows) await store.upsertRequestIndex(r);
    // A partial upsert changes only the given fields.
    await store.upsertRequestIndex({ requestId: 'e', status: 'denied', endedAt: new Date(day(1)) });
    const { rows: e } = await db.query<{ requester: string; status: string }>(
      "SELECT requester, status FROM request_index WHERE request_id = 'e'",
    );
    expect(e[0]).toEqual({ requester: 'bob', status: 'denied' });

    const h = await store.historyFor({
      requester: 'alice',
      resource: 'db/prod',
      sinceDays: 30,
      excludeRequestId: 'f',
      now,
    });
    expect(h).toEqual({
      byRequester: { total: 3, byOutcome: { succeeded: 2, denied: 1 } },
      onResource: { total: 3, byOutcome: { succeeded: 1, denied: 2 } },
      windowDays: 30,
    });
    const none = await store.historyFor({ requester: 'carol', resource: 'x', sinceDays: 30, now });
    expect(none).toEqual({
      byRequester: { total: 0, byOutcome: {} },
      onResource: { total: 0, byOutcome: {} },
      windowDays: 30,
    });
  });
});
