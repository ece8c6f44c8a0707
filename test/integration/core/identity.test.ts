// Look-alike identities over real HTTP, a real Temporal dev server and real PostgreSQL: an agent
// that names its approver in another spelling cannot get her to approve her own request, and a
// credential that says whom its caller acts for wins over the body.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from './fixtures.js';

let h: Harness;

beforeAll(async () => {
  // Nothing here is approved, so the targets are never contacted.
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig('http://127.0.0.1:9', 'postgres://nobody:nothing@127.0.0.1:9/none'),
    principals: [
      ...PRINCIPALS,
      { principal: 'dana-agent@example.com', roles: ['requester'], onBehalfOf: 'dana@example.com' },
    ],
  });
});

afterAll(async () => {
  await h?.stop();
});

const submit = (as: string, agent: Record<string, unknown> | undefined, tag: string) =>
  h.api(as, '/v1/actions', {
    body: httpRequest({
      parameters: { method: 'POST', path: '/config', body: { m: tag } },
      ...(agent ? { agent } : {}),
    }),
  });

async function pending(id: string) {
  return eventually(
    async () => {
      const res = await h.api('audit@example.com', `/v1/actions/${id}`);
      return res.body.status === 'pending_approval' ? res.body : undefined;
    },
    20_000,
    `pending_approval of ${id}`,
  );
}

const LOOK_ALIKES = [
  'ｄａｎａ@example.com',
  'dana\u200b@example.com',
  'dana@example.com.',
  'mailto:dana@example.com',
  'dana+x@example.com',
];

describe('agent.onBehalfOf look-alikes of an approver', () => {
  it.each(LOOK_ALIKES)('%j: dana cannot approve the request', async (onBehalfOf) => {
    const res = await submit('agent-runner@example.com', { name: 'bot', onBehalfOf }, `look-${onBehalfOf}`);
    if (res.status === 400) {
      // Refused at the door: no request exists for anyone to approve.
      expect(res.body).toMatchObject({ type: 'urn:airlock:problem:invalid-body', field: 'agent.onBehalfOf' });
      return;
    }
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const state = await pending(res.body.id);
    const decision = await h.api('dana@example.com', `/v1/actions/${res.body.id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(decision.status, JSON.stringify(decision.body)).toBe(403);
    expect(decision.body.type).toBe('urn:airlock:problem:self-approval');
    // What was kept is the canonical form, so the card and the trail name the person plainly.
    expect(state.request.agent.onBehalfOf).toMatch(/^dana(\+x)?@example\.com$/);
  });

  it('refuses the spellings that are no plain address at submit, naming agent.onBehalfOf', async () => {
    for (const onBehalfOf of [
      'dana\u200b@example.com',
      'mailto:dana@example.com',
      'Dana <dana@example.com>',
    ]) {
      const res = await submit('agent-runner@example.com', { onBehalfOf }, `refused-${onBehalfOf}`);
      expect(res.status).toBe(400);
      expect(res.body.field).toBe('agent.onBehalfOf');
    }
  });
});

describe('a credential that says whom its caller acts for', () => {
  it('fills in agent.onBehalfOf, so the person it names cannot approve', async () => {
    const res = await submit('dana-agent@example.com', { name: 'bot' }, 'bound-1');
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const state = await pending(res.body.id);
    expect(state.request.agent.onBehalfOf).toBe('dana@example.com');
    const decision = await h.api('dana@example.com', `/v1/actions/${res.body.id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(decision.status).toBe(403);
    expect(decision.body.type).toBe('urn:airlock:problem:self-approval');
  });

  it('refuses a body that names someone else (400 naming agent.onBehalfOf), and accepts one that agrees', async () => {
    const other = await submit('dana-agent@example.com', { onBehalfOf: 'dev@example.com' }, 'bound-2');
    expect(other.status).toBe(400);
    expect(other.body).toMatchObject({ type: 'urn:airlock:problem:invalid-body', field: 'agent.onBehalfOf' });
    const none = await submit('dana-agent@example.com', undefined, 'bound-3');
    expect(none.status).toBe(202);
    expect((await pending(none.body.id)).request.agent.onBehalfOf).toBe('dana@example.com');
    const same = await submit('dana-agent@example.com', { onBehalfOf: 'Dana@Example.com' }, 'bound-4');
    expect(same.status).toBe(202);
  });
});
