// The stage loop's timing (when it wakes, and why) and how refusals are held, as pure functions.
import { describe, expect, it } from 'vitest';
import {
  CARD_REPOST,
  nextRepostDelay,
  nextWake,
  REFUSAL_LIMITS,
  recordRefusal,
  tooManyRefusals,
} from '../../../workflows/rules.js';
import type { RefusedAttempt } from '../../../workflows/types.js';

describe('nextWake', () => {
  const deadlineMs = 60 * 60_000;

  it('sleeps until the deadline when nothing else is due, and stops once it has passed', () => {
    expect(nextWake({ now: 0, deadlineMs })).toEqual({ inMs: deadlineMs, reason: 'deadline' });
    expect(nextWake({ now: deadlineMs, deadlineMs })).toBeUndefined();
    expect(nextWake({ now: deadlineMs + 1, deadlineMs })).toBeUndefined();
  });

  it('wakes for the reminder before the deadline, at once when that moment has passed', () => {
    expect(nextWake({ now: 0, deadlineMs, reminderBeforeMs: 10 * 60_000 })).toEqual({
      inMs: 50 * 60_000,
      reason: 'reminder',
    });
    expect(nextWake({ now: 55 * 60_000, deadlineMs, reminderBeforeMs: 10 * 60_000 })).toEqual({
      inMs: 0,
      reason: 'reminder',
    });
  });

  it('wakes for a repost when it comes first, also on a tie with the reminder', () => {
    expect(nextWake({ now: 0, deadlineMs, reminderBeforeMs: 10 * 60_000, repostAt: 5_000 })).toEqual({
      inMs: 5_000,
      reason: 'repost',
    });
    expect(
      nextWake({ now: 0, deadlineMs, reminderBeforeMs: deadlineMs - 5_000, repostAt: 5_000 })?.reason,
    ).toBe('repost');
    expect(nextWake({ now: 0, deadlineMs: 4_000, repostAt: 5_000 })).toEqual({
      inMs: 4_000,
      reason: 'deadline',
    });
  });
});

describe('card repost backoff', () => {
  it('doubles from 5 s up to 5 min, about 35 minutes over its 12 attempts', () => {
    const delays: number[] = [];
    let d: number = CARD_REPOST.firstMs;
    for (let i = 0; i < CARD_REPOST.attempts; i++) {
      delays.push(d);
      d = nextRepostDelay(d);
    }
    expect(delays.slice(0, 4)).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(Math.max(...delays)).toBe(5 * 60_000);
    const total = delays.reduce((a, b) => a + b, 0);
    expect(total).toBe(2_115_000);
  });
});

describe('recordRefusal', () => {
  const attempt = (actor: string, code: RefusedAttempt['code'] = 'not_requester') => ({
    code,
    what: 'cancel',
    actor,
    channel: 'api' as const,
    detail: 'no',
  });

  it('aggregates repeats per actor, code and what, and sends the 1st, 2nd, 4th, 8th ... to the trail', () => {
    const state = { refusals: [] as RefusedAttempt[] };
    const audited: number[] = [];
    for (let i = 1; i <= 9; i++) {
      const { entry, audit } = recordRefusal(state, attempt('Mallory@example.com'), `t${i}`);
      if (audit) audited.push(entry.count!);
    }
    recordRefusal(state, attempt('mallory@example.com', 'self_approval'), 't10');
    expect(audited).toEqual([1, 2, 4, 8]);
    expect(state.refusals).toEqual([
      expect.objectContaining({ actor: 'Mallory@example.com', count: 9, firstAt: 't1', at: 't9' }),
      expect.objectContaining({ code: 'self_approval', count: 1 }),
    ]);
  });

  it('holds at most REFUSAL_LIMITS.entries distinct entries; past that only a counter grows', () => {
    const state: { refusals: RefusedAttempt[]; refusalsOverflow?: number } = { refusals: [] };
    for (let i = 0; i < REFUSAL_LIMITS.entries + 10; i++)
      recordRefusal(state, attempt(`u${i}@example.com`), 't');
    expect(state.refusals).toHaveLength(REFUSAL_LIMITS.entries);
    expect(state.refusalsOverflow).toBe(10);
  });

  it('turns an actor away once refused REFUSAL_LIMITS.perActor times, whatever the codes', () => {
    const state = { refusals: [] as RefusedAttempt[] };
    for (let i = 0; i < REFUSAL_LIMITS.perActor - 1; i++) {
      recordRefusal(state, attempt('m@example.com', i % 2 ? 'not_requester' : 'self_approval'), 't');
    }
    expect(tooManyRefusals(state.refusals, 'M@example.com')).toBe(false);
    recordRefusal(state, attempt('m@example.com'), 't');
    expect(tooManyRefusals(state.refusals, 'M@example.com')).toBe(true);
    expect(tooManyRefusals(state.refusals, 'dana@example.com')).toBe(false);
  });
});
