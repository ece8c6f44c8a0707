// Scrubs configured secrets (target header values, connection-string passwords) out of any
// text that may reach a result, an error message or a log.

export const REDACTED = '[redacted]';
const MIN_SECRET_PART = 6;

/** The strings to scrub for a secret value: the value and its long whitespace-separated parts. */
export function secretVariants(values: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const v of values) {
    if (v.length >= 4) out.add(v);
    const parts = v.split(/\s+/).filter((x) => x.length > 0);
    // `Bearer <token>`, `Basic <creds>`: the scheme word itself is no secret.
    if (parts.length > 1 && /^[A-Za-z-]+$/.test(parts[0] ?? '')) parts.shift();
    for (const part of parts) if (part.length >= MIN_SECRET_PART) out.add(part);
  }
  // Longest first, so that a value is replaced whole before its parts.
  return [...out].sort((a, b) => b.length - a.length);
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join(REDACTED);
  return out;
}
