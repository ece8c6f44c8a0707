// The audit trail scenario of the benchmark (`npm run bench` runs it through measureAudit), also
// runnable alone on a fresh PostgreSQL database: `npx tsx bench/audit.ts [--events N] [--singles N]`.
import { fileURLToPath } from 'node:url';
import { AuditStore } from '../audit/store.js';
import type { AuditEventInput } from '../audit/types.js';
import { migrate } from '../db/migrate.js';
import { openPostgres } from '../db/postgres.js';
import type { SqlDb } from '../db/sql.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { pool } from './lib.js';

export interface AuditFigures {
  appendOneRate: number;
  appendManyRate: number;
  verifyRate: number;
  totalEvents: number;
  verifyOk: boolean;
}

/** Appends `singles` events one per call (10 in flight), `events` in calls of 100, then verifies all. */
export async function measureAudit(
  sql: SqlDb,
  sizes: { singles: number; events: number },
): Promise<AuditFigures> {
  await migrate(sql);
  const store = new AuditStore(sql);
  const event = (i: number, kind: string): AuditEventInput => ({
    requestId: `bench-${kind}-${Math.floor(i / 10)}`,
    eventKey: `wf:${i % 10}`,
    type: 'bench.event',
    actor: 'bench@example.com',
    at: new Date().toISOString(),
    data: { i, parametersHash: 'a'.repeat(64), note: 'an ordinary event of a few hundred bytes'.repeat(3) },
  });
  let s = Date.now();
  // AuditStore group-commits concurrent calls: the 10 callers' events share transactions (each
  // call still gets its own outcome). Both figures are for callers in flight, not one at a time.
  await pool('audit append (one event per call, 10 in flight, group-committed)', sizes.singles, 10, (i) =>
    store.append(event(i, 'one')),
  );
  const appendOneRate = sizes.singles / ((Date.now() - s) / 1000);
  const batch = 100;
  s = Date.now();
  await pool('audit appendMany (100 per call, 4 in flight, group-committed)', sizes.events / batch, 4, (b) =>
    store.appendMany(Array.from({ length: batch }, (_, k) => event(b * batch + k, 'many'))),
  );
  const appendManyRate = sizes.events / ((Date.now() - s) / 1000);
  const totalEvents = Number(
    (await sql.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_events')).rows[0]?.n ?? 0,
  );
  s = Date.now();
  const verified = await store.verify();
  const verifyRate = totalEvents / ((Date.now() - s) / 1000);
  return { appendOneRate, appendManyRate, verifyRate, totalEvents, verifyOk: verified.ok };
}

async function main(): Promise<void> {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const events = arg('--events', 50_000);
  const singles = arg('--singles', Math.min(events, 20_000));
  const db = await createTestDatabase('airlock_bench_audit');
  try {
    const sql = await openPostgres(db.url);
    try {
      const f = await measureAudit(sql, { singles, events });
      process.stdout.write(
        `${JSON.stringify({
          appendOnePerCallPerSecond: Math.round(f.appendOneRate),
          appendManyPerSecond: Math.round(f.appendManyRate),
          verifyPerSecond: Math.round(f.verifyRate),
          verifiedEvents: f.totalEvents,
          verifyOk: f.verifyOk,
        })}\n`,
      );
    } finally {
      await sql.close();
    }
  } finally {
    await db.drop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
