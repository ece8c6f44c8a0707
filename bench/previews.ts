// What verified previews cost (SPEC 13): the postgres.sql preview of a 1,000-row UPDATE on a
// 1-million-row table (indexed predicate) and of a full-table UPDATE, measured on the executor
// itself, p50 of N runs; and the time the preview adds before the first card, through a running
// Airlock: submit to `pending_approval` (set just before the cards are posted) on the same table
// with the target's preview on and off (`preview: false`).
//
// `npx tsx bench/previews.ts [--quick]` runs the executor part alone against a fresh database and
// writes bench/results/previews.json; `npm run bench` runs both parts in its own run.
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { PostgresTarget } from '../config/types.js';
import { previewSql } from '../executors/postgres-sql-preview.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { type LatencySummary, round, summarize } from './lib.js';

export const PREVIEW_TABLE_ROWS = 1_000_000;
const INDEXED_UPDATE = 'UPDATE bench_rows SET v = v + 1 WHERE grp = 42';
const FULL_UPDATE = 'UPDATE bench_rows SET v = v + 1';

// Each rolled-back full-table UPDATE leaves a million dead rows behind: a VACUUM before every run
// gives each the same table, instead of whatever autovacuum has cleared by then.
const VACUUM = 'VACUUM bench_rows';
async function vacuum(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(VACUUM);
  } finally {
    await c.end();
  }
}

/** 1,000,000 rows in 1,000 groups of 1,000, the group indexed. */
export async function seedPreviewTable(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('CREATE TABLE bench_rows (id int PRIMARY KEY, grp int NOT NULL, v int NOT NULL)');
    await c.query(
      `INSERT INTO bench_rows SELECT i, i % 1000, 0 FROM generate_series(1, ${PREVIEW_TABLE_ROWS}) i`,
    );
    await c.query('CREATE INDEX bench_rows_grp ON bench_rows (grp)');
    await c.query('VACUUM ANALYZE bench_rows');
  } finally {
    await c.end();
  }
}

export interface PreviewTimes {
  runs: number;
  indexedUpdate1000Rows: LatencySummary & { rows: number };
  fullTableUpdate: LatencySummary & { rows: number };
  /** The same statements run bare in a rolled-back transaction: what the preview adds is the rest. */
  bare: { indexedUpdate1000Rows: LatencySummary; fullTableUpdate: LatencySummary };
}

/** The executor's preview, `runs` times each (after one warm-up), as the preview activity calls it. */
export async function measurePreviewTimes(url: string, runs: number): Promise<PreviewTimes> {
  const target: PostgresTarget = {
    type: 'postgres',
    environment: 'bench',
    resources: ['postgres://bench/*'],
    url,
    statementTimeoutMs: 120_000,
    lockTimeoutMs: 5_000,
  };
  const time = async (sql: string) => {
    const samples: number[] = [];
    let rows = 0;
    for (let i = 0; i <= runs; i++) {
      await vacuum(url);
      const started = performance.now();
      const p = await previewSql({
        requestId: randomUUID(),
        action: 'db.bench',
        parameters: { sql },
        requester: 'bench@example.com',
        target,
        deadline: Date.now() + 120_000,
      });
      if (p.status !== 'ok') throw new Error(`preview of ${sql}: ${p.status} ${p.reason}`);
      rows = p.rowsAffected ?? 0;
      if (i > 0) samples.push(performance.now() - started);
    }
    return { ...summarize(samples), rows };
  };
  const bare = async (sql: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const samples: number[] = [];
    try {
      for (let i = 0; i <= runs; i++) {
        await c.query(VACUUM);
        const started = performance.now();
        await c.query('BEGIN');
        await c.query(sql);
        await c.query('ROLLBACK');
        if (i > 0) samples.push(performance.now() - started);
      }
    } finally {
      await c.end();
    }
    return summarize(samples);
  };
  return {
    runs,
    indexedUpdate1000Rows: await time(INDEXED_UPDATE),
    fullTableUpdate: await time(FULL_UPDATE),
    bare: { indexedUpdate1000Rows: await bare(INDEXED_UPDATE), fullTableUpdate: await bare(FULL_UPDATE) },
  };
}

/** The targets and bindings a running Airlock needs for the time-to-card part. */
export function previewTargetsConfig(url: string): string {
  return `  bench-db: { type: postgres, environment: bench, resources: ["postgres://bench/rows"], url: "${url}" }
  bench-db-off: { type: postgres, environment: bench, resources: ["postgres://bench-off/rows"], url: "${url}", preview: false }`;
}
export const PREVIEW_BINDINGS = `  - { match: "db.*", executor: postgres.sql, target: bench-db }
  - { match: "db.*", executor: postgres.sql, target: bench-db-off }`;

/** The few fields of the API's answers this part reads. */
type Answer = { status: number; body: { id?: string; status?: string } | undefined };
type Api = {
  get(who: 'requester' | 'approver', path: string): Promise<Answer>;
  post(who: 'requester' | 'approver', path: string, body: unknown): Promise<Answer>;
};

export interface TimeToCard {
  runs: number;
  withPreview: LatencySummary;
  withoutPreview: LatencySummary;
  addedP50Ms: number;
}

/** Submit to pending_approval for the 1,000-row UPDATE, with and without the preview; each cancelled after. */
export async function measureTimeToCard(http: Api, runs: number): Promise<TimeToCard> {
  const once = async (resource: string) => {
    const started = performance.now();
    const res = await http.post('requester', '/v1/actions', {
      action: 'db.bench.update',
      resource,
      environment: 'bench',
      parameters: { sql: INDEXED_UPDATE },
    });
    const id = res.body?.id;
    if (res.status !== 202 || id === undefined)
      throw new Error(`submit: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    for (;;) {
      const s = await http.get('approver', `/v1/actions/${id}`);
      if (s.body?.status === 'pending_approval') break;
      if (performance.now() - started > 60_000) throw new Error(`request ${id} never became pending`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const ms = performance.now() - started;
    await http.post('requester', `/v1/actions/${id}/cancel`, {});
    return ms;
  };
  const measure = async (resource: string) => {
    await once(resource);
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) samples.push(await once(resource));
    return summarize(samples);
  };
  const withPreview = await measure('postgres://bench/rows');
  const withoutPreview = await measure('postgres://bench-off/rows');
  return { runs, withPreview, withoutPreview, addedP50Ms: round(withPreview.p50Ms - withoutPreview.p50Ms) };
}

async function standalone(): Promise<void> {
  const runs = process.argv.includes('--quick') ? 5 : 20;
  const db = await createTestDatabase('airlock_bench_previews');
  try {
    process.stderr.write(`[bench] seeding ${PREVIEW_TABLE_ROWS.toLocaleString('en-US')} rows\n`);
    await seedPreviewTable(db.url);
    const times = await measurePreviewTimes(db.url, runs);
    const out = {
      generatedBy: 'bench/previews.ts',
      at: new Date().toISOString(),
      tableRows: PREVIEW_TABLE_ROWS,
      ...times,
    };
    const dir = fileURLToPath(new URL('./results/', import.meta.url));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'previews.json'), `${JSON.stringify(out, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } finally {
    await db.drop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  standalone().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`[bench] failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
