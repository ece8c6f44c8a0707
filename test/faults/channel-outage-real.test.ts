// Fault case 4 through the real channel adapters: the Slack Web API fake answering HTTP 503 and the
// Bot Connector fake answering 503 for a while (~10 s short, a minute full). Meanwhile a request
// still takes a decision over the API and executes once; the request that waits for a card gets it
// in each failed channel after recovery (the workflow posts it again with backoff, 5 s doubling,
// and records `notify.recovered`), exactly once per channel, and a click on that card decides it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/harness.js';
import {
  type ChannelsWorld,
  executeActions,
  sendToSlack,
  slackCard,
  slackClick,
  slackDelivery,
  startChannelsWorld,
  teamsButton,
  teamsCards,
} from './channels-world.js';
import { callsWith, expectAuditIntact, expectChainIntact, size, waitForStatus } from './support.js';

const OUTAGE_MS = size(10_000, 60_000);
/** Reposts come 5, 15, 35, 75, 155 s after the first try; the Teams client retries a 503 a few times too. */
const ARRIVAL_MS = size(60_000, 180_000);

let w: ChannelsWorld;

beforeAll(async () => {
  w = await startChannelsWorld();
}, 180_000);

afterAll(async () => {
  await w?.stop();
});

async function submit(marker: string): Promise<string> {
  const res = await w.h.api('ci@example.com', '/v1/actions', {
    body: {
      action: 'http.config.update',
      resource: 'admin-api:/config',
      environment: 'production',
      parameters: { method: 'POST', path: '/config', body: { marker } },
      justification: 'fault case 4: chat channels down',
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id as string;
}

const auditTypes = async (id: string): Promise<string[]> =>
  (await w.h.api('audit@example.com', `/v1/actions/${id}/audit`)).body.events.map(
    (e: { type: string }) => e.type,
  );
const slackCardsFor = (id: string) => w.slack.cardsFor(id).filter((m) => m.channel === 'C0DBA');
const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
const log = (msg: string) => console.log(`[channel-outage-real] ${msg}`);
/** The card posts each fake saw since `since` (ms after it, and the answer), for the log. */
const postsSince = (since: number) => ({
  slack: w.slack.calls
    .filter((c) => c.method === 'chat.postMessage' && (c.at ?? 0) >= since)
    .map((c) => `${(c.at ?? 0) - since}:${c.ok ? 'ok' : c.error}`),
  teams: w.teams.calls
    .filter((c) => c.method === 'POST' && (c.at ?? 0) >= since)
    .map((c) => `${(c.at ?? 0) - since}:${c.status}`),
});

/** After a card click: the action ran once, each channel holds one card, the trail tells the outage. */
async function expectDecidedOnceWithOneCardEach(
  id: string,
  marker: string,
  outageStart: number,
): Promise<void> {
  await waitForStatus(w.h, id, ['succeeded']);
  expect(callsWith(w.target, marker).effects).toBe(1);
  expect(slackCardsFor(id)).toHaveLength(1);
  expect(teamsCards(w, id)).toHaveLength(1);
  expect(await auditTypes(id)).toEqual(expect.arrayContaining(['notify.failed', 'notify.recovered']));
  log(`card posts (ms after the outage began): ${JSON.stringify(postsSince(outageStart))}`);
  await expectAuditIntact(w.h, id);
  await expectChainIntact(w.h);
}

describe('fault 4: Slack and Teams down (real adapters, fake APIs)', () => {
  it('decides over the API meanwhile, and posts the cards once each after recovery', async () => {
    const start = Date.now();
    w.slack.fail(OUTAGE_MS);
    w.teams.fail(OUTAGE_MS);
    const recoversAt = start + OUTAGE_MS;
    try {
      const waiting = await submit('out-card-');
      const byApi = await submit('out-api-');
      await waitForStatus(w.h, waiting, ['pending_approval']);
      await waitForStatus(w.h, byApi, ['pending_approval']);

      // While both channels fail, the API still decides, and the request executes once.
      const decided = await w.h.api('dana@example.com', `/v1/actions/${byApi}/decisions`, {
        body: { decision: 'approve' },
      });
      expect(decided.status, JSON.stringify(decided.body)).toBe(200);
      const decidedAt = Date.now();
      await waitForStatus(w.h, byApi, ['succeeded']);
      log(`API decision ${decidedAt - start} ms, succeeded ${Date.now() - start} ms into the outage`);
      expect(decidedAt).toBeLessThan(recoversAt);
      expect(callsWith(w.target, 'out-api-').effects).toBe(1);
      await expectAuditIntact(w.h, byApi);

      // The failure is recorded; no card got through.
      await eventually(
        async () => ((await auditTypes(waiting)).includes('notify.failed') ? true : undefined),
        30_000,
        'notify.failed for the waiting request',
      );
      expect(w.slack.calls.some((c) => c.error === 'outage:http_503')).toBe(true);
      expect(w.teams.calls.some((c) => c.status === 503)).toBe(true);
      if (Date.now() < recoversAt) {
        expect(slackCardsFor(waiting)).toHaveLength(0);
        expect(teamsCards(w, waiting)).toHaveLength(0);
      }

      // After recovery, the cards arrive in both channels.
      await sleepUntil(recoversAt);
      // The fakes end the outage on a timer of their own, due at the same moment as ours.
      await eventually(
        async () => (w.slack.failing || w.teams.failing ? undefined : true),
        2_000,
        'recovery',
      );
      expect(w.slack.failing || w.teams.failing).toBe(false);
      const card = await eventually(async () => slackCardsFor(waiting)[0], ARRIVAL_MS, 'the Slack card');
      log(`Slack card ${Date.now() - recoversAt} ms after recovery`);
      await eventually(async () => teamsCards(w, waiting)[0], ARRIVAL_MS, 'the Teams card');
      log(`Teams card ${Date.now() - recoversAt} ms after recovery`);
      await eventually(
        async () => ((await auditTypes(waiting)).includes('notify.recovered') ? true : undefined),
        15_000,
        'notify.recovered',
      );

      // A click on the re-posted Slack card decides it; the action runs once.
      const clicked = await sendToSlack(
        w,
        slackDelivery(w, slackClick(w, (await slackCard(w, waiting)) ?? card, 'airlock_approve', 'U0DANA')),
      );
      expect(clicked.status).toBe(200);
      await waitForStatus(w.h, waiting, ['succeeded']);
      expect(callsWith(w.target, 'out-card-').effects).toBe(1);
      // Both cards are brought in step with the outcome.
      await eventually(
        async () =>
          slackCardsFor(waiting)[0]!.versions.length > 1 &&
          (teamsCards(w, waiting)[0]?.versions.length ?? 0) > 1
            ? true
            : undefined,
        30_000,
        'both cards updated after the decision',
      );
      // Exactly one card per channel, for either request (the API-decided one never needed one).
      expect(slackCardsFor(waiting)).toHaveLength(1);
      expect(teamsCards(w, waiting)).toHaveLength(1);
      expect(slackCardsFor(byApi)).toHaveLength(0);
      expect(teamsCards(w, byApi)).toHaveLength(0);
      // notify.recovered names each failed channel once.
      const events = (await w.h.api('audit@example.com', `/v1/actions/${waiting}/audit`)).body.events as {
        type: string;
        data: { channels?: string[] };
      }[];
      const recovered = events
        .filter((e) => e.type === 'notify.recovered')
        .flatMap((e) => e.data.channels ?? []);
      expect(recovered.sort()).toEqual(['slack:dba-slack', 'teams:dba-teams']);
      log(`card posts (ms after the outage began): ${JSON.stringify(postsSince(start))}`);
      await expectAuditIntact(w.h, waiting);
      await expectChainIntact(w.h);
    } finally {
      w.slack.recover();
      w.teams.recover();
    }
  }, 400_000);

  it('Teams alone down: the Slack card is there at once, the Teams card after recovery, and it decides', async () => {
    const start = Date.now();
    w.teams.fail(OUTAGE_MS);
    const recoversAt = start + OUTAGE_MS;
    try {
      const id = await submit('out-teams-');
      await waitForStatus(w.h, id, ['pending_approval']);
      await slackCard(w, id);
      log(`Slack card ${Date.now() - start} ms into the Teams outage`);
      expect(Date.now()).toBeLessThan(recoversAt);
      expect(teamsCards(w, id)).toHaveLength(0);
      await sleepUntil(recoversAt);
      const { message, button } = await eventually(
        async () => (teamsCards(w, id).length > 0 ? teamsButton(w, id, 'airlock.approve') : undefined),
        ARRIVAL_MS,
        'the Teams card',
      );
      log(`Teams card ${Date.now() - recoversAt} ms after recovery`);
      const res = await w.teams.deliver(w.h.url, w.teams.click(w.dba, w.users.dana, message.id, button));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      await expectDecidedOnceWithOneCardEach(id, 'out-teams-', start);
    } finally {
      w.teams.recover();
    }
  }, 400_000);

  it('Slack alone down (ok:false service_unavailable): the Teams card at once, the Slack card after recovery, and it decides', async () => {
    const start = Date.now();
    w.slack.fail(OUTAGE_MS, 'service_unavailable');
    const recoversAt = start + OUTAGE_MS;
    try {
      const id = await submit('out-slack-');
      await waitForStatus(w.h, id, ['pending_approval']);
      await teamsButton(w, id, 'airlock.approve');
      log(`Teams card ${Date.now() - start} ms into the Slack outage`);
      expect(Date.now()).toBeLessThan(recoversAt);
      expect(slackCardsFor(id)).toHaveLength(0);
      await sleepUntil(recoversAt);
      const card = await eventually(async () => slackCardsFor(id)[0], ARRIVAL_MS, 'the Slack card');
      log(`Slack card ${Date.now() - recoversAt} ms after recovery`);
      const clicked = await sendToSlack(
        w,
        slackDelivery(w, slackClick(w, card, 'airlock_approve', 'U0DANA')),
      );
      expect(clicked.status).toBe(200);
      await expectDecidedOnceWithOneCardEach(id, 'out-slack-', start);
    } finally {
      w.slack.recover();
    }
  }, 400_000);

  // A connector that stops answering (no error, no reply): before each channel call had its own
  // time limit, the card activity timed out at 30 s and was retried whole, posting the Slack card
  // again, and the first attempt's late Teams card was never tracked (2 cards in each channel).
  it('Teams hanging: one Slack card, one live Teams card once it answers again (late copies superseded)', async () => {
    const hangMs = size(15_000, 40_000);
    const start = Date.now();
    w.teams.fail(hangMs, 'hang');
    try {
      const id = await submit('hang-teams-');
      await waitForStatus(w.h, id, ['pending_approval']);
      await eventually(async () => slackCardsFor(id)[0], 10_000, 'the Slack card');
      await sleepUntil(start + hangMs);
      await eventually(async () => teamsCards(w, id)[0], ARRIVAL_MS, 'the Teams card');
      log(`Teams card ${Date.now() - start - hangMs} ms after the connector answered again`);
      // Long enough for a retried activity to have posted again, had it been retried.
      await new Promise((r) => setTimeout(r, 5_000));
      expect(slackCardsFor(id)).toHaveLength(1);
      // One live Teams card; a copy the connector took after it was given up on (its own client
      // retries a 503) is marked superseded, without buttons.
      const live = teamsCards(w, id).filter(
        (m) => executeActions(m.versions.at(-1)?.attachments?.[0]?.content).length > 0,
      );
      expect(live).toHaveLength(1);
      log(`Teams cards: ${teamsCards(w, id).length} (live ${live.length})`);
      expect(await auditTypes(id)).toEqual(expect.arrayContaining(['notify.failed', 'notify.recovered']));
      log(`card posts (ms after the hang began): ${JSON.stringify(postsSince(start))}`);
      // The live card's button (the superseded copies have none).
      const message = live[0]!;
      const button = executeActions(message.versions.at(-1)?.attachments?.[0]?.content).find(
        (a) => a.verb === 'airlock.approve',
      );
      expect(button).toBeDefined();
      const res = await w.teams.deliver(w.h.url, w.teams.click(w.dba, w.users.dana, message.id, button!));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      await waitForStatus(w.h, id, ['succeeded']);
      expect(callsWith(w.target, 'hang-teams-').effects).toBe(1);
      await expectAuditIntact(w.h, id);
    } finally {
      w.teams.recover();
    }
  }, 400_000);
});
