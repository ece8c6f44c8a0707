// Fault case 1: the worker process is killed with SIGKILL at a step of a request; a new worker
// process takes over and every request finishes exactly once, with its audit trail intact.
// Short (npm test): killed while waiting. Full (npm run test:faults): also mid-executor-call,
// which waits out the executor activity's 5-minute start-to-close timeout (no heartbeat), so it
// takes over five minutes by design of the current workflow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpTargetFake, startHttpTarget } from '../fakes/http-target.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../integration/core/fixtures.js';
import { type Harness, startHarness } from '../support/harness.js';
import {
  callsWith,
  expectAuditIntact,
  expectChainIntact,
  FULL,
  size,
  startWorkerProcess,
  type WorkerProcess,
  waitForStatus,
} from './support.js';

let h: Harness;
let target: HttpTargetFake;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  target = await startHttpTarget();
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused'),
    principals: PRINCIPALS,
    env: { AIRLOCK_ROLE: 'api' },
  });
}, 180_000);

afterAll(async () => {
  for (const w of workers) await w.killHard();
  await h?.stop();
  await target?.close();
});

async function submit(marker: string): Promise<string> {
  const res = await h.api('ci@example.com', '/v1/actions', {
    body: httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: marker } } }),
  });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

describe('fault 1: kill -9 of the worker', () => {
  // The short twin of this case is test/integration/core/worker-restart.test.ts (already in npm test).
  it.runIf(FULL)(
    'while requests wait for approval: a new worker finishes each exactly once',
    async () => {
      const first = await startWorkerProcess(h, workers);
      const n = size(3, 20);
      const ids = await Promise.all(Array.from({ length: n }, (_, i) => submit(`wait-kill-${i}-`)));
      for (const id of ids) await waitForStatus(h, id, ['pending_approval'], 60_000);

      await first.killHard();
      const second = await startWorkerProcess(h, workers);
      for (const id of ids) {
        const decided = await h.api('dana@example.com', `/v1/actions/${id}/decisions`, {
          body: { decision: 'approve' },
        });
        expect(decided.status).toBe(200);
      }
      for (const [i, id] of ids.entries()) {
        await waitForStatus(h, id, ['succeeded'], 60_000);
        expect(callsWith(target, `wait-kill-${i}-`).effects).toBe(1);
        await expectAuditIntact(h, id);
      }
      await expectChainIntact(h);
      await second.killHard();
    },
    300_000,
  );

  it.runIf(FULL)(
    'in the middle of the executor call: the retry on a new worker does not run it twice',
    async () => {
      const first = await startWorkerProcess(h, workers);
      const id = await submit('exec-kill');
      await waitForStatus(h, id, ['pending_approval']);
      target.hangNext(1);
      const decided = await h.api('dana@example.com', `/v1/actions/${id}/decisions`, {
        body: { decision: 'approve' },
      });
      expect(decided.status).toBe(200);
      // The executor's call reached the target and hangs there: kill the worker mid-call.
      await waitForStatus(h, id, ['executing']);
      const deadline = Date.now() + 30_000;
      while (!callsWith(target, 'exec-kill').calls.some((c) => c.outcome === 'hung')) {
        if (Date.now() > deadline) throw new Error('the executor call never reached the target');
        await new Promise((r) => setTimeout(r, 50));
      }
      await first.killHard();
      await startWorkerProcess(h, workers);
      // Temporal retries the activity only after its start-to-close timeout (5 min, no heartbeat).
      const done = await waitForStatus(h, id, ['succeeded', 'failed'], 420_000);
      expect(done.status).toBe('succeeded');
      const { calls, effects } = callsWith(target, 'exec-kill');
      expect(effects).toBe(1);
      // The retry carried the same Idempotency-Key as the hung call.
      const keys = new Set(calls.map((c) => c.headers['idempotency-key']));
      expect(keys.size).toBe(1);
      await expectAuditIntact(h, id);
      await expectChainIntact(h);
    },
    600_000,
  );
});
