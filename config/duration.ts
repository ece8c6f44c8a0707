// Why: config files say `30s`, `15m`, `1h30m`, `500ms`; everything inside Airlock counts milliseconds.
// A tiny strict parser (no bare numbers, no negative or zero spans) keeps that unambiguous.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+)(ms|s|m|h|d)/y;

/** Milliseconds for `500ms`, `30s`, `15m`, `1h`, `2d`, `1h30m`; undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  const input = text.trim();
  if (input === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < input.length) {
    const match = PART.exec(input);
    if (!match) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  return total > 0 && Number.isSafeInteger(total) ? total : undefined;
}

/** Shortest exact rendering (`90000` -> `1m30s`), for messages and the API. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return `${ms}ms`;
  let rest = ms;
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms']) {
    const size = UNIT_MS[unit] as number;
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
