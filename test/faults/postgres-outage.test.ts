// Fault case 3: PostgreSQL goes away under load (every connection dropped, new ones refused)
// and comes back. No audit event is lost, none is written twice, the chain verifies, and every
// request submitted before, during and after the outage finishes exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpTargetFake, startHttpTarget } from '../fakes/http-target.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../integration/core/fixtures.js';
import { type Harness, startHarness } from '../support/harness.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { callsWith, expectChainIntact, size, waitForStatus } from './support.js';
import { type CuttableProxy, startTcpProxy } from './tcp-proxy.js';

let h: Harness;
let target: HttpTargetFake;
let proxy: CuttableProxy;
let db: TestDatabase;

beforeAll(async () => {
  // The service reaches its own database through a proxy that the test can cut.
  db = await createTestDatabase();
  const real = new URL(db.url);
  proxy = await startTcpProxy(real.hostname, Number(real.port || 5432));
  const viaProxy = new URL(db.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  target = await startHttpTarget();
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused'),
    principals: PRINCIPALS,
    env: { DATABASE_URL: viaProxy.toString() },
  });
}, 180_000);

afterAll(async () => {
  await h?.stop();
  await proxy?.close();
  await db?.drop();
  await target?.close();
});

const eventTypes = async (id: string) =>
  (await h.api('audit@example.com', `/v1/actions/${id}/audit`)).body.events.map(
    (e: { type: string }) => e.type,
  );

describe('fault 3: PostgreSQL down under load', () => {
  const outageMs = size(8_000, 20_000);
  it(`loses no audit event over a ${outageMs / 1000} s outage`, async () => {
    let i = 0;
    const submit = async () => {
      const n = i++;
      const res = await h.api('ci@example.com', '/v1/actions', {
        body: httpRequest({
          environment: 'dev',
          parameters: { method: 'POST', path: '/pg', body: { m: `pg-${n}-` } },
        }),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      return { id: res.body.id as string, n };
    };
    // A reference request before the outage: the full set of events an auto-allowed request writes.
    const reference = await submit();
    await waitForStatus(h, reference.id, ['succeeded']);
    const expected = (await eventTypes(reference.id)).sort();

    const submitted = [reference];
    const load = (async () => {
      const until = Date.now() + outageMs + 4_000;
      while (Date.now() < until) {
        submitted.push(await submit());
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    await new Promise((r) => setTimeout(r, 1_000));
    proxy.cut();
    await new Promise((r) => setTimeout(r, outageMs));
    const during = await fetch(`${h.url}/readyz`);
    expect(during.status).toBe(503);
    proxy.restore();
    await load;

    for (const { id, n } of submitted) {
      await waitForStatus(h, id, ['succeeded'], 120_000);
      expect(callsWith(target, `pg-${n}-`).effects).toBe(1);
      expect((await eventTypes(id)).sort()).toEqual(expected);
    }
    expect(submitted.length).toBeGreaterThan(outageMs / 1000);
    await expectChainIntact(h);
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
  }, 600_000);
});
