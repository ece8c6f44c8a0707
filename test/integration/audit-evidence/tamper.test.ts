// Someone with database access changes the evidence behind the triggers' back (as the table owner
// could): an updated row, a deleted row, two rows swapped, a forged hash, a rewritten tail, an
// edited archived history. `verify` (API and CLI) names the first broken link each time, and an
// export taken afterwards fails offline at the same event.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { archiveHistory } from '../../../audit/archive-store.js';
import { eventHash } from '../../../audit/chain.js';
import { signCheckpoint } from '../../../audit/checkpoints.js';
import { buildEvidencePack } from '../../../audit/export.js';
import { verifyPack } from '../../../audit/pack-verify.js';
import { AuditStore } from '../../../audit/store.js';
import type { StoredAuditEvent } from '../../../audit/types.js';
import { verifyEvidence } from '../../../audit/verify-evidence.js';
import { run } from '../../../cli/airlock.js';
import { migrate } from '../../../db/migrate.js';
import { openPostgres } from '../../../db/postgres.js';
import type { SqlDb } from '../../../db/sql.js';
import { signingKeyFrom } from '../../../lib/keys.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { resetSchema } from '../audit/backends.js';

const key = signingKeyFrom(Buffer.alloc(32, 4));
let t: TestDatabase;
let db: SqlDb;
let events: StoredAuditEvent[];
let dir: string;

beforeAll(async () => {
  t = await createTestDatabase('airlock_tamper');
  db = await openPostgres(t.url, { max: 2 });
  dir = mkdtempSync(join(tmpdir(), 'airlock-tamper-'));
});
afterAll(async () => {
  await db?.close();
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await resetSchema(db);
  await migrate(db);
  const store = new AuditStore(db);
  const at = (n: number) => `2025-03-01T09:00:${String(n).padStart(2, '0')}.000Z`;
  events = [];
  for (let n = 1; n <= 8; n++) {
    events.push(
      await store.append({
        requestId: `r${n % 2}`,
        eventKey: `wf:${n}`,
        type: n <= 2 ? 'request.submitted' : 'decision.recorded',
        actor: `person${n}@example.com`,
        at: at(n),
        data: { n, channel: 'api' },
      }),
    );
  }
  await archiveHistory(db, {
    requestId: 'r1',
    workflowId: 'action-r1',
    runId: 'run',
    history: '{"events":[]}',
  });
  await signCheckpoint(db, key, { reason: 'periodic' });
});

/** Runs SQL as the owner with the append-only triggers switched off, as an insider could. */
async function behindTheTriggers(table: string, ...statements: [string, unknown[]?][]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
    for (const [sql, params] of statements) await tx.query(sql, params);
    await tx.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
  });
}

async function cli(...args: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await run(['audit', ...args], (l) => lines.push(l), {});
  return { code, text: lines.join('\n') };
}

async function exportedPack(): Promise<string> {
  const pack = await buildEvidencePack(db, {
    from: '2000-01-01T00:00:00.000Z',
    to: '2100-01-01T00:00:00.000Z',
    format: 'jsonl',
    generatedBy: 'audit@example.com',
    service: 'test',
    signing: key,
    publishedKeys: [key],
  });
  return pack.body;
}

