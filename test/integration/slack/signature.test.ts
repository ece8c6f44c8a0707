// Request signatures on POST /slack/events: a click signed with another secret, replayed after
// five minutes, dated in the future, unsigned, tampered with after signing, or signed with another
// scheme version is a 401 and reaches nothing (no decision, no answer, no modal). The same click
// correctly signed is the control: it decides.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest } from '../core/fixtures.js';
import {
  cardFor,
  clickPayload,
  ephemeralFor,
  postToSlackEvents,
  type SlackWorld,
  sign,
  startSlackWorld,
  stateOf,
  waitForState,
} from './support.js';

let w: SlackWorld;
let id: string;
let click: ReturnType<typeof clickPayload>;

beforeAll(async () => {
  w = await startSlackWorld();
  const res = await w.h.api('ci@example.com', '/v1/actions', {
    body: httpRequest({ parameters: { method: 'POST', path: '/config', body: { m: 'slack-sig-1' } } }),
  });
  id = res.body.id;
  click = clickPayload(w, await cardFor(w, id), 'airlock_approve', 'U0DANA');
});

afterAll(async () => {
  await w?.stop();
});

const now = () => Math.floor(Date.now() / 1000);

describe('Slack request signatures', () => {
  const refused: [string, () => Promise<{ status: number }>][] = [
    ['a signature made with another secret', () => postToSlackEvents(w, click, { secret: 'not-the-secret' })],
    [
      'a timestamp older than five minutes (replay)',
      // A minute past the window each way: the request may take a second or two to arrive.
      () => postToSlackEvents(w, click, { timestamp: now() - 360 }),
    ],
    [
      'a timestamp more than five minutes ahead',
      () => postToSlackEvents(w, click, { timestamp: now() + 360 }),
    ],
    ['no signature headers', () => postToSlackEvents(w, click, { omitHeaders: true })],
    [
      'a body changed after signing',
      async () => {
        const ts = now();
        const body = new URLSearchParams({ payload: JSON.stringify(click) }).toString();
        const res = await fetch(`${w.h.url}/slack/events`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-slack-request-timestamp': String(ts),
            'x-slack-signature': sign(w.secret, ts, body.replace('U0DANA', 'U0DANB')),
          },
          body,
        });
        return { status: res.status };
      },
    ],
    [
      'another signature version',
      async () => {
        const ts = now();
        const body = new URLSearchParams({ payload: JSON.stringify(click) }).toString();
        const v1 = sign(w.secret, ts, body).replace(/^v0=/, 'v1=');
        return postToSlackEvents(w, click, { timestamp: ts, signature: v1 });
      },
    ],
  ];

  for (const [what, send] of refused) {
    it(`answers 401 to ${what}`, async () => {
      const res = await send();
      expect(res.status).toBe(401);
    });
  }

  it('let none of those reach the workflow or the clicker', async () => {
    await new Promise((r) => setTimeout(r, 500));
    const s = await stateOf(w, id);
    expect(s.status).toBe('pending_approval');
    expect(s.decisions).toHaveLength(0);
    expect(s.refusedAttempts).toHaveLength(0);
    expect(w.slack.ephemerals).toHaveLength(0);
  });

  it('decides on the same click correctly signed (the control)', async () => {
    const before = Date.now();
    const res = await postToSlackEvents(w, click);
    expect(res.status).toBe(200);
    await ephemeralFor(w, 'U0DANA', before);
    const s = await waitForState(w, id, (x) => x.decisions.length === 1, 'decision');
    expect(s.decidedBy).toBe('dana@example.com');
  });

  it('answers the Events API URL check only when signed', async () => {
    const challenge = { type: 'url_verification', token: 'x', challenge: 'c-123' };
    const body = JSON.stringify(challenge);
    const ts = now();
    const post = (signature: string) =>
      fetch(`${w.h.url}/slack/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-slack-request-timestamp': String(ts),
          'x-slack-signature': signature,
        },
        body,
      });
    expect((await post(sign('wrong', ts, body))).status).toBe(401);
    const ok = await post(sign(w.secret, ts, body));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ challenge: 'c-123' });
  });
});
