// The SDK client the commands share, and how its errors become one line and an exit code.
import { AirlockClient, AirlockProblem, AirlockUnreachable } from '../sdk/index.js';
import { DEFAULT_URL, tokenSource } from './credentials.js';
import { CliError, EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';

export function clientFor(io: CliIo, url: string | undefined): AirlockClient {
  const baseUrl = url ?? io.env.AIRLOCK_URL ?? DEFAULT_URL;
  try {
    new URL(baseUrl);
  } catch {
    throw new CliError(`AIRLOCK_URL (or --url) is not a URL: ${baseUrl}`, EXIT.usage);
  }
  const token = tokenSource(io.env, io.fetch);
  return new AirlockClient({
    baseUrl,
    ...(token ? { token } : {}),
    ...(io.fetch ? { fetch: io.fetch } : {}),
    userAgent: 'airlock-cli/0.1',
  });
}

/** The exit code and the line for an error: the server's own words for a refusal. */
export function describeError(err: unknown): { code: number; message: string } {
  if (err instanceof CliError) return { code: err.code, message: err.message };
  if (err instanceof AirlockUnreachable) return { code: EXIT.unreachable, message: err.message };
  if (err instanceof AirlockProblem) {
    const field = err.field && !err.detail?.includes(err.field) ? ` (${err.field})` : '';
    const message = `${err.status} ${err.title}${err.detail ? `: ${err.detail}` : ''}${field}`;
    if (err.status === 401 || err.status === 403) return { code: EXIT.auth, message };
    // Overloaded or failing: the caller cannot get an answer now, as when nothing listens.
    if (err.status === 429 || err.status >= 500) return { code: EXIT.unreachable, message };
    return { code: EXIT.usage, message };
  }
  if (err instanceof Error && err.name === 'AbortError')
    return { code: EXIT.cancelled, message: 'interrupted' };
  return { code: 1, message: err instanceof Error ? err.message : String(err) };
}
