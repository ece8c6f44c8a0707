// Stage timeouts for real (seconds-long stages): escalation to the next stage's approvers with
// the old cards marked, and expiry after the last stage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpTarget } from '../../fakes/http-target.js';
import { RecordingChannel } from '../../fakes/recording-channel.js';
import { eventually, type Harness, startHarness } from '../../support/harness.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from './fixtures.js';

let h: Harness;
let target: Awaited<ReturnType<typeof startHttpTarget>>;
const chat = new RecordingChannel();

beforeAll(async () => {
  target = await startHttpTarget();
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused'),
    principals: PRINCIPALS,
    channels: [chat],
  });
});

afterAll(async () => {
  await h?.stop();
  await target?.close();
});

async function waitFor(id: string, predicate: (s: any) => boolean, what: string) {
  return eventually(
    async () => {
      const res = await h.api('audit@example.com', `/v1/actions/${id}`);
      return predicate(res.body) ? res.body : undefined;
    },
    20_000,
    what,
  );
}

describe('escalation', () => {
  it('escalates to stage 2 when stage 1 times out, and a stage-2 approver approves', async () => {
    const res = await h.api('ci@example.com', '/v1/actions', {
      body: httpRequest({
        action: 'http.escalate',
        parameters: { method: 'POST', path: '/e', body: { m: 'esc-1' } },
      }),
    });
    const id = res.body.id as string;
    await waitFor(id, (s) => s.status === 'pending_approval' && s.stage?.number === 1, 'stage 1');
    // sam is only in stage 2: refused before the escalation.
    const early = await h.api('sam@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(early.status).toBe(403);
    const s2 = await waitFor(id, (s) => s.stage?.number === 2, 'stage 2');
    expect(s2.stage.approvers).toEqual(['oncall']);
    const oncallCard = await eventually(
      async () => chat.to('oncall-chat').find((m) => m.versions[0]?.requestId === id),
      10_000,
      'stage-2 card',
    );
    expect(oncallCard.stage).toBe(1);
    const dbaCard = chat.to('dba-chat').find((m) => m.versions[0]?.requestId === id)!;
    expect(dbaCard.replies.some((r) => /escalated/.test(r))).toBe(true);
    // The reminder came before the escalation, in the stage-1 card's thread.
    const reminder = dbaCard.replies.findIndex((r) =>
      /^Reminder: this request needs a decision before/.test(r),
    );
    expect(reminder).toBeGreaterThanOrEqual(0);
    expect(reminder).toBeLessThan(dbaCard.replies.findIndex((r) => /escalated/.test(r)));

    const ok = await h.api('sam@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(ok.status).toBe(200);
    const done = await waitFor(id, (s) => s.status === 'succeeded', 'succeeded');
    expect(done.decidedBy).toBe('sam@example.com');
    const audit = await h.api('audit@example.com', `/v1/actions/${id}/audit`);
    const types = audit.body.events.map((e: { type: string }) => e.type);
    expect(types).toContain('request.escalated');
    expect(types.indexOf('request.escalated')).toBeLessThan(types.indexOf('decision.recorded'));
  });

  it('expires after the last stage times out and runs nothing', async () => {
    const res = await h.api('ci@example.com', '/v1/actions', {
      body: httpRequest({
        action: 'http.escalate',
        parameters: { method: 'POST', path: '/e', body: { m: 'esc-2' } },
      }),
    });
    const id = res.body.id as string;
    const s = await waitFor(id, (x) => x.status === 'expired', 'expired');
    expect(s.endedAt).toBeDefined();
    expect(target.calls.some((c) => JSON.stringify(c.body ?? '').includes('esc-2'))).toBe(false);
    const late = await h.api('sam@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(late.status).toBe(409);
    const audit = await h.api('audit@example.com', `/v1/actions/${id}/audit`);
    const types = audit.body.events.map((e: { type: string }) => e.type);
    expect(types).toContain('request.expired');
    expect(types.filter((t: string) => t === 'attempt.refused')).toHaveLength(1);
    const cards = [...chat.messages.values()].filter((x) => x.versions[0]?.requestId === id);
    expect(cards).toHaveLength(2);
    await eventually(
      async () => (cards.every((m) => chat.latest(m).status === 'expired') ? true : undefined),
      10_000,
      'cards expired',
    );
    for (const m of cards) expect(chat.latest(m).actions).toBeUndefined();
  });
});
