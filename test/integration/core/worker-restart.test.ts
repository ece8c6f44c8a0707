// Durability: the worker process is killed with SIGKILL while a request waits for approval;
// a new worker process picks the workflow up and the approved action runs exactly once.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../../db/postgres.js';
import { startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from './fixtures.js';

const MAIN = fileURLToPath(new URL('../../../main.ts', import.meta.url));

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
const workers: ChildProcess[] = [];

/** Starts `main.ts` as a worker-only process on the harness's queue and waits until it polls. */
async function startWorkerProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...h.env, AIRLOCK_ROLE: 'worker', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  workers.push(child);
  let output = '';
  child.stderr?.on('data', (d) => {
    output += d;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${output.slice(-2000)}`)), 90_000);
    child.stdout?.on('data', (d: Buffer) => {
      output += d;
      if (output.includes('"msg":"worker running"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}: ${output.slice(-2000)}`));
    });
  });
  return child;
}

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
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await h?.stop();
  await target?.close();
});

describe('worker crash', () => {
  it('reads and lists a request submitted while no worker runs, which then runs when one starts', async () => {
    const res = await h.api('ci@example.com', '/v1/actions', {
      body: httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: 'no-worker-1' } } }),
    });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    // Stored at submit, sealed: answered at once, with no worker to query.
    const started = Date.now();
    const read = await h.api('audit@example.com', `/v1/actions/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id, status: 'evaluating', requester: 'ci@example.com' });
    expect(Date.now() - started).toBeLessThan(2_000);
    const listed = await h.api('audit@example.com', '/v1/actions?status=evaluating');
    expect(listed.body.items.map((i: { id: string }) => i.id)).toContain(id);

    await startWorkerProcess();
    await eventually(
      async () =>
        (await h.api('audit@example.com', `/v1/actions/${id}`)).body.status === 'pending_approval'
          ? true
          : undefined,
      30_000,
      'pending once a worker runs',
    );
    const audit = await h.api('audit@example.com', `/v1/actions/${id}/audit`);
    expect(audit.body.events.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['request.submitted', 'policy.evaluated']),
    );
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(
      workers.map((w) => (w.exitCode === null ? new Promise((r) => w.once('exit', r)) : null)),
    );
  }, 120_000);

  it('finishes a waiting request on a new worker after the old one was killed', async () => {
    const first = await startWorkerProcess();
    const res = await h.api('ci@example.com', '/v1/actions', {
      body: httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: 'crash-1' } } }),
    });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    await eventually(
      async () =>
        (await h.api('audit@example.com', `/v1/actions/${id}`)).body.status === 'pending_approval'
          ? true
          : undefined,
      30_000,
      'pending',
    );

    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    // With no worker the request cannot be decided, but it can be read: GET answers from the
    // state the workflow last wrote, sealed, so the database holds no parameter in plaintext.
    const read = await h.api('audit@example.com', `/v1/actions/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id, status: 'pending_approval' });
    expect(JSON.stringify(read.body)).toContain('crash-1');
    const db = await openPostgres(h.db.url, { max: 1 });
    try {
      const { rows } = await db.query<{ row: string }>(
        'SELECT row_to_json(r)::text AS row FROM request_index r WHERE request_id = $1',
        [id],
      );
      expect(rows[0]?.row).toContain('state_payload');
      expect(rows[0]?.row).not.toContain('crash-1');
    } finally {
      await db.close();
    }
    await startWorkerProcess();
    const decided = await h.api('dana@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(decided.status).toBe(200);
    const done = await eventually(
      async () => {
        const s = (await h.api('audit@example.com', `/v1/actions/${id}`)).body;
        return s.status === 'succeeded' && s.endedAt ? s : undefined;
      },
      30_000,
      'succeeded',
    );
    expect(done.decidedBy).toBe('dana@example.com');
    expect(target.calls.filter((c) => JSON.stringify(c.body ?? '').includes('crash-1'))).toHaveLength(1);
    const audit = await h.api('audit@example.com', `/v1/actions/${id}/audit`);
    expect(audit.body.verification.ok).toBe(true);
    expect(audit.body.events.filter((e: { type: string }) => e.type === 'request.submitted')).toHaveLength(1);
  }, 240_000);
});
