// Fault case 6 (every endpoint but POST /v1/actions, which fuzz-submit covers): property-based
// fuzzing of the body, the headers, the query and the path id of each route the service serves,
// the Slack and Teams webhooks with random (signed and unsigned) payloads and tokens, and the
// policy file under hot reload. Whatever arrives: never a 5xx, no unhandled error logged, every API
// refusal a precise RFC 9457 problem body, and /healthz and /readyz still answer OK afterwards.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/harness.js';
import {
  type ChannelsWorld,
  channelsPolicy,
  PRINCIPALS,
  slackCard,
  slackClick,
  slackSign,
  startChannelsWorld,
  teamsButton,
} from './channels-world.js';
import { checkProperty, expectFieldRefused, expectProblem, poisonedBody, printable } from './fuzz-support.js';
import { FULL, size } from './support.js';

let w: ChannelsWorld;
/** Real request ids in several states, so the fuzzer also reaches live workflows. */
const real: Record<string, string> = {};
let cursor = '';
let gateToken = '';
let slackTemplate: Record<string, unknown>;
let teamsTemplate: Record<string, unknown>;
const tokens: Record<string, string> = {};
const statuses = new Map<string, Map<number, number>>();

const httpAction = (action: string, marker: string) => ({
  action,
  resource: 'admin-api:/config',
  environment: 'production',
  parameters: { method: 'POST', path: '/config', body: { marker } },
  justification: 'fault case 6: fuzzing every endpoint',
});

beforeAll(async () => {
  w = await startChannelsWorld();
  const submit = async (body: Record<string, unknown>) => {
    const res = await w.h.api('ci@example.com', '/v1/actions', { body });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.id as string;
  };
  real.pending = await submit(httpAction('http.config.update', 'fuzz-pending'));
  real.twoPerson = await submit(httpAction('http.twoperson', 'fuzz-two'));
  real.gate = await submit({
    action: 'gate.deploy',
    resource: 'k8s://prod/api',
    environment: 'production',
    justification: 'fault case 6: a gate request',
    parameters: { image: 'api:6' },
  });
  await eventually(async () =>
    (await w.h.api('audit@example.com', `/v1/actions/${real.gate}`)).body.status === 'pending_approval'
      ? true
      : undefined,
  );
  await w.h.api('dana@example.com', `/v1/actions/${real.gate}/decisions`, { body: { decision: 'approve' } });
  gateToken = await eventually(async () => {
    const s = (await w.h.api('ci@example.com', `/v1/actions/${real.gate}`)).body;
    return s.approvalToken as string | undefined;
  });
  cursor = (await w.h.api('audit@example.com', '/v1/actions?limit=1')).body.nextCursor ?? '';
  slackTemplate = slackClick(w, await slackCard(w, real.pending!), 'airlock_approve', 'U0DANA');
  const { message, button } = await teamsButton(w, real.twoPerson!, 'airlock.approve');
  teamsTemplate = w.teams.click(w.dba, w.users.sam, message.id, button);
  tokens.valid = await w.teams.channelToken();
  tokens.otherKey = await w.teams.channelToken({ otherKey: true });
  tokens.expired = await w.teams.channelToken({ expired: true });
  tokens.audience = await w.teams.channelToken({ audience: randomUUID() });
}, 180_000);

afterAll(async () => {
  if (w) {
    const summary = [...statuses].map(([k, m]) => `${k}: ${[...m].map(([s, n]) => `${s}x${n}`).join(' ')}`);
    process.stdout.write(`\nfuzz-endpoints statuses\n${summary.join('\n')}\n`);
  }
  await w?.stop();
});

// --- arbitraries ------------------------------------------------------------------------------

const contentTypeArb = fc.option(
  fc.oneof(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'application/x-www-form-urlencoded',
      'text/plain',
      'application/merge-patch+json',
      'multipart/form-data; boundary=x',
    ),
    printable(40),
  ),
  { nil: undefined },
);

const authArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...PRINCIPALS.map((p) => `key:${p.principal}`)) },
  fc.constant('none'),
  printable(80).map((s) => `Bearer ${s}`),
  printable(60),
);

const extraHeaderArb = fc.option(
  fc.oneof(
    fc.constantFrom<[string, string]>(
      ['content-encoding', 'gzip'],
      ['content-encoding', 'br'],
      ['content-encoding', 'x-unknown'],
      ['accept', 'application/xml'],
      ['origin', 'http://evil.example'],
      ['x-namespace', 'default'],
      ['idempotency-key', ''],
    ),
    fc.tuple(
      fc.constantFrom('x-request-id', 'idempotency-key', 'accept', 'origin', 'cookie'),
      printable(300),
    ),
  ),
  { nil: undefined },
);

