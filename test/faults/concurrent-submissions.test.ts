// Fault case 5: a burst of concurrent submissions. Each is accepted (202) or refused with 429 and
// a Retry-After; every accepted one runs to its end exactly once; none is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpTargetFake, startHttpTarget } from '../fakes/http-target.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../integration/core/fixtures.js';
import { eventually, type Harness, startHarness } from '../support/harness.js';
import { callsWith, expectChainIntact, size } from './support.js';

let h: Harness;
let target: HttpTargetFake;

beforeAll(async () => {
  target = await startHttpTarget();
  h = await startHarness({
    policy: CORE_POLICY,
    config: coreConfig(target.url, 'postgres://unused@127.0.0.1:1/unused'),
    principals: PRINCIPALS,
  });
}, 180_000);

afterAll(async () => {
  await h?.stop();
  await target?.close();
});

describe('fault 5: concurrent submissions', () => {
  const n = size(60, 1000);
  it(`accepts or refuses with Retry-After each of ${n} concurrent submissions, and loses none`, async () => {
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        h.api('ci@example.com', '/v1/actions', {
          body: httpRequest({
            environment: 'dev',
            parameters: { method: 'POST', path: '/burst', body: { m: `burst-${i}-` } },
          }),
        }),
      ),
    );
    const unexpected = answers.filter((a) => a.status !== 202 && a.status !== 429);
    expect(unexpected.map((a) => `${a.status} ${JSON.stringify(a.body)}`)).toEqual([]);
    for (const a of answers.filter((x) => x.status === 429)) {
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(a.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
    const accepted = answers.flatMap((a, i) => (a.status === 202 ? [{ id: a.body.id as string, i }] : []));
    expect(new Set(accepted.map((a) => a.id)).size).toBe(accepted.length);

    // Every accepted request ends, and its action ran exactly once.
    await eventually(
      async () => (target.sideEffects() >= accepted.length ? true : undefined),
      size(120_000, 900_000),
      `${accepted.length} executions`,
    );
    const ended = await Promise.all(
      accepted.map(({ id }) =>
        eventually(
          async () => {
            const s = await h.api('audit@example.com', `/v1/actions/${id}`);
            return s.body.status === 'succeeded' ? s.body : undefined;
          },
          60_000,
          `${id} succeeded`,
        ),
      ),
    );
    expect(ended).toHaveLength(accepted.length);
    for (const { i } of accepted) expect(callsWith(target, `burst-${i}-`).effects).toBe(1);
    expect(target.sideEffects()).toBe(accepted.length);
    await expectChainIntact(h);
  }, 1_200_000);
});
