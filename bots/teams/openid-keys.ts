// The channel's signing keys, as botframework fetches them (OpenID metadata, then its jwks_uri).
// botframework reports a metadata or keys endpoint answering non-2xx as an AuthenticationError
// with status 500 (which the route turns into 503 "keys unavailable"), but a document it cannot
// use escapes as a TypeError or a parse error (a 500), and a key document without a key list is
// cached for a day as "no keys" (every token then looks forged). Both are the same condition:
// the keys are unavailable. This makes every failure to get a usable key list that error, and
// keeps nothing from a bad answer, so the next activity tries again.
import { AuthenticationError } from 'botframework-connector';
// Not exported by the package index; the same module instance its JwtTokenExtractor uses.
import { OpenIdMetadata } from 'botframework-connector/lib/auth/openIdMetadata.js';

const KEYS_UNAVAILABLE = 500;

interface MetadataCache {
  keys?: unknown;
  lastUpdated: number;
}

let installed = false;

/** Idempotent; call before the first activity is authenticated. */
export function installKeysUnavailableGuard(): void {
  if (installed) return;
  installed = true;
  const prototype = OpenIdMetadata.prototype as unknown as { refreshCache(): Promise<void> };
  const refresh = prototype.refreshCache;
  prototype.refreshCache = async function (this: MetadataCache) {
    const before = { keys: this.keys, lastUpdated: this.lastUpdated };
    try {
      await refresh.call(this);
    } catch (err) {
      Object.assign(this, before);
      if (err instanceof AuthenticationError) throw err;
      throw new AuthenticationError(`Failed to load keys: ${describe(err)}`, KEYS_UNAVAILABLE);
    }
    if (!Array.isArray(this.keys)) {
      Object.assign(this, before);
      throw new AuthenticationError(
        'Failed to load keys: the key document has no key list',
        KEYS_UNAVAILABLE,
      );
    }
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 200) : 'unknown error';
}
