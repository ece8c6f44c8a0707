// Ten approvers clicking at once: exactly one decision wins, the action runs once, the others
// get a clear conflict.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpTarget } from '../../fakes/http-target.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { httpRequest } from './fixtures.js';

const approvers = Array.from({ length: 10 }, (_, i) => `approver${i}@example.com`);
const POLICY = `version: 1
groups:
  many: [${approvers.join(', ')}]
rules:
  - name: many
    match: { action: "http.*" }
    effect: require_approval
    stages: [{ approvers: [many], timeout: 5m }]
default: { effect: deny }
`;

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;

beforeAll(async () => {
  target = await startHttpTarget();
  h = await startHarness({
    policy: POLICY,
    config: `targets:\n  echo: { type: http, environment: production, resources: ["admin-api:*"], baseUrl: "${target.url}" }\nactions:\n  - { match: "http.*", executor: http.request, target: echo }\n`,
    principals: [
      { principal: 'ci@example.com', roles: ['requester'] },
      { principal: 'audit@example.com', roles: ['auditor'] },
      ...approvers.map((principal) => ({ principal, roles: ['approver'] })),
    ],
  });
});

afterAll(async () => {
  await h?.stop();
  await target?.close();
});

describe('concurrent approvals', () => {
  it('executes once when ten approvers approve at the same moment', async () => {
    const res = await h.api('ci@example.com', '/v1/actions', {
      body: httpRequest({ parameters: { method: 'POST', path: '/c', body: { m: 'ten-1' } } }),
    });
    const id = res.body.id as string;
    await eventually(
      async () =>
        (await h.api('audit@example.com', `/v1/actions/${id}`)).body.status === 'pending_approval'
          ? true
          : undefined,
      15_000,
      'pending',
    );
    const answers = await Promise.all(
      approvers.map((a) => h.api(a, `/v1/actions/${id}/decisions`, { body: { decision: 'approve' } })),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(9);
    const done = await eventually(
      async () => {
        const s = (await h.api('audit@example.com', `/v1/actions/${id}`)).body;
        return s.status === 'succeeded' ? s : undefined;
      },
      20_000,
      'succeeded',
    );
    expect(done.decisions).toHaveLength(1);
    expect(target.calls.filter((c) => JSON.stringify(c.body ?? '').includes('ten-1'))).toHaveLength(1);
    // Every losing click is on record, whether the workflow or (once it had ended) the API refused it.
    const audit = await h.api('audit@example.com', `/v1/actions/${id}/audit`);
    expect(audit.body.events.filter((e: { type: string }) => e.type === 'attempt.refused')).toHaveLength(9);
  });
});
