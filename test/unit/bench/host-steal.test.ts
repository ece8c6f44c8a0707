// The bench reports how much CPU the host took for other guests during a run (/proc/stat steal),
// so a slow day shows as such next to the figures.
import { describe, expect, it } from 'vitest';
import { hostTicks, stealPercent } from '../../../bench/lib.js';

describe('host steal', () => {
  it('is the steal share of all ticks between two readings', () => {
    expect(stealPercent({ total: 1_000, steal: 10 }, { total: 3_000, steal: 210 })).toBe(10);
    expect(stealPercent({ total: 1_000, steal: 10 }, { total: 1_400, steal: 10 })).toBe(0);
  });

  it('says nothing without two readings that moved', () => {
    expect(stealPercent(undefined, { total: 3_000, steal: 210 })).toBeUndefined();
    expect(stealPercent({ total: 3_000, steal: 210 }, { total: 3_000, steal: 210 })).toBeUndefined();
  });

  it('reads this machine (Linux): steal is one of the ticks counted', () => {
    const ticks = hostTicks();
    expect(ticks).toBeDefined();
    expect(ticks!.total).toBeGreaterThan(0);
    expect(ticks!.steal).toBeGreaterThanOrEqual(0);
    expect(ticks!.steal).toBeLessThanOrEqual(ticks!.total);
  });
});
