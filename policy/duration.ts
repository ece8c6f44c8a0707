// Policy durations ("500ms", "30s", "15m", "1h", "2d") to milliseconds. One number and one unit, no
// compounds, so a typo such as "15x" or "1h30" is a load error rather than a surprising timeout.

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

const PATTERN = /^(\d{1,15})(ms|s|m|h|d)$/;

export const DURATION_HINT = 'use e.g. 30s, 15m, 1h';

export class DurationError extends Error {
  override readonly name = 'DurationError';
}

/** Milliseconds for a policy duration; throws DurationError with a message fit for a load error. */
export function parseDuration(text: string): number {
  const match = PATTERN.exec(text);
  if (!match) throw new DurationError(`invalid duration ${JSON.stringify(text)} (${DURATION_HINT})`);
  const ms = Number(match[1]) * UNIT_MS[match[2] as Unit];
  if (ms === 0)
    throw new DurationError(`invalid duration ${JSON.stringify(text)} (must be greater than zero)`);
  if (!Number.isSafeInteger(ms))
    throw new DurationError(`invalid duration ${JSON.stringify(text)} (too long)`);
  return ms;
}

/** The largest whole unit that represents `ms` exactly: 900000 -> "15m", 1500 -> "1500ms". */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
