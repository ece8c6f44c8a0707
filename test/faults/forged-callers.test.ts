// Fault case 7: forged Slack signatures, forged or replayed Teams tokens, replayed approval
// (gate/callback) tokens. Against the real service with the Slack and Teams fakes: each is refused
// (401/403/409 as the service answers it), decides nothing, runs nothing on the executor target,
// and is recorded (attempt.refused in the workflow and the audit trail for decision attempts; a
// warn log line and airlock_webhook_refused_total{channel,reason} for webhook requests that never
// authenticate). The audit chain verifies at the end.
//
// What the service does about replays, and why:
// - Slack: a signature over "v0:<timestamp>:<body>" and a five-minute timestamp window (Slack's own
//   rule; no nonce exists). An exact replay inside the window authenticates again; what stops it is
//   the decision layer (the same approver twice is `already_decided`, recorded).
// - Teams: Bot Framework tokens are bearer tokens for the channel (about an hour), not bound to an
//   activity; replay inside their lifetime is likewise stopped by the workflow's rules.
// - Gate tokens are single use: the workflow refuses a second redeem (409) and records it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/harness.js';
import {
  type ChannelsWorld,
  type LogLine,
  sendToSlack,
  slackCard,
  slackClick,
  slackDelivery,
  startChannelsWorld,
  teamsButton,
} from './channels-world.js';
import { callsWith, expectChainIntact } from './support.js';

let w: ChannelsWorld;
const ids: Record<string, string> = {};

const SLACK_REFUSED = 'slack request refused: signature did not verify';
const TEAMS_REFUSED = 'teams: refused an unauthenticated activity';
const now = () => Math.floor(Date.now() / 1000);

async function submit(body: Record<string, unknown>): Promise<string> {
  const res = await w.h.api('ci@example.com', '/v1/actions', { body });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id as string;
}

const httpAction = (action: string, marker: string) => ({
  action,
  resource: 'admin-api:/config',
  environment: 'production',
  parameters: { method: 'POST', path: '/config', body: { marker } },
  justification: 'fault case 7: forged callers',
});

const gateAction = (image: string) => ({
  action: 'gate.deploy',
  resource: 'k8s://prod/api',
  environment: 'production',
  justification: 'fault case 7: replayed gate tokens',
  parameters: { image },
});

const stateOf = async (id: string) => (await w.h.api('audit@example.com', `/v1/actions/${id}`)).body;
const auditOf = async (id: string) =>
  (await w.h.api('audit@example.com', `/v1/actions/${id}/audit`)).body.events as {
    type: string;
    actor: string;
    data: Record<string, unknown>;
  }[];
const refusedLines = (msg: string, since: number): LogLine[] =>
  w.logs.slice(since).filter((l) => l.msg === msg);
/** airlock_webhook_refused_total by reason, for one channel (the API's /metrics). */
async function webhookRefused(channel: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${w.h.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('airlock_webhook_refused_total{') || !line.includes(`channel="${channel}"`))
      continue;
    const reason = /reason="([^"]*)"/.exec(line)?.[1] ?? '';
    out[reason] = (out[reason] ?? 0) + Number(line.split(' ').at(-1));
  }
  return out;
}
const delta = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, v]) => v !== 0),
  );

/** Nothing decided, nothing refused inside the workflow, still waiting: the request is as it was. */
async function expectUntouched(id: string): Promise<void> {
  const s = await stateOf(id);
  expect(s.status).toBe('pending_approval');
  expect(s.decisions).toEqual([]);
  expect(s.refusedAttempts).toEqual([]);
}

beforeAll(async () => {
  w = await startChannelsWorld();
  ids.slack = await submit(httpAction('http.config.update', 'forged-slack'));
  ids.teams = await submit(httpAction('http.config.update', 'forged-teams'));
  ids.slackReplay = await submit(httpAction('http.twoperson', 'replay-slack'));
  ids.teamsReplay = await submit(httpAction('http.twoperson', 'replay-teams'));
  ids.gate = await submit(gateAction('api:42'));
  ids.otherGate = await submit(gateAction('api:43'));
}, 180_000);

afterAll(async () => {
  await w?.stop();
});

