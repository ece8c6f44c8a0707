// Where the CLI's credentials come from: AIRLOCK_TOKEN (an API key or a JWT), or, inside a GitHub
// Actions job with `permissions: id-token: write` and no token set, the job's own OIDC token for
// Airlock's audience, fetched again shortly before it expires (a long wait outlives one).
import { decodeJwt } from 'jose';
import { CliError, EXIT } from './exit-codes.js';

export interface CliEnv {
  AIRLOCK_URL?: string;
  AIRLOCK_TOKEN?: string;
  /** The audience to ask GitHub for (Airlock's OIDC_AUDIENCE); default `airlock`. */
  AIRLOCK_OIDC_AUDIENCE?: string;
  ACTIONS_ID_TOKEN_REQUEST_URL?: string;
  ACTIONS_ID_TOKEN_REQUEST_TOKEN?: string;
  GITHUB_ACTIONS?: string;
}

export const DEFAULT_URL = 'http://localhost:8080';

/** A token source for the SDK client: a fixed token, or GitHub's OIDC token refreshed as needed. */
export function tokenSource(
  env: CliEnv,
  fetchImpl: typeof fetch = fetch,
): string | (() => Promise<string>) | undefined {
  if (env.AIRLOCK_TOKEN) return env.AIRLOCK_TOKEN;
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!url || !bearer) {
    if (env.GITHUB_ACTIONS === 'true')
      throw new CliError(
        'no AIRLOCK_TOKEN, and no OIDC token from GitHub: give the job `permissions: id-token: write`, or set AIRLOCK_TOKEN',
        EXIT.auth,
      );
    return undefined;
  }
  const audience = env.AIRLOCK_OIDC_AUDIENCE ?? 'airlock';
  let cached: { token: string; refreshAt: number } | undefined;
  return async () => {
    if (cached && Date.now() < cached.refreshAt) return cached.token;
    const token = await fetchGithubIdToken(url, bearer, audience, fetchImpl);
    cached = { token, refreshAt: refreshTimeOf(token) };
    return token;
  };
}

async function fetchGithubIdToken(
  requestUrl: string,
  bearer: string,
  audience: string,
  fetchImpl: typeof fetch,
): Promise<string> {
  const url = new URL(requestUrl);
  url.searchParams.set('audience', audience);
  let res: Response;
  try {
    res = await fetchImpl(url, {
      headers: { authorization: `bearer ${bearer}`, accept: 'application/json' },
    });
  } catch (err) {
    throw new CliError(
      `could not reach GitHub's OIDC token endpoint: ${err instanceof Error ? err.message : err}`,
      EXIT.auth,
    );
  }
  const body = (await res.json().catch(() => undefined)) as { value?: unknown } | undefined;
  if (!res.ok || typeof body?.value !== 'string')
    throw new CliError(`GitHub's OIDC token endpoint answered ${res.status} without a token`, EXIT.auth);
  return body.value;
}

/** A minute before the token's `exp` (GitHub's last about five minutes); unreadable: now. */
function refreshTimeOf(token: string): number {
  try {
    const { exp } = decodeJwt(token);
    return exp ? exp * 1000 - 60_000 : Date.now();
  } catch {
    return Date.now();
  }
}
