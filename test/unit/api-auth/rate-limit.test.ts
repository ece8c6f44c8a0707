// Per-principal token buckets: a burst up to the capacity passes, then 429 with the seconds until
// the next token; buckets are per principal and per route group; the environment configures them.
import { describe, expect, it } from 'vitest';
import { RateLimiter, routeGroup } from '../../../api/rate-limit.js';
import { parseEnv } from '../../../config/env.js';
import { errorOf } from '../config/parse-env-error.js';

describe('RateLimiter', () => {
  it('lets a burst of `capacity` through, then refuses until a token refills', () => {
    let now = 0;
    const limiter = new RateLimiter({ writes: { capacity: 3, perMs: 60_000 } }, () => now);
    expect([1, 2, 3].map(() => limiter.take('writes', 'mallory@example.com'))).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    // One token every 20 s: the next is 20 s away.
    expect(limiter.take('writes', 'mallory@example.com')).toBe(20);
    now = 15_000;
    expect(limiter.take('writes', 'mallory@example.com')).toBe(5);
    now = 20_000;
    expect(limiter.take('writes', 'mallory@example.com')).toBeUndefined();
    expect(limiter.take('writes', 'mallory@example.com')).toBe(20);
  });

  it('keeps one bucket per principal and per group', () => {
    const limiter = new RateLimiter(
      { writes: { capacity: 1, perMs: 60_000 }, reads: { capacity: 2, perMs: 60_000 } },
      () => 0,
    );
    expect(limiter.take('writes', 'mallory@example.com')).toBeUndefined();
    expect(limiter.take('writes', 'mallory@example.com')).toBe(60);
    expect(limiter.take('writes', 'dana@example.com')).toBeUndefined();
    expect(limiter.take('reads', 'mallory@example.com')).toBeUndefined();
  });

  it('does not limit a group without a limit', () => {
    const limiter = new RateLimiter({ writes: { capacity: 1, perMs: 1000 } }, () => 0);
    for (let i = 0; i < 100; i++) expect(limiter.take('reads', 'a@example.com')).toBeUndefined();
  });

  it('holds a bounded number of buckets however many principals come by', () => {
    let now = 0;
    const limiter = new RateLimiter({ reads: { capacity: 2, perMs: 1000 } }, () => now);
    for (let i = 0; i < 25_000; i++) {
      now += 1;
      limiter.take('reads', `p${i}@example.com`);
    }
    const size = (limiter as unknown as { buckets: Map<string, unknown> }).buckets.size;
    expect(size).toBeLessThanOrEqual(10_001);
  });

  it.each([
    ['POST', '/actions', 'writes'],
    ['POST', '/actions/0b4b2c9e-0000-4000-8000-000000000000/cancel', 'writes'],
    ['POST', '/actions/0b4b2c9e-0000-4000-8000-000000000000/decisions', 'writes'],
    ['GET', '/actions', 'reads'],
    ['GET', '/actions/0b4b2c9e-0000-4000-8000-000000000000', 'reads'],
    ['POST', '/policy/evaluate', 'reads'],
    ['GET', '/audit/export', 'reads'],
  ])('%s %s is in the %s group', (method, path, group) => {
    expect(routeGroup(method, path)).toBe(group);
  });
});

describe('AIRLOCK_RATE_LIMIT_*', () => {
  it('defaults to 600 writes and 3000 reads a minute per principal', () => {
    expect(parseEnv({}).rateLimits).toEqual({
      writes: { capacity: 600, perMs: 60_000 },
      reads: { capacity: 3000, perMs: 60_000 },
    });
  });

  it('reads <requests>/<duration>, and off', () => {
    expect(
      parseEnv({ AIRLOCK_RATE_LIMIT_WRITES: '20/10s', AIRLOCK_RATE_LIMIT_READS: 'off' }).rateLimits,
    ).toEqual({ writes: { capacity: 20, perMs: 10_000 } });
  });

  it.each(['0/1m', '10', '10/', '10/forever', '-1/1m', 'ten/1m'])('refuses %j naming the variable', (raw) => {
    expect(errorOf({ AIRLOCK_RATE_LIMIT_WRITES: raw }).issues).toEqual([
      `AIRLOCK_RATE_LIMIT_WRITES: must be <requests>/<duration> (for example 600/1m) or off, got ${JSON.stringify(raw)}`,
    ]);
  });
});