/** Ids: the real ones, unknown ones, and things that are not ids at all. */
const idArb = () =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...Object.values(real)) },
    fc.uuid().map(String),
    fc.constantFrom(
      '..',
      '%2e%2e',
      '%00',
      '%E0%A4%A',
      'x'.repeat(300),
      '00000000-0000-0000-0000-000000000000',
      ' ',
    ),
    printable(50).map(encodeURIComponent),
  );

/** A valid body with fields dropped, replaced by arbitrary JSON, or extra fields added. */
const mutated = (valid: Record<string, unknown>, more: string[] = []) =>
  fc
    .record({
      drop: fc.subarray(Object.keys(valid)),
      replace: fc.dictionary(fc.constantFrom(...Object.keys(valid), ...more), fc.jsonValue({ maxDepth: 4 }), {
        maxKeys: 3,
      }),
      extra: fc.option(fc.dictionary(printable(20), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 })),
    })
    .map(({ drop, replace, extra }) => {
      const body: Record<string, unknown> = { ...valid, ...replace, ...(extra ?? {}) };
      for (const k of drop) delete body[k];
      return body;
    });

const bodyArb = (valid: () => fc.Arbitrary<Record<string, unknown>>) =>
  fc.oneof(
    { weight: 5, arbitrary: valid().map((b) => JSON.stringify(b)) },
    fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 200 }),
    fc.constant(''),
    fc.constant(undefined),
    fc.nat({ max: 60 }).map((d) => `${'['.repeat(d * 10)}${']'.repeat(d * 10)}`),
  );

const queryArb = (known: Record<string, fc.Arbitrary<string>>) => {
  const knownPairs = Object.entries(known).map(([k, v]) => v.map((x): [string, string] => [k, x]));
  const pairArb = knownPairs.length
    ? fc.oneof({ weight: 4, arbitrary: fc.oneof(...knownPairs) }, fc.tuple(printable(10), printable(20)))
    : fc.tuple(printable(10), printable(20));
  return fc.oneof(
    { weight: 5, arbitrary: fc.constant('') },
    {
      weight: 10,
      arbitrary: fc
        .array(pairArb, { maxLength: 4 })
        .map((pairs) => new URLSearchParams(pairs.map(([k, v]): [string, string] => [k, v])).toString()),
    },
    fc.constantFrom('%', '%zz=1', 'a[b]=c', 'limit[]=1', '&&&', '=x', 'decrypt', 'limit=1&limit=2'),
  );
};

const anyValue = (edge: string[]) =>
  fc.oneof(
    fc.constantFrom(...edge, '', ' ', '-1', '0', '1e309', 'NaN', 'null'),
    printable(40),
    fc.integer().map(String),
  );

const isoish = fc.oneof(
  fc
    .date({ noInvalidDate: true, min: new Date(-8.64e15), max: new Date(8.64e15) })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    '2026-13-45',
    '2026-02-30',
    '9999-12-31T23:59:59Z',
    '0000-01-01',
    '2026-01-01T00:00:00+99:00',
  ),
  printable(30),
);

interface Endpoint {
  name: string;
  method: 'GET' | 'POST';
  /** Thunks: the real ids and tokens exist only once beforeAll ran. */
  path: () => fc.Arbitrary<string>;
  query?: () => Record<string, fc.Arbitrary<string>>;
  body?: () => fc.Arbitrary<Record<string, unknown>>;
}

const withId = (suffix: string) => () => idArb().map((id) => `/v1/actions/${id}${suffix}`);
const reason = fc.option(fc.oneof(printable(50), fc.string({ maxLength: 3000 })), { nil: undefined });