describe('tampering is found and named', () => {
  it('an intact trail verifies, in the database, by CLI and as an offline pack', async () => {
    expect((await verifyEvidence(db)).ok).toBe(true);
    const out = await cli('verify', '--database-url', t.url);
    expect(out.code).toBe(0);
    expect(out.text).toContain('chain: OK, 9 events');
    const file = join(dir, 'good.jsonl');
    writeFileSync(file, await exportedPack());
    const checked = await cli('verify-pack', file, '--public-key', key.publicKey.toString('base64url'));
    expect(checked).toMatchObject({
      code: 0,
      text: expect.stringMatching(/^VALID: jsonl pack, 9 events, 1 histories/),
    });
  });

  it('an updated row: hash_mismatch at that event', async () => {
    const victim = events[3]!;
    await behindTheTriggers('audit_events', [
      `UPDATE audit_events SET actor = 'mallory' WHERE id = $1`,
      [victim.id],
    ]);
    const v = await verifyEvidence(db);
    expect(v.chain).toMatchObject({
      ok: false,
      firstBroken: {
        id: victim.id,
        reason: 'hash_mismatch',
        foundHash: victim.hash,
        expectedHash: eventHash(victim.prevHash, { ...victim, actor: 'mallory' }),
      },
    });
    const out = await cli('verify', '--database-url', t.url);
    expect(out.code).toBe(1);
    expect(out.text).toContain(
      `chain: BROKEN at event ${victim.id} (request ${victim.requestId}, wf:4): hash_mismatch`,
    );
    expect(verifyPack(await exportedPack()).firstProblem).toMatchObject({
      reason: 'hash_mismatch',
      eventId: victim.id,
    });
  });

  it('a deleted row: prev_mismatch at the next event, expecting the hash before the gap', async () => {
    await behindTheTriggers('audit_events', ['DELETE FROM audit_events WHERE id = $1', [events[4]!.id]]);
    expect((await verifyEvidence(db)).chain).toMatchObject({
      ok: false,
      firstBroken: {
        id: events[5]!.id,
        reason: 'prev_mismatch',
        expectedHash: events[3]!.hash,
        foundHash: events[4]!.hash,
      },
    });
    expect(verifyPack(await exportedPack()).firstProblem).toMatchObject({
      reason: 'prev_mismatch',
      eventId: events[5]!.id,
    });
  });

  it('two rows swapped: prev_mismatch at the first of them', async () => {
    const [a, b] = [events[2]!.id, events[3]!.id];
    await behindTheTriggers(
      'audit_events',
      ['UPDATE audit_events SET id = -1 WHERE id = $1', [a]],
      ['UPDATE audit_events SET id = $1 WHERE id = $2', [a, b]],
      ['UPDATE audit_events SET id = $1 WHERE id = -1', [b]],
    );
    expect((await verifyEvidence(db)).chain).toMatchObject({
      ok: false,
      firstBroken: { id: a, reason: 'prev_mismatch', eventKey: 'wf:4' },
    });
  });

  it('a forged hash: the next link is named; a rewritten tail is caught by the signed checkpoint', async () => {
    const victim = events[2]!;
    const forged = eventHash(victim.prevHash, { ...victim, actor: 'mallory' });
    await behindTheTriggers('audit_events', [
      `UPDATE audit_events SET actor = 'mallory', hash = $1 WHERE id = $2`,
      [forged, victim.id],
    ]);
    expect((await verifyEvidence(db)).chain).toMatchObject({
      ok: false,
      firstBroken: {
        id: events[3]!.id,
        reason: 'prev_mismatch',
        expectedHash: forged,
        foundHash: victim.hash,
      },
    });
    // Re-hash everything after it too: the chain holds together again, the signature does not.
    let prev = forged;
    for (const e of events.slice(3)) {
      const hash = eventHash(prev, e);
      await behindTheTriggers('audit_events', [
        'UPDATE audit_events SET prev_hash = $1, hash = $2 WHERE id = $3',
        [prev, hash, e.id],
      ]);
      prev = hash;
    }
    const history = (
      await db.query<{ id: number; prev_hash: string; hash: string }>(
        "SELECT id, prev_hash FROM audit_events WHERE event_key = 'history.archived'",
      )
    ).rows[0]!;
    const rows = await db.query<{
      id: string;
      request_id: string;
      event_key: string;
      type: string;
      actor: string;
      at: string;
      data: string;
    }>('SELECT id, request_id, event_key, type, actor, at, data FROM audit_events WHERE id = $1', [
      history.id,
    ]);
    const r = rows.rows[0]!;
    const headHash = eventHash(prev, {
      requestId: r.request_id,
      eventKey: r.event_key,
      type: r.type,
      actor: r.actor,
      at: r.at,
      data: JSON.parse(r.data),
    });
    await behindTheTriggers('audit_events', [
      'UPDATE audit_events SET prev_hash = $1, hash = $2 WHERE id = $3',
      [prev, headHash, history.id],
    ]);
    const v = await verifyEvidence(db);
    expect(v.chain.ok).toBe(true);
    expect(v.checkpoints).toMatchObject({
      ok: false,
      firstBad: { reason: 'head_mismatch', headId: Number(history.id), foundHash: headHash },
    });
    const out = await cli('verify', '--database-url', t.url);
    expect(out).toMatchObject({
      code: 1,
      text: expect.stringContaining(
        `checkpoints: BROKEN at checkpoint 1 (event ${history.id}): head_mismatch`,
      ),
    });
  });

  it('an edited or deleted archived history is named by its request', async () => {
    await behindTheTriggers('archived_histories', [
      `UPDATE archived_histories SET history = '{"events":[1]}'`,
    ]);
    expect((await verifyEvidence(db)).histories).toMatchObject({
      ok: false,
      firstBad: { requestId: 'r1', reason: 'content_changed' },
    });
    expect(verifyPack(await exportedPack()).firstProblem).toMatchObject({ part: 'history', requestId: 'r1' });
    await behindTheTriggers('archived_histories', ['DELETE FROM archived_histories']);
    expect((await verifyEvidence(db)).histories).toMatchObject({
      ok: false,
      firstBad: { requestId: 'r1', reason: 'history_missing' },
    });
  });

  it('an offline pack changed by one byte in a file fails in the CLI', async () => {
    const body = Buffer.from(await exportedPack());
    const i = body.indexOf('person5@example.com');
    body[i] = 'P'.charCodeAt(0);
    const file = join(dir, 'changed.jsonl');
    writeFileSync(file, body);
    const out = await cli('verify-pack', file);
    expect(out.code).toBe(1);
    expect(out.text).toMatch(/^INVALID: event \d+ \(request r1, wf:5\): hash_mismatch/);
  });
});
