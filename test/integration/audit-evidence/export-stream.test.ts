// The evidence export streams: a 20,000-event trail across a few hundred requests comes out byte
// for byte as the former in-memory build made it, reads the database in bounded windows, and
// verifies offline; an error mid-stream (or a client that leaves) cuts the connection, so no
// half pack ever ends cleanly, and the export is still recorded in the chain.
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRouter } from '../../../api/audit-routes.js';
import type { ApiDeps, ApiEvidenceDeps } from '../../../api/deps.js';
import { problemMiddleware } from '../../../api/problem.js';
import { archivedHistoriesFor, archiveHistory, HISTORY_ARCHIVED } from '../../../audit/archive-store.js';
import { GENESIS_HASH } from '../../../audit/chain.js';
import { checkpointsBetween, signCheckpoint } from '../../../audit/checkpoints.js';
import { buildEvidenceRecords } from '../../../audit/evidence.js';
import { buildEvidencePack, EXPORT_WINDOW, type ExportOptions } from '../../../audit/export.js';
import {
  type HistoryItem,
  PACK_FORMAT,
  PACK_VERSION,
  type PackItem,
  writePack,
} from '../../../audit/pack.js';
import { verifyPack } from '../../../audit/pack-verify.js';
import { EVENT_COLUMNS, type EventRow, toEvent } from '../../../audit/rows.js';
import { toJwk } from '../../../audit/signing.js';
import { AuditStore } from '../../../audit/store.js';
import type { AuditEventInput } from '../../../audit/types.js';
import { run } from '../../../cli/airlock.js';
import { migrate } from '../../../db/migrate.js';
import { openPostgres } from '../../../db/postgres.js';
import type { SqlDb } from '../../../db/sql.js';
import { signingKeyFrom } from '../../../lib/keys.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

const key = signingKeyFrom(Buffer.alloc(32, 9));
const trustedKeys = new Map([[key.kid, key.publicKey]]);
const EVENTS = 20_000;
const REQUESTS = 300;
const ARCHIVED = 12;
const SEAL = '"kind":"seal"';
let t: TestDatabase;
let db: SqlDb;
let dir: string;

const rid = (r: number) => `00000000-0000-4000-8000-${String(r).padStart(12, '0')}`;
const STEPS = ['policy.evaluated', 'attempt.refused', 'decision.recorded', 'request.escalated'];

/** Event n belongs to request n % REQUESTS: every request's events spread over the whole trail. */
function draft(n: number): AuditEventInput {
  const r = n % REQUESTS;
  const k = Math.floor(n / REQUESTS);
  const last = k === Math.floor((EVENTS - 1 - r) / REQUESTS);
  const type = k === 0 ? 'request.submitted' : last ? 'request.succeeded' : STEPS[k % STEPS.length]!;
  return {
    requestId: rid(r),
    eventKey: `wf:${k}`,
    type,
    actor: `person${r % 17}@example.com`,
    at: new Date(Date.UTC(2025, 0, 1) + n * 1000).toISOString(),
    data: {
      action: 'db.export',
      channel: 'api',
      decision: 'approve',
      justification: `request ${r}, step ${k}, "quoted", with commas`,
      stage: k,
      ...(last ? { result: { ok: true, rows: r } } : {}),
    },
  };
}

beforeAll(async () => {
  t = await createTestDatabase('airlock_export_stream');
  db = await openPostgres(t.url, { max: 4 });
  dir = mkdtempSync(join(tmpdir(), 'airlock-export-stream-'));
  await migrate(db);
  const store = new AuditStore(db);
  const all = Array.from({ length: EVENTS }, (_, n) => draft(n));
  await store.appendMany(all.slice(0, EVENTS / 2));
  // A gap in the ids wider than a window (as rolled-back appends leave, only longer).
  await db.query("SELECT setval('audit_events_id_seq', (SELECT max(id) FROM audit_events) + $1)", [
    EXPORT_WINDOW * 2 + 17,
  ]);
  await store.append({
    requestId: 'airlock:audit',
    eventKey: 'export:earlier',
    type: 'evidence.exported',
    actor: 'audit@example.com',
    at: '2025-01-01T00:00:00.000Z',
    data: { format: 'jsonl' },
  });
  await store.appendMany(all.slice(EVENTS / 2));
  await signCheckpoint(db, key, { reason: 'periodic' });
  for (let r = 0; r < ARCHIVED; r++) {
    const history = JSON.stringify({ events: [{ eventId: '1', eventType: 'STARTED', n: r }] }, null, 2);
    await archiveHistory(db, { requestId: rid(r * 7), workflowId: `action-${r}`, runId: 'run', history });
  }
  await signCheckpoint(db, key, { reason: 'periodic' });
}, 120_000);

