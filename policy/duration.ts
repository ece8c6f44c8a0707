// Policy durations use the configuration's grammar (config/duration.ts: `500ms`, `30s`, `1h30m`), so one
// span is written the same way in both files. A typo such as "15x" or "1h30" is a load error rather
// than a surprising timeout, and so is surrounding whitespace.
import { parseDuration as parseSpan } from '../config/duration.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const GRAMMAR = /^(\d+(ms|s|m|h|d))+$/;

export const DURATION_HINT = 'use e.g. 30s, 15m, 1h';

export class DurationError extends Error {
  override readonly name = 'DurationError';
}

/** Milliseconds for a policy duration; throws DurationError with a message fit for a load error. */
export function parseDuration(text: string): number {
  const ms = GRAMMAR.test(text) ? parseSpan(text) : undefined;
  if (ms !== undefined) return ms;
  const why = !GRAMMAR.test(text)
    ? DURATION_HINT
    : /[1-9]/.test(text)
      ? 'too long'
      : 'must be greater than zero';
  throw new DurationError(`invalid duration ${JSON.stringify(text)} (${why})`);
}

/** The largest whole unit that represents `ms` exactly: 900000 -> "15m", 1500 -> "1500ms". */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
