// Fault case 2: the Temporal dev server is killed (SIGKILL) with requests pending and restarted on
// its SQLite file; the same service process carries on: all pending requests are decided and
// finish exactly once afterwards, and the audit chain verifies.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DevServer, freePort, startDevServer } from '../../temporal/dev-server.js';
import { type HttpTargetFake, startHttpTarget } from '../fakes/http-target.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../integration/core/fixtures.js';
import { type Harness, startHarness } from '../support/harness.js';
import { callsWith, expectAuditIntact, expectChainIntact, size, waitForStatus } from './support.js';

let h: Harness;
let target: HttpTargetFake;
let dev: DevServer;
let dir: string;
let port: number;

const startServer = () =>
  startDevServer({
    cliPath: inject('temporalCliPath'),
    headless: true,
    port,
    dbFilename: join(dir, 'temporal.sqlite'),
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'airlock-fault-temporal-'));
  port = await freePort();
  dev = await startServer();
  target = await startHttpTarget();
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused'),
    principals: PRINCIPALS,
    env: { TEMPORAL_ADDRESS: dev.address },
  });
}, 180_000);

afterAll(async () => {
  await h?.stop();
  await target?.close();
  await dev?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('fault 2: the Temporal server killed and restarted on its SQLite file', () => {
  const n = size(10, 100);
  it(`decides and finishes ${n} requests that were pending when it died`, async () => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await h.api('ci@example.com', '/v1/actions', {
        body: httpRequest({ parameters: { method: 'POST', path: '/t', body: { m: `tr-${i}-` } } }),
      });
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    for (const id of ids) await waitForStatus(h, id, ['pending_approval']);

    const proc = dev.process!;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await gone;
    // While it is down a request can still be read (the state stored in PostgreSQL), and what
    // needs Temporal (a decision) is a problem answer, not a crash.
    const read = await h.api('audit@example.com', `/v1/actions/${ids[0]}`);
    expect(read.status).toBe(200);
    expect(read.body.status).toBe('pending_approval');
    const down = await h.api('dana@example.com', `/v1/actions/${ids[0]}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(down.status).toBeGreaterThanOrEqual(500);
    expect(down.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    dev = await startServer();
    for (const id of ids) {
      const decided = await h.api('dana@example.com', `/v1/actions/${id}/decisions`, {
        body: { decision: 'approve' },
      });
      expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    }
    for (const [i, id] of ids.entries()) {
      await waitForStatus(h, id, ['succeeded'], 120_000);
      expect(callsWith(target, `tr-${i}-`).effects).toBe(1);
      await expectAuditIntact(h, id);
    }
    await expectChainIntact(h);
  }, 600_000);
});