afterAll(async () => {
  await db?.close();
  await t?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The pack as the in-memory build made it before streaming (without signing a checkpoint). */
async function inMemoryPack(o: ExportOptions): Promise<string> {
  const now = o.now!;
  const bounds = await db.query<{ lo: string | null; hi: string | null }>(
    'SELECT min(id) AS lo, max(id) AS hi FROM audit_events WHERE recorded_at >= $1 AND recorded_at < $2',
    [o.from, o.to],
  );
  const lo = Number(bounds.rows[0]!.lo);
  const hi = Number(bounds.rows[0]!.hi);
  const events = (
    await db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE id >= $1 AND id <= $2 ORDER BY id`,
      [lo, hi],
    )
  ).rows.map(toEvent);
  const archivedIds = events.filter((e) => e.type === HISTORY_ARCHIVED).map((e) => e.requestId);
  const histories: HistoryItem[] = (await archivedHistoriesFor(db, archivedIds)).map((h) => ({
    kind: 'history',
    ...h,
  }));
  const checkpoints = await checkpointsBetween(db, lo, hi);
  const items: PackItem[] = [
    {
      kind: 'header',
      format: PACK_FORMAT,
      version: PACK_VERSION,
      generatedAt: now.toISOString(),
      generatedBy: o.generatedBy,
      service: o.service,
      range: { from: o.from, to: o.to },
      chain: {
        firstId: events[0]?.id,
        lastId: events.at(-1)?.id,
        anchorHash: events[0]?.prevHash ?? GENESIS_HASH,
        headHash: events.at(-1)?.hash ?? GENESIS_HASH,
        events: events.length,
      },
      decrypted: false,
    },
    ...o.publishedKeys.map((k, i) => ({ kind: 'key' as const, current: i === 0, ...toJwk(k) })),
    ...events.map((e) => ({ kind: 'event' as const, ...e })),
    ...histories,
    ...checkpoints.map((c) => ({ kind: 'checkpoint' as const, ...c })),
    ...buildEvidenceRecords(events).map((r) => ({ kind: 'record' as const, ...r })),
  ];
  return writePack(items, o.format, o.signing);
}

/** The audit routes alone, over `routeDb`, as the auditor. */
async function startApi(routeDb: SqlDb): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use((req, _res, next) => {
    req.principal = { id: 'audit@example.com', roles: ['auditor'], via: 'api-key' };
    next();
  });
  const deps = {
    audit: new AuditStore(routeDb),
    publicUrl: 'https://airlock.example.com',
    logger: pino({ level: 'silent' }),
  } as unknown as ApiDeps;
  const evidence = { signing: key, publishedKeys: [key], codecOrigins: [] } as unknown as ApiEvidenceDeps;
  app.use(auditRouter(deps, evidence));
  app.use(problemMiddleware({ log: () => {} }));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Wraps the database, noting the rows every query returns; `fail` may throw instead. */
function spyingDb(
  fail?: (sql: string) => boolean,
): SqlDb & { rowsPerQuery: { sql: string; rows: number }[] } {
  const rowsPerQuery: { sql: string; rows: number }[] = [];
  return {
    kind: db.kind,
    rowsPerQuery,
    async query<T>(sql: string, params?: unknown[]) {
      if (fail?.(sql)) throw new Error('connection lost (test)');
      const res = await db.query<T>(sql, params);
      rowsPerQuery.push({ sql, rows: res.rows.length });
      return res;
    },
    transaction: (fn) => db.transaction(fn),
    close: async () => {},
  };
}

/** GET with node:http: the body as far as it came, and whether the response ended cleanly. */
function get(url: string): Promise<{ status: number; body: string; complete: boolean }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => {}); // 'aborted': seen as complete === false below
        res.on('close', () =>
          resolve({
            status: res.statusCode!,
            body: Buffer.concat(chunks).toString('utf8'),
            complete: res.complete,
          }),
        );
      })
      .on('error', reject);
  });
}

async function exportEvents(): Promise<Record<string, unknown>[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE type = 'evidence.exported' AND event_key <> 'export:earlier' ORDER BY id`,
  );
  return rows.map((r) => toEvent(r).data);
}

describe('streamed evidence export', () => {
  const options = (format: 'jsonl' | 'csv', windowSize?: number): ExportOptions => ({
    from: '2000-01-01T00:00:00.000Z',
    to: '2100-01-01T00:00:00.000Z',
    format,
    generatedBy: 'audit@example.com',
    service: 'https://airlock.example.com',
    signing: key,
    publishedKeys: [key],
    now: new Date('2025-06-01T00:00:00.000Z'),
    ...(windowSize ? { windowSize } : {}),
  });

  it.each([
    ['jsonl', undefined],
    ['csv', undefined],
    ['jsonl', 777],
  ] as const)('gives the same bytes as the in-memory build (%s, window %s)', async (format, windowSize) => {
    const streamed = await buildEvidencePack(db, options(format, windowSize));
    // Read afterwards, so that it sees the export checkpoint the streamed build signed.
    const expected = await inMemoryPack(options(format));
    expect(streamed.body.length).toBe(expected.length);
    expect(streamed.body === expected).toBe(true);
    expect(streamed.summary).toMatchObject({ events: EVENTS + ARCHIVED + 1, histories: ARCHIVED });
    expect(streamed.summary.records).toBe(REQUESTS);
  });

  it('streams a 20,000-event trail over HTTP in windows, and it verifies offline', async () => {
    const spy = spyingDb();
    const api = await startApi(spy);
    try {
      const res = await get(`${api.url}/v1/audit/export?format=jsonl`);
      expect(res.status).toBe(200);
      expect(res.complete).toBe(true);
      const checked = verifyPack(res.body, { trustedKeys });
      expect(checked.firstProblem).toBeUndefined();
      expect(checked).toMatchObject({
        ok: true,
        counts: { events: EVENTS + ARCHIVED + 1, histories: ARCHIVED, records: REQUESTS },
      });
      const file = join(dir, 'stream.jsonl');
      writeFileSync(file, res.body);
      const lines: string[] = [];
      const code = await run(
        ['audit', 'verify-pack', file, '--public-key', key.publicKey.toString('base64url')],
        (l) => lines.push(l),
        {},
      );
      expect(code, lines.join('\n')).toBe(0);

      // No query returned more than a window; the events were read (twice: events, then records).
      const eventQueries = spy.rowsPerQuery.filter((q) => q.sql.includes(EVENT_COLUMNS));
      expect(Math.max(...spy.rowsPerQuery.map((q) => q.rows))).toBeLessThanOrEqual(EXPORT_WINDOW);
      // (The records pass skips the service's own event.)
      expect(eventQueries.reduce((n, q) => n + q.rows, 0)).toBe(2 * (EVENTS + ARCHIVED) + 1);
      expect(eventQueries.length).toBeGreaterThanOrEqual(2 * Math.ceil(EVENTS / EXPORT_WINDOW));
      // The export is in the chain with what it held (appended before the seal was sent).
      expect((await exportEvents()).at(-1)).toEqual({
        from: new Date(0).toISOString(),
        to: expect.any(String),
        format: 'jsonl',
        decrypted: false,
        events: EVENTS + ARCHIVED + 1,
        histories: ARCHIVED,
        checkpoints: checked.counts.checkpoints,
        records: REQUESTS,
      });
    } finally {
      await api.close();
    }
  });

  it('an error mid-stream cuts the response: no seal, no clean end, recorded as aborted', async () => {
    let windows = 0;
    const spy = spyingDb((sql) => sql.includes('WHERE id > $1 AND id <= $2 ORDER BY id') && ++windows === 2);
    const api = await startApi(spy);
    try {
      const res = await get(`${api.url}/v1/audit/export?format=csv`);
      expect(res.status).toBe(200);
      expect(res.complete).toBe(false);
      expect(res.body.startsWith('kind,id,request_id,type,actor,at,hash,json\r\n')).toBe(true);
      expect(res.body.length).toBeGreaterThan(0);
      expect(res.body).not.toContain(SEAL);
      expect(verifyPack(res.body).ok).toBe(false);
      expect((await exportEvents()).at(-1)).toMatchObject({ format: 'csv', aborted: 'server_error' });
    } finally {
      await api.close();
    }
  });

  it('a client that leaves stops the export, which is recorded as aborted', async () => {
    const spy = spyingDb();
    const api = await startApi(spy);
    const before = (await exportEvents()).length;
    try {
      await new Promise<void>((resolve, reject) => {
        const req = http.get(`${api.url}/v1/audit/export?format=jsonl`, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', () => {});
        req.on('close', resolve);
        setTimeout(() => reject(new Error('no data')), 10_000).unref();
      });
      let recorded = await exportEvents();
      for (let i = 0; i < 100 && recorded.length === before; i++) {
        await new Promise((r) => setTimeout(r, 50));
        recorded = await exportEvents();
      }
      expect(recorded.at(-1)).toMatchObject({ format: 'jsonl', aborted: 'client_closed' });
      expect(recorded.at(-1)!.events).toBeLessThan(EVENTS);
    } finally {
      await api.close();
    }
  });
});
