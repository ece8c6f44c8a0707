import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, parseDuration } from '../../../policy/duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['1h30m', 5_400_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['15x', '1h30', '', '15', 'm', ' 15m', '15m ', '-1s', '1.5h', '15M', '1w', '0s'])(
    'rejects %j',
    (text) => {
      expect(() => parseDuration(text)).toThrow(DurationError);
    },
  );

  it('names the bad value and shows examples', () => {
    expect(() => parseDuration('15x')).toThrow('invalid duration "15x" (use e.g. 30s, 15m, 1h)');
  });

  it('formats back to the largest exact unit', () => {
    expect(formatDuration(900_000)).toBe('15m');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1500)).toBe('1500ms');
    expect(formatDuration(172_800_000)).toBe('2d');
  });
});
