// Catch-up after downtime: requests close while no archiver runs (the service is down, or its
// Schedule is far off); when the service comes back with the same database, the next scheduled
// run archives every one of them, resuming from the cursor kept in PostgreSQL. The service comes
// back with a rotated master key: the old one, in AIRLOCK_ENCRYPTION_KEYS_OLD, still decrypts the
// payloads and still verifies what it signed.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../core/fixtures.js';
import { payloadTexts, sql } from './support.js';

let target: Awaited<ReturnType<typeof startHttpTarget>>;
let targetDb: TestDatabase;
let shared: TestDatabase;
let sharedEnv: Record<string, string>;
const running: Harness[] = [];

beforeAll(async () => {
  target = await startHttpTarget();
  targetDb = await createTestDatabase('airlock_target');
  shared = await createTestDatabase('airlock_catchup');
  sharedEnv = {
    DATABASE_URL: shared.url,
    TEMPORAL_TASK_QUEUE: `airlock-catchup-${randomBytes(4).toString('hex')}`,
    AIRLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
});

afterAll(async () => {
  for (const h of running) await h.stop();
  await target?.close();
  await targetDb?.drop();
  await shared?.drop();
});

const start = async (interval: string, extra: Record<string, string> = {}) => {
  const h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(target.url, targetDb.url),
    principals: PRINCIPALS,
    env: { ...sharedEnv, AIRLOCK_ARCHIVE_INTERVAL: interval, ...extra },
  });
  running.push(h);
  return h;
};

const archivedIds = async () =>
  (await sql<{ request_id: string }>(shared.url, 'SELECT request_id FROM archived_histories')).map(
    (r) => r.request_id,
  );

describe('archiver catch-up', () => {
  it('archives what closed while it was not running, once the service is back with a rotated key', async () => {
    // Before: a schedule so far off that it does not run during the test.
    const first = await start('12h');
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const res = await first.api('ci@example.com', '/v1/actions?wait=20', {
        body: httpRequest({
          environment: 'dev',
          parameters: { method: 'POST', path: `/c${n}`, body: { n: `old-key-${n}` } },
        }),
      });
      expect(res.body.status).toBe('succeeded');
      ids.push(res.body.id);
    }
    // An export signs a checkpoint with the old key.
    expect((await first.api('audit@example.com', '/v1/audit/export')).status).toBe(200);
    await first.stop();
    running.splice(running.indexOf(first), 1);
    expect(await archivedIds()).toEqual([]);

    // After: the same database and task queue, a new master key, the schedule at a short interval.
    const second = await start('2s', {
      AIRLOCK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      AIRLOCK_ENCRYPTION_KEYS_OLD: sharedEnv.AIRLOCK_ENCRYPTION_KEY!,
    });
    const archived = await eventually(
      async () => {
        const now = await archivedIds();
        return ids.every((i) => now.includes(i)) ? now : undefined;
      },
      60_000,
      'all three histories archived',
    );
    expect(archived.sort()).toEqual([...ids].sort());
    // The run moves the cursor after its last page, a moment after the last history is stored.
    const cursor = await eventually(
      async () =>
        (await sql<{ c: Date }>(shared.url, 'SELECT close_time_cursor AS c FROM archive_state'))[0]?.c,
      15_000,
      'the archive cursor moved',
    );
    expect(cursor.getTime()).toBeGreaterThan(Date.now() - 120_000);

    // Checkpoints under both keys verify; old payloads still decrypt.
    await eventually(
      async () =>
        (await sql<{ kid: string }>(shared.url, 'SELECT DISTINCT kid FROM audit_checkpoints')).length === 2
          ? true
          : undefined,
      15_000,
      'a checkpoint signed with the new key',
    );
    const verified = await second.api('audit@example.com', '/v1/audit/verify');
    expect(verified.body).toMatchObject({
      ok: true,
      checkpoints: { ok: true },
      histories: { ok: true, count: 3 },
    });
    const keys = await second.api(undefined, '/.well-known/airlock-audit-keys.json');
    expect(keys.body.keys).toHaveLength(2);
    const decrypted = await second.api('audit@example.com', `/v1/actions/${ids[0]}/history?decrypt=true`);
    expect(decrypted.status).toBe(200);
    expect(JSON.stringify(payloadTexts(decrypted.body))).toContain('old-key-1');
  }, 150_000);
});
