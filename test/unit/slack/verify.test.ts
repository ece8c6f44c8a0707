// Slack's v0 request signature: HMAC-SHA256 over "v0:<timestamp>:<raw body>" with the signing
// secret, a five-minute window on both sides of now, and nothing but a well-formed v0 signature.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkSlackSignature } from '../../../bots/slack/verify.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = 1_700_000_000;
const body = Buffer.from('payload=%7B%22type%22%3A%22block_actions%22%7D');
const sig = (ts: number | string, raw: Buffer = body, secret = SECRET) =>
  `v0=${createHmac('sha256', secret).update(`v0:${ts}:`).update(raw).digest('hex')}`;

const check = (timestamp: string | undefined, signature: string | undefined, raw = body) =>
  checkSlackSignature({ signingSecret: SECRET, timestamp, signature, rawBody: raw, nowSeconds: NOW });

describe('checkSlackSignature', () => {
  it('accepts a request Slack signed within the window', () => {
    expect(check(String(NOW), sig(NOW))).toEqual({ ok: true });
    expect(check(String(NOW - 300), sig(NOW - 300))).toEqual({ ok: true });
    expect(check(String(NOW + 300), sig(NOW + 300))).toEqual({ ok: true });
  });

  it.each([
    ['no headers', undefined, undefined, 'missing signature headers'],
    ['a stale timestamp', String(NOW - 301), sig(NOW - 301), 'timestamp outside the five-minute window'],
    ['a future timestamp', String(NOW + 301), sig(NOW + 301), 'timestamp outside the five-minute window'],
    ['a timestamp that is not a number', '17e8', sig('17e8'), 'malformed timestamp'],
    ['another scheme version', String(NOW), sig(NOW).replace('v0=', 'v1='), 'malformed signature'],
    ['a truncated signature', String(NOW), sig(NOW).slice(0, 40), 'malformed signature'],
    ['another secret', String(NOW), sig(NOW, body, 'other-secret'), 'signature mismatch'],
    ['a signature for another timestamp', String(NOW), sig(NOW - 1), 'signature mismatch'],
  ])('refuses %s', (_what, ts, signature, reason) => {
    expect(check(ts, signature)).toEqual({ ok: false, reason });
  });

  it('refuses a body changed after signing', () => {
    const changed = Buffer.from(body.toString().replace('block_actions', 'view_submission'));
    expect(check(String(NOW), sig(NOW), changed)).toEqual({ ok: false, reason: 'signature mismatch' });
  });
});