const ENDPOINTS: Endpoint[] = [
  {
    name: 'GET /v1/actions',
    method: 'GET',
    path: () => fc.constant('/v1/actions'),
    query: () => ({
      status: anyValue(['pending_approval', 'approved', 'succeeded', 'x"y', "a' OR 1=1", '*']),
      requester: anyValue(['ci@example.com', 'dana@example.com', 'x"y']),
      action: anyValue(['http.config.update', 'gate.deploy', '"']),
      environment: anyValue(['production', 'dev']),
      limit: anyValue(['1', '200', '201', '1.5', '50']),
      cursor: fc.oneof(
        fc.constant(() => cursor).map((f) => f()),
        fc.nat({ max: 40 }).map((n) => `${cursor.slice(0, n)}x${cursor.slice(n + 1)}`),
        printable(100),
        fc.constantFrom('.', 'a.b', 'x'.repeat(5000)),
      ),
    }),
  },
  { name: 'GET /v1/actions/{id}', method: 'GET', path: withId('') },
  { name: 'GET /v1/actions/{id}/card', method: 'GET', path: withId('/card') },
  { name: 'GET /v1/actions/{id}/audit', method: 'GET', path: withId('/audit') },
  {
    name: 'GET /v1/actions/{id}/history',
    method: 'GET',
    path: withId('/history'),
    query: () => ({ decrypt: anyValue(['true', 'false', 'TRUE', '1']) }),
  },
  {
    name: 'POST /v1/actions/{id}/decisions',
    method: 'POST',
    path: withId('/decisions'),
    body: () =>
      fc
        .record({ decision: fc.constantFrom('approve', 'deny', 'APPROVE', 'maybe'), reason })
        .chain((v) => mutated(v)),
  },
  {
    name: 'POST /v1/actions/{id}/cancel',
    method: 'POST',
    path: withId('/cancel'),
    body: () => fc.record({ reason }).chain((v) => mutated(v)),
  },
  {
    name: 'POST /v1/actions/{id}/redeem',
    method: 'POST',
    path: withId('/redeem'),
    body: () =>
      fc
        .oneof(
          fc.constant(() => gateToken).map((f) => f()),
          fc.nat({ max: 200 }).map((n) => `${gateToken.slice(0, n)}A${gateToken.slice(n + 1)}`),
          fc.constantFrom('v1..', 'v1.e30.x', 'v1.bnVsbA.x', 'v2.a.b', 'x'.repeat(5000)),
          printable(200),
        )
        .chain((token) =>
          mutated({
            token,
            environment: 'production',
            resource: 'k8s://prod/api',
            parametersHash: 'a'.repeat(64),
          }),
        ),
  },
  {
    name: 'POST /v1/actions/{id}/complete',
    method: 'POST',
    path: withId('/complete'),
    body: () =>
      fc
        .record({
          outcome: fc.constantFrom('succeeded', 'failed', 'other'),
          details: fc.dictionary(printable(10), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }),
        })
        .chain((v) => mutated(v)),
  },
  {
    name: 'GET /v1/audit/verify',
    method: 'GET',
    path: () => fc.constant('/v1/audit/verify'),
    query: () => ({ from: isoish }),
  },
  {
    name: 'GET /v1/audit/export',
    method: 'GET',
    path: () => fc.constant('/v1/audit/export'),
    query: () => ({
      from: isoish,
      to: isoish,
      format: anyValue(['jsonl', 'csv', 'JSONL', 'xml']),
      decrypt: anyValue(['true', 'false', 'yes']),
    }),
  },
  {
    name: 'GET /v1/policy',
    method: 'GET',
    path: () => fc.constant('/v1/policy'),
    query: () => ({ version: printable(10) }),
  },
  {
    name: 'POST /v1/policy/evaluate',
    method: 'POST',
    path: () => fc.constant('/v1/policy/evaluate'),
    body: () =>
      mutated(
        {
          action: 'db.schema.migrate',
          resource: 'postgres://analytics',
          environment: 'production',
          parameters: { sql: 'DROP TABLE x' },
          requester: 'ci@example.com',
        },
        ['agent', 'labels', 'justification'],
      ),
  },
  {
    name: 'POST /codec/{decode,encode}',
    method: 'POST',
    path: () => fc.constantFrom('/codec/decode', '/codec/encode'),
    body: () =>
      mutated({
        payloads: [
          {
            metadata: { encoding: Buffer.from('json/plain').toString('base64') },
            data: Buffer.from('{"a":1}').toString('base64'),
          },
        ],
      }),
  },
  {
    name: 'GET health, docs, metrics, unknown paths',
    method: 'GET',
    path: () =>
      fc.oneof(
        fc.constantFrom(
          '/healthz',
          '/readyz',
          '/metrics',
          '/openapi.json',
          '/docs',
          '/docs/init.js',
          '/v1',
          '/v1/',
        ),
        fc.constantFrom(
          '/docs/assets/',
          '/docs/assets/../../package.json',
          '/docs/assets/%2e%2e%2fpackage.json',
        ),
        printable(40).map((p) => `/v1/${encodeURIComponent(p)}`),
        printable(40).map((p) => `/${encodeURIComponent(p)}`),
      ),
  },
];

const stateOf = async (id: string) => (await w.h.api('audit@example.com', `/v1/actions/${id}`)).body;

function record(name: string, status: number): void {
  const m = statuses.get(name) ?? new Map<number, number>();
  m.set(status, (m.get(status) ?? 0) + 1);
  statuses.set(name, m);
}

function authHeader(auth: string): string | undefined {
  if (auth === 'none') return undefined;
  if (auth.startsWith('key:')) return `Bearer ${w.h.keys[auth.slice(4)]}`;
  return auth;
}

/** Unexpected errors the service logged since line `from` (a 500 logs 'unhandled error'). */
const unhandled = (from: number) =>
  w.logs
    .slice(from)
    .filter((l) => l.msg === 'unhandled error' || l.msg === 'slack listener failed' || l.level >= 60);

