// The Web UI's "Stack Trace" tab (the __stack_trace query) still says where a waiting request is
// after the worker capped the sandbox's stack frames (temporal/worker.ts, issue 7: workflow CPU),
// and each captured stack is within the cap. The embedded dev server runs with eager activities.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WORKFLOW_STACK_FRAMES } from '../../../temporal/worker.js';
import { startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { codecFor, temporalClient } from '../audit-evidence/support.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../core/fixtures.js';

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;

beforeAll(async () => {
  target = await startHttpTarget();
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused'),
    principals: PRINCIPALS,
  });
}, 120_000);

afterAll(async () => {
  await h?.stop();
  await target?.close();
});

describe('workflow stack traces', () => {
  it('name the waiting step of a pending request, within the frame cap', async () => {
    const res = await h.api('ci@example.com', '/v1/actions', {
      body: httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: 'stack' } } }),
    });
    expect(res.status).toBe(202);
    await eventually(
      async () =>
        (await h.api('audit@example.com', `/v1/actions/${res.body.id}`)).body.status === 'pending_approval'
          ? true
          : undefined,
      30_000,
      'pending',
    );
    const t = await temporalClient(inject('temporalAddress'), codecFor(h.env));
    try {
      const trace = await t.client.workflow
        .getHandle(`action-${res.body.id as string}`)
        .query<string>('__stack_trace');
      const stacks = trace.split('\n\n').filter((s) => s.trim() !== '');
      expect(stacks.length).toBeGreaterThan(0);
      // The waiting loop of the approval stage is named: the cap keeps the frames that matter.
      expect(trace).toContain('askApprovers');
      for (const stack of stacks) {
        const frames = stack.split('\n').filter((l) => l.trim().startsWith('at '));
        expect(frames.length).toBeLessThanOrEqual(WORKFLOW_STACK_FRAMES);
      }
    } finally {
      await t.close();
    }
  });

  it('come from a dev server that hands activities to the worker eagerly', () => {
    // The tests' own server is started like npm start's (temporal/dev-server.ts).
    expect(inject('temporalPid')).toBeGreaterThan(0);
    const cmdline = readFileSync(`/proc/${inject('temporalPid')}/cmdline`, 'utf8').split('\0');
    const at = cmdline.indexOf('--dynamic-config-value');
    expect(at).toBeGreaterThan(0);
    expect(cmdline[at + 1]).toBe('system.enableActivityEagerExecution=true');
  });
});
