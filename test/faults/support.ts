// Shared by the fault cases: how big a run is (short inside `npm test`, full under
// `npm run test:faults`), worker processes that can be killed with SIGKILL, and the checks every
// case ends with (nothing lost, nothing executed twice, the audit chain verifies).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { HttpTargetFake } from '../fakes/http-target.js';
import { eventually, type Harness } from '../support/harness.js';

/** `npm run test:faults` sets AIRLOCK_FAULTS=full; `npm test` runs the short version. */
export const FULL = process.env.AIRLOCK_FAULTS === 'full';
export const size = (short: number, full: number) => (FULL ? full : short);

const MAIN = fileURLToPath(new URL('../../main.ts', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  /** kill -9, and wait until the process is gone. */
  killHard(): Promise<void>;
}

/** Starts `main.ts` as a worker-only process on the harness's task queue; resolves once it polls. */
export async function startWorkerProcess(h: Harness, all: WorkerProcess[]): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...h.env, AIRLOCK_ROLE: 'worker', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const wp: WorkerProcess = {
    child,
    async killHard() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    },
  };
  all.push(wp);
  let output = '';
  child.stderr?.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${output}`)), 120_000);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}: ${output}`));
    };
    child.once('exit', onExit);
    child.stdout?.on('data', (d: Buffer) => {
      output = (output + d.toString()).slice(-4000);
      if (output.includes('"msg":"worker running"')) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve();
      }
    });
  });
  child.stdout?.resume();
  return wp;
}

export async function waitForStatus(
  h: Harness,
  id: string,
  statuses: string[],
  timeoutMs = 60_000,
): Promise<any> {
  return eventually(
    async () => {
      const s = await h.api('audit@example.com', `/v1/actions/${id}`);
      return s.status === 200 && statuses.includes(s.body.status) ? s.body : undefined;
    },
    timeoutMs,
    `${id} to be ${statuses.join(' or ')}`,
  );
}

/** Calls to the target that carry `marker` in their body, and how many were real side effects. */
export function callsWith(target: HttpTargetFake, marker: string) {
  const calls = target.calls.filter((c) => c.body.includes(marker));
  return { calls, effects: calls.filter((c) => c.outcome === 'handled').length };
}

/** The request's audit events verify, and it was submitted, executed and ended once each. */
export async function expectAuditIntact(h: Harness, id: string, ending = 'request.succeeded'): Promise<void> {
  const audit = await h.api('audit@example.com', `/v1/actions/${id}/audit`);
  expect(audit.status).toBe(200);
  expect(audit.body.verification.ok).toBe(true);
  const count = (type: string) => audit.body.events.filter((e: { type: string }) => e.type === type).length;
  expect(count('request.submitted')).toBe(1);
  expect(count(ending)).toBe(1);
}

/** The whole chain of the harness's database verifies. */
export async function expectChainIntact(h: Harness): Promise<void> {
  const v = await h.api('audit@example.com', '/v1/audit/verify');
  expect(v.status).toBe(200);
  expect(v.body.ok).toBe(true);
}