/** What every activity from the Teams channel carries (botbuilder throws without it). */
function envelopeOk(activity: unknown): boolean {
  const a = activity as Record<string, any> | null;
  const hasId = (x: unknown) =>
    typeof x === 'object' && x !== null && typeof (x as { id?: unknown }).id === 'string';
  return (
    typeof a === 'object' &&
    a !== null &&
    typeof a.type === 'string' &&
    typeof a.channelId === 'string' &&
    typeof a.serviceUrl === 'string' &&
    hasId(a.from) &&
    hasId(a.recipient) &&
    hasId(a.conversation) &&
    (a.channelData === undefined || (typeof a.channelData === 'object' && !Array.isArray(a.channelData)))
  );
}

// --- the properties ---------------------------------------------------------------------------

describe('fault 6: fuzzing every endpoint', () => {
  for (const ep of ENDPOINTS) {
    it(`${ep.name}: never a 5xx, every refusal a problem body`, async (ctx) => {
      const logsAt = w.logs.length;
      const requestArb = fc.record({
        path: ep.path(),
        query: queryArb(ep.query?.() ?? {}),
        auth: authArb,
        contentType: contentTypeArb,
        header: extraHeaderArb,
        body: ep.body ? bodyArb(ep.body) : fc.constant(undefined),
      });
      await checkProperty(
        ctx,
        fc.asyncProperty(requestArb, async (r) => {
          const headers: Record<string, string> = {};
          const auth = authHeader(r.auth);
          if (auth !== undefined) headers.authorization = auth;
          if (r.contentType !== undefined && r.body !== undefined) headers['content-type'] = r.contentType;
          if (r.header) headers[r.header[0]] = r.header[1];
          const url = `${w.h.url}${r.path}${r.query ? `?${r.query}` : ''}`;
          const res = await fetch(url, { method: ep.method, headers, body: r.body, redirect: 'manual' });
          const text = await res.text();
          record(ep.name, res.status);
          const what = `${ep.method} ${r.path}?${r.query}`;
          expect(res.status, `${what}: ${text.slice(0, 500)}`).toBeLessThan(500);
          if (
            res.status >= 400 &&
            res.status !== 404 &&
            !r.path.startsWith('/v1') &&
            !r.path.startsWith('/codec')
          ) {
            return; // outside the API (docs assets): only "no 5xx"
          }
          if (res.status >= 400) expectProblem(res, text, what);
        }),
        size(20, 300),
      );
      expect(unhandled(logsAt)).toEqual([]);
    }, 600_000);
  }

  // Each body-taking route with a full valid body, one string (or free-form key) poisoned with a
  // control character or lone surrogate: always 400 naming that field, whoever's request it is.
  const poisonable: { name: string; as: string; path: () => string; body: () => Record<string, unknown> }[] =
    [
      {
        name: 'POST /v1/actions/{id}/decisions',
        as: 'dana@example.com',
        path: () => `/v1/actions/${real.pending}/decisions`,
        body: () => ({ decision: 'deny', reason: 'not during the freeze' }),
      },
      {
        name: 'POST /v1/actions/{id}/cancel',
        as: 'ci@example.com',
        path: () => `/v1/actions/${real.pending}/cancel`,
        body: () => ({ reason: 'wrong ticket' }),
      },
      {
        name: 'POST /v1/actions/{id}/redeem',
        as: 'ci@example.com',
        path: () => `/v1/actions/${real.gate}/redeem`,
        body: () => ({ token: gateToken || 'v1.a.b' }),
      },
      {
        name: 'POST /v1/actions/{id}/complete',
        as: 'ci@example.com',
        path: () => `/v1/actions/${randomUUID()}/complete`,
        body: () => ({ outcome: 'failed', details: { log: ['step 1', { error: 'boom' }] } }),
      },
      {
        name: 'POST /v1/policy/evaluate',
        as: 'ci@example.com',
        path: () => '/v1/policy/evaluate',
        body: () => ({
          ...httpAction('http.config.update', 'fuzz-evaluate'),
          agent: { name: 'bot', model: 'm', session: 's', onBehalfOf: 'dana@example.com' },
          labels: { ticket: 'OPS-1' },
          requester: 'ci@example.com',
        }),
      },
    ];
  for (const ep of poisonable) {
    it(`${ep.name}: a control character or lone surrogate in any string is a 400 naming it`, async (ctx) => {
      const logsAt = w.logs.length;
      const body = ep.body();
      const before = body.reason === undefined ? undefined : await stateOf(real.pending!);
      await checkProperty(
        ctx,
        fc.asyncProperty(poisonedBody(body, ['parameters', 'labels', 'details']), async (p) => {
          const res = await fetch(`${w.h.url}${ep.path()}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${w.h.keys[ep.as]}` },
            body: JSON.stringify(p.body),
          });
          const text = await res.text();
          record(ep.name, res.status);
          const what = `U+${p.bad.charCodeAt(0).toString(16).padStart(4, '0')} in ${JSON.stringify(p.field)}`;
          expectFieldRefused(res, text, p.field, `${ep.name}: ${what}`);
        }),
        size(20, 300),
      );
      expect(unhandled(logsAt)).toEqual([]);
      // None of it reached the request: no decision, no refusal recorded.
      if (before)
        expect(await stateOf(real.pending!)).toMatchObject({
          status: before.status,
          decisions: before.decisions,
        });
    }, 600_000);
  }

  it('POST /slack/events: random payloads, signed or not, never a 5xx', async (ctx) => {
    const logsAt = w.logs.length;
    const userArb = fc.oneof(fc.constantFrom('U0DANA', 'U0SAM', 'U0NOBODY'), printable(12));
    const click = (actionId: string) =>
      fc
        .record({
          value: fc.oneof(
            fc.constant((slackTemplate.actions as { value: string }[])[0]!.value),
            fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
            fc.uuid().map((id) => JSON.stringify({ requestId: id, reasonRequired: false })),
            printable(60),
          ),
          user: userArb,
          team: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
        })
        .map(({ value, user, team }) => ({
          ...slackTemplate,
          user: { id: user, name: user, team_id: 'T0AIRLOCK' },
          ...(team === undefined ? {} : { team }),
          actions: [{ ...(slackTemplate.actions as object[])[0], action_id: actionId, value }],
        }));
    /** Shapes a listener of ours acknowledges: the fuzz varies everything inside them. */
    const handled = fc.oneof(
      click('airlock_approve'),
      click('airlock_deny'),
      fc
        .record({
          user: userArb,
          metadata: fc.oneof(
            fc.constant(JSON.stringify({ requestId: real.pending, reasonRequired: true })),
            fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
            printable(80),
          ),
          // Slack always sends state.values; what is inside it is fuzzed, and its absence too.
          state: fc.oneof(
            fc.constant({
              values: { reason: { reason: { type: 'plain_text_input', value: 'fuzzed reason' } } },
            }),
            fc.dictionary(printable(10), fc.jsonValue({ maxDepth: 3 })).map((values) => ({ values })),
            fc.constantFrom({}, { values: null }, { values: 'x' }),
          ),
        })
        .map(({ user, metadata, state }) => ({
          type: 'view_submission',
          team: { id: 'T0AIRLOCK' },
          user: { id: user, team_id: 'T0AIRLOCK' },
          view: { id: 'V0FUZZ', callback_id: 'airlock_deny_reason', private_metadata: metadata, state },
        })),
      fc.jsonValue({ maxDepth: 2 }).map((challenge) => ({ type: 'url_verification', token: 'x', challenge })),
    );
    /** Anything at all, including events no listener takes (acknowledged at once: app.ts). */
    const anything = fc.oneof(
      mutated(slackTemplate, ['view', 'actions', 'user', 'team', 'type']),
      mutated({ type: 'event_callback', team_id: 'T0AIRLOCK', event: { type: 'app_mention', text: 'hi' } }),
      fc.jsonValue({ maxDepth: 4 }),
    );
    const requestArb = fc.oneof(
      fc.record({
        payload: handled,
        handled: fc.constant(true),
        encoding: fc.constantFrom('form', 'json'),
        signing: fc.constant('signed'),
        contentType: fc.constant(undefined),
      }),
      fc.record({
        payload: fc.oneof(handled, anything, fc.string({ maxLength: 200 })),
        handled: fc.constant(false),
        encoding: fc.constantFrom('form', 'json', 'raw'),
        signing: FULL
          ? fc.constantFrom('signed', 'none', 'wrong-secret', 'stale', 'garbage')
          : fc.constantFrom('none', 'wrong-secret', 'stale', 'garbage'),
        contentType: contentTypeArb,
      }),
    );
    await checkProperty(
      ctx,
      fc.asyncProperty(requestArb, async (r) => {
        const body =
          r.encoding === 'raw'
            ? String(r.payload)
            : r.encoding === 'form'
              ? new URLSearchParams({ payload: JSON.stringify(r.payload) }).toString()
              : JSON.stringify(r.payload);
        const ts = Math.floor(Date.now() / 1000) - (r.signing === 'stale' ? 600 : 0);
        const headers: Record<string, string> = {
          'content-type':
            r.contentType ??
            (r.encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded'),
        };
        if (r.signing !== 'none') {
          headers['x-slack-request-timestamp'] = r.signing === 'garbage' ? 'abc' : String(ts);
          headers['x-slack-signature'] =
            r.signing === 'garbage'
              ? 'v0=zz'
              : slackSign(r.signing === 'wrong-secret' ? 'nope' : w.slackSecret, ts, body);
        }
        const before = w.logs.length;
        const res = await fetch(`${w.h.url}/slack/events`, { method: 'POST', headers, body });
        const text = await res.text();
        record('POST /slack/events', res.status);
        if (r.signing !== 'signed') {
          expect(res.status).toBe(401);
          expectProblem(res, text, 'slack 401');
          return;
        }
        // Signed: whatever it is, answered below 500 (no listener, or unroutable: 200 at once).
        expect(res.status, `${body.slice(0, 300)} -> ${text.slice(0, 300)}`).toBeLessThan(500);
        if (r.handled) {
          // Listeners run after the ack: give them a moment, then none of ours may have thrown.
          await new Promise((resolve) => setTimeout(resolve, 20));
          const failed = w.logs.slice(before).filter((l) => l.msg === 'slack listener failed');
          expect(failed, body.slice(0, 500)).toEqual([]);
        }
      }),
      size(30, 400),
    );
    // Listener failures are checked for the shapes our listeners take (above); API 500s never.
    expect(w.logs.slice(logsAt).filter((l) => l.msg === 'unhandled error')).toEqual([]);
  }, 600_000);

  // Slack sends requests this app has no listener for (other buttons, shortcuts, view_closed,
  // events it subscribed to later, payloads Bolt cannot route). Each is acknowledged at once with
  // 200, so Slack neither retries nor disables the request URL; a bad signature is still a 401.
  it('POST /slack/events: a signed request no listener handles is acknowledged at once', async () => {
    const send = async (payload: unknown, opts: { json?: boolean; secret?: string } = {}) => {
      const body = opts.json
        ? JSON.stringify(payload)
        : new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      const ts = Math.floor(Date.now() / 1000);
      const started = Date.now();
      const res = await fetch(`${w.h.url}/slack/events`, {
        method: 'POST',
        headers: {
          'content-type': opts.json ? 'application/json' : 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': String(ts),
          'x-slack-signature': slackSign(opts.secret ?? w.slackSecret, ts, body),
        },
        body,
      });
      await res.text();
      return { status: res.status, ms: Date.now() - started };
    };
    const before = w.logs.length;
    const unhandled: [string, unknown, boolean?][] = [
      [
        'another button',
        { ...slackTemplate, actions: [{ ...(slackTemplate.actions as object[])[0], action_id: 'other' }] },
      ],
      [
        'a global shortcut',
        {
          type: 'shortcut',
          callback_id: 'x',
          trigger_id: '1.2.3',
          team: { id: 'T0AIRLOCK' },
          user: { id: 'U0DANA' },
        },
      ],
      [
        'view_closed',
        {
          type: 'view_closed',
          team: { id: 'T0AIRLOCK' },
          user: { id: 'U0DANA' },
          view: { id: 'V0X', callback_id: 'airlock_deny_reason' },
        },
      ],
      [
        'another modal submitted',
        {
          type: 'view_submission',
          team: { id: 'T0AIRLOCK' },
          user: { id: 'U0DANA' },
          view: { id: 'V0X', callback_id: 'other', state: { values: {} } },
        },
      ],
      [
        'an event type nobody listens to',
        { type: 'event_callback', team_id: 'T0AIRLOCK', event: { type: 'app_mention' } },
        true,
      ],
      ['a payload Bolt cannot route', { event: 0 }, true],
      ['null', null, true],
    ];
    for (const [what, payload, json] of unhandled) {
      const res = await send(payload, { json });
      expect(res.status, what).toBe(200);
      expect(res.ms, what).toBeLessThan(1000);
    }
    expect((await send(unhandled[0]![1], { secret: 'forged' })).status).toBe(401);
    expect(w.logs.slice(before).filter((l) => l.msg === 'slack listener failed' || l.level >= 50)).toEqual(
      [],
    );
  });

  it('POST /api/messages: random activities and tokens, never a 5xx', async (ctx) => {
    const logsAt = w.logs.length;
    const activityArb = fc.oneof(
      {
        weight: 4,
        arbitrary: mutated(teamsTemplate, [
          'value',
          'from',
          'conversation',
          'channelData',
          'serviceUrl',
          'type',
          'name',
        ]),
      },
      fc.jsonValue({ maxDepth: 4 }).map((value) => ({ ...teamsTemplate, value })),
      mutated(w.teams.message(w.dba, w.users.dana, 'help')),
      fc.jsonValue({ maxDepth: 4 }),
    );
    const requestArb = fc.record({
      activity: activityArb,
      raw: fc.option(fc.string({ maxLength: 200 }), { freq: 8, nil: undefined }),
      token: fc.constantFrom('valid', 'valid', 'valid', 'otherKey', 'expired', 'audience', 'none', 'garbage'),
      contentType: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, contentTypeArb),
    });
    const otherInvokes = { count: 0 };
    await checkProperty(
      ctx,
      fc.asyncProperty(requestArb, async (r) => {
        const headers: Record<string, string> = { 'content-type': r.contentType ?? 'application/json' };
        if (r.token === 'garbage') headers.authorization = 'Bearer a.b.c';
        else if (r.token !== 'none') headers.authorization = `Bearer ${tokens[r.token]}`;
        const body = r.raw ?? JSON.stringify(r.activity);
        const res = await fetch(`${w.h.url}/api/messages`, { method: 'POST', headers, body });
        const text = await res.text();
        record('POST /api/messages', res.status);
        if (r.token !== 'valid') {
          // Refused before the bot: 401, or 400 when the body is not a JSON activity (the token's
          // issuer is checked up front, its signature only together with an activity).
          expect([400, 401]).toContain(res.status);
        } else if (r.raw === undefined && !envelopeOk(r.activity)) {
          // Authenticated but malformed: 400 naming the fields (401 without a serviceUrl).
          expect([400, 401], `${body.slice(0, 300)} -> ${text.slice(0, 300)}`).toContain(res.status);
        } else if (res.status === 501) {
          // Invokes the app does not implement (not a card action): Bot Framework's 501 is right.
          const a = r.activity as { type?: unknown; name?: unknown };
          expect(a.type).toBe('invoke');
          expect(a.name).not.toBe('adaptiveCard/action');
          otherInvokes.count++;
          return;
        }
        expect(res.status, `${r.token}: ${body.slice(0, 300)} -> ${text.slice(0, 300)}`).toBeLessThan(500);
        // Bot Framework answers: refusals are {error} JSON (not problem+json; the channel reads none).
        if (res.status >= 400) expect(typeof JSON.parse(text).error).toBe('string');
      }),
      size(30, 400),
    );
    process.stdout.write(`\nteams: ${otherInvokes.count} invokes of other names (501)\n`);
    expect(unhandled(logsAt)).toEqual([]);
  }, 600_000);

  // A signed deny-reason submission without view.state.values (only Slack can sign one) is
  // refused with a validation error on the modal, never a listener that throws.
  it('POST /slack/events: a view submission without state.values is answered, not thrown', async () => {
    for (const state of [{}, { values: null }, undefined]) {
      const before = w.logs.length;
      const payload = {
        type: 'view_submission',
        team: { id: 'T0AIRLOCK' },
        user: { id: 'U0DANA', team_id: 'T0AIRLOCK' },
        view: {
          id: 'V0FUZZ',
          callback_id: 'airlock_deny_reason',
          private_metadata: JSON.stringify({ requestId: real.pending, reasonRequired: false }),
          ...(state === undefined ? {} : { state }),
        },
      };
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      const ts = Math.floor(Date.now() / 1000);
      const res = await fetch(`${w.h.url}/slack/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': String(ts),
          'x-slack-signature': slackSign(w.slackSecret, ts, body),
        },
        body,
      });
      expect(res.status).toBe(200);
      const answer = (await res.json()) as { response_action?: string; errors?: Record<string, string> };
      expect(answer.response_action).toBe('errors');
      expect(answer.errors?.reason).toMatch(/could not read this form/);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(w.logs.slice(before).filter((l) => l.msg === 'slack listener failed')).toEqual([]);
    }
  });

  // A card action Airlock does not know (a verb from an older card, no Action.Execute at all) is
  // answered 200 with a message that the card is out of date, not teams-ai's 501 (an error in Teams).
  it('POST /api/messages: a card action with an unknown verb is answered that the card is out of date', async () => {
    const values = [
      { action: { type: 'Action.Execute', verb: 'airlock.retired', data: {} }, trigger: 'manual' },
      { trigger: 'manual' },
      { action: { type: 'Action.Submit', verb: 'airlock.approve', data: {} } },
      null,
    ];
    for (const value of values) {
      const res = await w.teams.deliver(w.h.url, { ...teamsTemplate, value });
      expect(res.status, JSON.stringify(value)).toBe(200);
      expect(res.body).toMatchObject({
        statusCode: 200,
        type: 'application/vnd.microsoft.activity.message',
        value: expect.stringMatching(/out of date/),
      });
    }
  });

  // An authenticated activity with a malformed envelope (only the channel can send one) is a 400
  // naming the fields, not botbuilder's 500; the same without a valid token is still a 401.
  it('POST /api/messages: an authenticated activity with a malformed envelope is a 400', async () => {
    const malformed: [string, Record<string, unknown>][] = [
      ['recipient: true', { ...teamsTemplate, recipient: true }],
      ['from without id', { ...teamsTemplate, from: {} }],
      ['conversation: []', { ...teamsTemplate, conversation: [] }],
      ['channelData: 3', { ...teamsTemplate, channelData: 3 }],
      ['entities: "x"', { ...teamsTemplate, entities: 'x' }],
    ];
    for (const [what, activity] of malformed) {
      const res = await w.teams.deliver(w.h.url, activity);
      expect(res.status, what).toBe(400);
      expect(res.body.error, what).toBe('malformed activity');
      expect(Array.isArray(res.body.fields), what).toBe(true);
      const forged = await w.teams.deliver(w.h.url, activity, { tokenOptions: { otherKey: true } });
      expect(forged.status, what).toBe(401);
    }
    // The channelId is read by authentication itself (endorsements): without one, a 400 up front.
    const noChannel = await w.teams.deliver(w.h.url, { ...teamsTemplate, channelId: undefined });
    expect(noChannel.status).toBe(400);
    expect(typeof noChannel.body.error).toBe('string');
  });

  // PostgreSQL has no year 0: the instant check refuses it rather than letting the query fail.
  it('GET /v1/audit/export with a year-0 date is a 400 naming the field', async () => {
    const res = await w.h.api('audit@example.com', '/v1/audit/export?to=0000-01-01');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: 'to' });
  });

  it('a policy file rewritten with random mutations: the service keeps a valid policy and stays up', async (ctx) => {
    const logsAt = w.logs.length;
    const path = join(w.h.dir, 'policy.yaml');
    const original = readFileSync(path, 'utf8');
    const versionOf = async () => {
      const res = await w.h.api('audit@example.com', '/v1/policy');
      expect(res.status).toBe(200);
      return res.body.version as string;
    };
    const before = await versionOf();
    const lines = channelsPolicy().split('\n');
    const textArb = fc.oneof(
      // A line replaced, removed or duplicated.
      fc
        .tuple(
          fc.nat({ max: lines.length - 1 }),
          fc.oneof(printable(60), fc.constant(''), fc.constant('  - ')),
        )
        .map(([i, s]) => [...lines.slice(0, i), s, ...lines.slice(i + 1)].join('\n')),
      fc.nat({ max: lines.length - 1 }).map((i) => [...lines.slice(0, i), ...lines.slice(i + 1)].join('\n')),
      fc.string({ maxLength: 300 }),
      fc.constantFrom(
        '',
        'version: 1',
        '&a [*a]',
        'version: 2\nrules: []\n',
        `${channelsPolicy()}\nrules: []`,
      ),
    );
    await checkProperty(
      ctx,
      fc.asyncProperty(textArb, async (text) => {
        writeFileSync(path, text);
        await new Promise((r) => setTimeout(r, 250)); // the store debounces file events (100 ms)
        await versionOf();
        expect((await fetch(`${w.h.url}/healthz`)).status).toBe(200);
      }),
      size(5, 60),
    );
    writeFileSync(path, original);
    await eventually(
      async () => ((await versionOf()) === before ? true : undefined),
      10_000,
      'the policy back',
    );
    expect(unhandled(logsAt)).toEqual([]);
  }, 600_000);

  it('POST /v1/actions/{id}/redeem: a side that states another environment or resource never redeems', async (ctx) => {
    const truth = { environment: 'production', resource: 'k8s://prod/claims' };
    const submitted = await w.h.api('ci@example.com', '/v1/actions', {
      body: {
        ...truth,
        action: 'gate.deploy',
        justification: 'fault case 6: stated claims',
        parameters: { image: 'c:1' },
      },
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
    const id = submitted.body.id as string;
    await eventually(async () =>
      (await w.h.api('audit@example.com', `/v1/actions/${id}`)).body.status === 'pending_approval'
        ? true
        : undefined,
    );
    await w.h.api('dana@example.com', `/v1/actions/${id}/decisions`, { body: { decision: 'approve' } });
    const token = await eventually(
      async () =>
        (await w.h.api('ci@example.com', `/v1/actions/${id}`)).body.approvalToken as string | undefined,
    );
    const near = (value: string) =>
      fc.oneof(
        fc.constantFrom(value, value.toUpperCase(), `${value}.`, `${value}x`, value.slice(0, -1)),
        fc.stringMatching(/^[A-Za-z0-9._:/-]{1,20}$/),
      );
    const stated = fc
      .record({ environment: near(truth.environment), resource: near(truth.resource) }, { requiredKeys: [] })
      // At least one stated claim is given and differs from the token's.
      .filter(
        (c) =>
          (c.environment !== undefined && c.environment !== truth.environment) ||
          (c.resource !== undefined && c.resource !== truth.resource),
      );
    await checkProperty(
      ctx,
      fc.asyncProperty(stated, async (claims) => {
        const res = await w.h.api('ci@example.com', `/v1/actions/${id}/redeem`, {
          body: { token, ...claims },
        });
        expect(res.status, JSON.stringify({ claims, body: res.body })).toBe(401);
        expect(res.body.detail).toMatch(/(environment|resource)_mismatch/);
      }),
      size(40, 300),
    );
    expect((await w.h.api('audit@example.com', `/v1/actions/${id}`)).body.status).toBe('approved');
    const honest = await w.h.api('ci@example.com', `/v1/actions/${id}/redeem`, { body: { token, ...truth } });
    expect(honest.status, JSON.stringify(honest.body)).toBe(200);
  }, 300_000);

  it('stays healthy and ready after all of it', async () => {
    expect((await fetch(`${w.h.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${w.h.url}/readyz`)).status).toBe(200);
    const verify = await w.h.api('audit@example.com', '/v1/audit/verify');
    expect(verify.status).toBe(200);
    expect(verify.body.ok).toBe(true);
  });
});
