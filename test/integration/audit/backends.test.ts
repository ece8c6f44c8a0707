// Backend-specific behaviour: connection failures surface quickly, clients are always released,
// PGlite persists to a directory, concurrent migrators take turns.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditStore } from '../../../audit/store.js';
import { SqlConnectionError, SqlError } from '../../../db/errors.js';
import { migrate } from '../../../db/migrate.js';
import { MIGRATIONS } from '../../../db/migrations.js';
import { openPglite } from '../../../db/pglite.js';
import { openPostgres } from '../../../db/postgres.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

describe('openPostgres', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('airlock_audit');
  });
  afterAll(async () => {
    await t.drop();
  });

  it('fails fast with SqlConnectionError when nothing listens', async () => {
    await expect(openPostgres('postgres://postgres@127.0.0.1:1/test')).rejects.toBeInstanceOf(
      SqlConnectionError,
    );
  });

  it('gives up after connectionTimeoutMillis when the server never answers', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => sockets.push(s)); // accepts, never speaks
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const started = Date.now();
    try {
      await expect(
        openPostgres(`postgres://postgres@127.0.0.1:${port}/test`, { connectionTimeoutMillis: 300 }),
      ).rejects.toBeInstanceOf(SqlConnectionError);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('maps SQL errors with their SQLSTATE and always releases transaction clients', async () => {
    const db = await openPostgres(t.url, { max: 2 });
    try {
      for (let i = 0; i < 10; i++) {
        await expect(db.transaction((tx) => tx.query('SELECT * FROM no_such_table'))).rejects.toMatchObject({
          code: '42P01',
        });
      }
      await expect(db.query('SELECT 1/0')).rejects.toBeInstanceOf(SqlError);
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          db.transaction((tx) => tx.query<{ n: number }>('SELECT $1::int AS n', [i])),
        ),
      );
      expect(results.map((r) => r.rows[0]!.n)).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      await db.close();
    }
  });

  it('lets concurrent migrators take turns', async () => {
    const a = await openPostgres(t.url, { max: 2 });
    const b = await openPostgres(t.url, { max: 2 });
    try {
      const applied = await Promise.all([migrate(a), migrate(b), migrate(a)]);
      expect(applied.flat()).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('openPglite', () => {
  it('persists to a data directory across reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-pglite-'));
    try {
      const first = await openPglite(dir);
      await migrate(first);
      const stored = await new AuditStore(first).append({
        requestId: 'r1',
        eventKey: 'wf:1',
        type: 'request.submitted',
        actor: 'alice',
        at: '2025-01-01T00:00:00.000Z',
        data: { x: 1 },
      });
      await first.close();
      const second = await openPglite(dir);
      try {
        expect(await migrate(second)).toEqual([]);
        const store = new AuditStore(second);
        expect(await store.eventsFor('r1')).toEqual([stored]);
        expect(await store.verify()).toEqual({ ok: true, count: 1, head: stored.hash });
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
