// Fault case 4: the chat channel (a fake standing in for Teams or Slack) fails while requests
// arrive. API decisions keep working meanwhile, the failure is in the audit trail, and the card
// arrives once the channel recovers (the workflow posts it again with backoff: 5 s, 10 s, ...),
// after which a decision still updates it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpTargetFake, startHttpTarget } from '../fakes/http-target.js';
import { RecordingChannel } from '../fakes/recording-channel.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../integration/core/fixtures.js';
import { eventually, type Harness, startHarness } from '../support/harness.js';
import { callsWith, expectAuditIntact, size, waitForStatus } from './support.js';

let h: Harness;
let target: HttpTargetFake;
const channel = new RecordingChannel();

beforeAll(async () => {
  target = await startHttpTarget();
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused'),
    principals: PRINCIPALS,
    channels: [channel],
  });
}, 180_000);

afterAll(async () => {
  await h?.stop();
  await target?.close();
});

async function submit(marker: string): Promise<string> {
  const res = await h.api('ci@example.com', '/v1/actions', {
    body: httpRequest({ parameters: { method: 'POST', path: '/ch', body: { m: marker } } }),
  });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

describe('fault 4: the chat channel down', () => {
  it('still takes decisions over the API, and records that the card was not posted', async () => {
    channel.failing.add('dba-chat');
    try {
      const id = await submit('ch-api-');
      await waitForStatus(h, id, ['pending_approval']);
      const decided = await h.api('dana@example.com', `/v1/actions/${id}/decisions`, {
        body: { decision: 'approve' },
      });
      expect(decided.status).toBe(200);
      await waitForStatus(h, id, ['succeeded']);
      expect(callsWith(target, 'ch-api-').effects).toBe(1);
      await expectAuditIntact(h, id);
      const audit = await h.api('audit@example.com', `/v1/actions/${id}/audit`);
      expect(audit.body.events.some((e: { type: string }) => e.type === 'notify.failed')).toBe(true);
    } finally {
      channel.failing.clear();
    }
  }, 120_000);

  it('posts the card once the channel recovers, and keeps it in step afterwards', async () => {
    channel.failing.add('dba-chat');
    const id = await submit('ch-recover-');
    await waitForStatus(h, id, ['pending_approval']);
    await new Promise((r) => setTimeout(r, size(3_000, 60_000)));
    expect(channel.to('dba-chat').some((m) => m.versions[0]?.requestId === id)).toBe(false);
    channel.failing.clear();
    await eventually(
      async () => (channel.to('dba-chat').some((m) => m.versions[0]?.requestId === id) ? true : undefined),
      size(15_000, 180_000),
      'the card after recovery',
    );
    const decided = await h.api('dana@example.com', `/v1/actions/${id}/decisions`, {
      body: { decision: 'approve' },
    });
    expect(decided.status).toBe(200);
    await waitForStatus(h, id, ['succeeded']);
    expect(callsWith(target, 'ch-recover-').effects).toBe(1);
    const card = channel.to('dba-chat').find((m) => m.versions[0]?.requestId === id);
    await eventually(
      async () => (card?.versions.at(-1)?.status === 'succeeded' ? true : undefined),
      15_000,
      'the re-posted card to show the outcome',
    );
    const audit = await h.api('audit@example.com', `/v1/actions/${id}/audit`);
    const types = audit.body.events.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['notify.failed', 'notify.recovered']));
    await expectAuditIntact(h, id);
  }, 400_000);
});