describe('fault 7: forged and replayed callers', () => {
  it('Slack: a forged signature and a stale (replayed) timestamp are 401, decide nothing, and are logged', async () => {
    const card = await slackCard(w, ids.slack!);
    const click = slackClick(w, card, 'airlock_approve', 'U0DANA');
    const logsBefore = w.logs.length;
    const countedBefore = await webhookRefused('slack');
    const attempts: [string, ReturnType<typeof slackDelivery>, string][] = [
      ['signed with another secret', slackDelivery(w, click, { secret: 'forged' }), 'signature mismatch'],
      // A captured click sent again six minutes later: correctly signed, outside the window.
      [
        'replayed after the window',
        slackDelivery(w, click, { timestamp: now() - 360 }),
        'timestamp outside the five-minute window',
      ],
      [
        'dated in the future',
        slackDelivery(w, click, { timestamp: now() + 360 }),
        'timestamp outside the five-minute window',
      ],
    ];
    for (const [what, delivery] of attempts) {
      const res = await sendToSlack(w, delivery);
      expect(res.status, what).toBe(401);
      const problem = JSON.parse(res.text);
      expect(problem.type, what).toBe('urn:airlock:problem:unauthenticated');
      expect(problem.status, what).toBe(401);
    }
    // Tampered after signing: dana's click re-addressed to another user, same signature.
    const signed = slackDelivery(w, click);
    const tampered = { ...signed, body: signed.body.replace('U0DANA', 'U0SAM') };
    expect((await sendToSlack(w, tampered)).status).toBe(401);

    const lines = refusedLines(SLACK_REFUSED, logsBefore);
    expect(lines.map((l) => l.reason)).toEqual([...attempts.map((a) => a[2]), 'signature mismatch']);
    // And counted: airlock_webhook_refused_total{channel="slack",reason}.
    expect(delta(await webhookRefused('slack'), countedBefore)).toEqual({ signature: 2, stale_timestamp: 2 });
    await new Promise((r) => setTimeout(r, 300));
    await expectUntouched(ids.slack!);
    expect(w.slack.ephemerals.filter((e) => e.user === 'U0DANA' || e.user === 'U0SAM')).toEqual([]);
  });

  it('Slack: a click replayed exactly (same signature and timestamp) is refused by the workflow and recorded', async () => {
    const id = ids.slackReplay!;
    const delivery = slackDelivery(w, slackClick(w, await slackCard(w, id), 'airlock_approve', 'U0DANA'));
    expect((await sendToSlack(w, delivery)).status).toBe(200);
    await eventually(
      async () => ((await stateOf(id)).decisions.length === 1 ? true : undefined),
      15_000,
      'first approval',
    );
    // The same bytes again, inside the five-minute window: authenticated (Slack has no nonce).
    expect((await sendToSlack(w, delivery)).status).toBe(200);
    const s = await eventually(
      async () => {
        const x = await stateOf(id);
        return x.refusedAttempts.length > 0 ? x : undefined;
      },
      15_000,
      'the replay to be refused',
    );
    expect(s.status).toBe('pending_approval');
    expect(s.decisions).toHaveLength(1);
    expect(s.refusedAttempts).toEqual([
      expect.objectContaining({ code: 'already_decided', actor: 'dana@example.com', channel: 'slack' }),
    ]);
    const refused = (await auditOf(id)).filter((e) => e.type === 'attempt.refused');
    expect(refused).toEqual([expect.objectContaining({ actor: 'dana@example.com' })]);
    expect(refused[0]!.data.code).toBe('already_decided');
  });

  it('Teams: a token signed by another key, for another audience, or expired is 401, decides nothing, and is logged', async () => {
    const { message, button } = await teamsButton(w, ids.teams!, 'airlock.approve');
    const click = () => w.teams.click(w.dba, w.users.dana, message.id, button);
    const logsBefore = w.logs.length;
    const countedBefore = await webhookRefused('teams');
    const connectorCalls = w.teams.calls.length;
    const attempts: [string, Parameters<typeof w.teams.deliver>[2]][] = [
      ['signed by another key', { tokenOptions: { otherKey: true } }],
      ['for another audience', { tokenOptions: { audience: '11111111-1111-4111-8111-111111111111' } }],
      ['expired', { tokenOptions: { expired: true } }],
      ['from another issuer', { tokenOptions: { issuer: 'https://api.botframework.com' } }],
      ['without a token', { token: null }],
      ['not a JWT', { token: 'not-a-token' }],
    ];
    for (const [what, auth] of attempts) {
      const res = await w.teams.deliver(w.h.url, click(), auth);
      expect(res.status, what).toBe(401);
    }
    // Each refusal left one warn line with its reason.
    const lines = refusedLines(TEAMS_REFUSED, logsBefore);
    expect(lines).toHaveLength(attempts.length);
    for (const l of lines) expect(typeof l.reason).toBe('string');
    // And counted: airlock_webhook_refused_total{channel="teams",reason}.
    expect(delta(await webhookRefused('teams'), countedBefore)).toEqual({ token: 5, issuer: 1 });
    // An activity without a serviceUrl (botframework would skip its claim check): refused, counted.
    const noServiceUrl = await w.teams.deliver(w.h.url, { ...click(), serviceUrl: undefined });
    expect(noServiceUrl.status).toBe(401);
    expect(delta(await webhookRefused('teams'), countedBefore)).toEqual({
      token: 5,
      issuer: 1,
      no_service_url: 1,
    });
    await new Promise((r) => setTimeout(r, 300));
    await expectUntouched(ids.teams!);
    expect(w.teams.calls.length).toBe(connectorCalls);
  });

  it('Teams: an activity replayed with its token is refused by the workflow and recorded', async () => {
    const id = ids.teamsReplay!;
    const { message, button } = await teamsButton(w, id, 'airlock.approve');
    const activity = w.teams.click(w.dba, w.users.dana, message.id, button);
    const token = await w.teams.channelToken();
    const first = await w.teams.deliver(w.h.url, activity, { token });
    expect(first.status).toBe(200);
    await eventually(
      async () => ((await stateOf(id)).decisions.length === 1 ? true : undefined),
      15_000,
      'first approval',
    );
    const replay = await w.teams.deliver(w.h.url, activity, { token });
    expect(replay.status).toBe(200);
    expect(JSON.stringify(replay.body)).toMatch(/Refused: you have already decided/);
    const s = await stateOf(id);
    expect(s.status).toBe('pending_approval');
    expect(s.decisions).toHaveLength(1);
    expect(s.refusedAttempts).toEqual([
      expect.objectContaining({ code: 'already_decided', actor: 'dana@example.com', channel: 'teams' }),
    ]);
    const refused = (await auditOf(id)).filter((e) => e.type === 'attempt.refused');
    expect(refused.map((e) => e.data.code)).toEqual(['already_decided']);
  });

  it('gate mode: a replayed approval token is 409 and recorded; a forged one or another request’s is 401', async () => {
    for (const id of [ids.gate!, ids.otherGate!]) {
      await eventually(
        async () => ((await stateOf(id)).status === 'pending_approval' ? true : undefined),
        15_000,
        `${id} pending`,
      );
      const d = await w.h.api('dana@example.com', `/v1/actions/${id}/decisions`, {
        body: { decision: 'approve' },
      });
      expect(d.status).toBe(200);
    }
    const tokenOf = (id: string) =>
      eventually(
        async () => {
          const s = (await w.h.api('ci@example.com', `/v1/actions/${id}`)).body;
          return s.status === 'approved' && s.approvalToken ? (s.approvalToken as string) : undefined;
        },
        15_000,
        `approval token of ${id}`,
      );
    const token = await tokenOf(ids.gate!);
    await tokenOf(ids.otherGate!);
    const redeem = (id: string, t: string) =>
      w.h.api('ci@example.com', `/v1/actions/${id}/redeem`, { body: { token: t } });

    expect((await redeem(ids.gate!, token)).status).toBe(200);
    const again = await redeem(ids.gate!, token);
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(again.body.type).toBe('urn:airlock:problem:token-already-redeemed');

    // The same token on another request, and a token with its signature changed: 401.
    const otherRequest = await redeem(ids.otherGate!, token);
    expect(otherRequest.status).toBe(401);
    expect(otherRequest.body.type).toBe('urn:airlock:problem:invalid-token');
    const sig = token.slice(token.lastIndexOf('.') + 1);
    const forged = `${token.slice(0, token.lastIndexOf('.') + 1)}${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    expect((await redeem(ids.gate!, forged)).status).toBe(401);

    // The forged token's refusal goes to the workflow as a signal: it lands just after the 401.
    const refusedCodes = async (id: string) =>
      (await auditOf(id)).filter((e) => e.type === 'attempt.refused').map((e) => e.data.code);
    await eventually(
      async () => ((await refusedCodes(ids.gate!)).length === 2 ? true : undefined),
      10_000,
      'refusals',
    );
    const gate = await auditOf(ids.gate!);
    expect(gate.filter((e) => e.type === 'gate.redeemed')).toHaveLength(1);
    expect(await refusedCodes(ids.gate!)).toEqual(['token_already_redeemed', 'invalid_token']);
    expect((await stateOf(ids.gate!)).status).toBe('executing');
    // The other request is untouched: still approved, its own token unredeemed.
    const other = await stateOf(ids.otherGate!);
    expect(other.status).toBe('approved');
    expect((await auditOf(ids.otherGate!)).some((e) => e.type === 'gate.redeemed')).toBe(false);
  });

  // A token that fails verification never reaches the workflow's redeem; the API reports it.
  it('gate mode: a token of another request is recorded as a refused attempt', async () => {
    const codes = await eventually(
      async () => {
        const events = await auditOf(ids.otherGate!);
        const found = events.filter((e) => e.type === 'attempt.refused').map((e) => e.data.code);
        return found.length > 0 ? found : undefined;
      },
      10_000,
      'refusal on the other request',
    );
    expect(codes).toEqual(['invalid_token']);
  });

  it('none of it ran anything, the refusals are counted, and the audit chain verifies', async () => {
    for (const marker of ['forged-slack', 'forged-teams', 'replay-slack', 'replay-teams']) {
      expect(callsWith(w.target, marker).calls, marker).toEqual([]);
    }
    await expectUntouched(ids.slack!);
    await expectUntouched(ids.teams!);
    // The worker counts attempt.refused events as it appends them (airlock_refused_attempts_total).
    const count = async (code: string) =>
      (await (await fetch(`${w.h.url}/metrics`)).text())
        .split('\n')
        .filter((l) => l.startsWith('airlock_refused_attempts_total{') && l.includes(`code="${code}"`))
        .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    await eventually(
      async () => ((await count('already_decided')) === 2 ? true : undefined),
      10_000,
      'counted',
    );
    expect(await count('token_already_redeemed')).toBe(1);
    expect(await count('invalid_token')).toBe(2);
    await expectChainIntact(w.h);
    expect((await fetch(`${w.h.url}/healthz`)).status).toBe(200);
  });
});
