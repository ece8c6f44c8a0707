// A real OpenID provider for the console's sign-in tests: oidc-provider (the certified Node
// implementation) on a local port, with its development login and consent pages, a public client
// that must use PKCE, and the users given, whose ID tokens carry email, email_verified and roles.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { routeConsoleToLogger } from '../../../startup/console.js';

// oidc-provider warns on import and construction that it runs on Node 20 with its development
// defaults (in-memory store, its own keys, dev login pages): all true and intended for a test
// provider, so those lines go to a silent logger instead of the test output.
const quiet = pino({ level: 'silent' });
const { default: Provider } = await (async () => {
  const restore = routeConsoleToLogger(quiet);
  try {
    return await import('oidc-provider');
  } finally {
    restore();
  }
})();

export interface TestUser {
  /** The login typed on the provider's page (its account id and `sub`). */
  login: string;
  email: string;
  roles: string[];
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  close(): Promise<void>;
}

export async function startOidcProvider(opts: {
  port: number;
  redirectUri: string;
  users: TestUser[];
}): Promise<TestProvider> {
  const issuer = `http://127.0.0.1:${opts.port}`;
  const clientId = 'airlock-console';
  const users = new Map(opts.users.map((u) => [u.login, u]));
  const restore = routeConsoleToLogger(quiet);
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        token_endpoint_auth_method: 'none',
        redirect_uris: [opts.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    pkce: { required: () => true },
    scopes: ['openid', 'email', 'profile'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['roles'] },
    // The claims of the requested scopes in the ID token itself (as Entra ID puts roles there).
    conformIdTokenClaims: false,
    findAccount: async (_ctx: unknown, id: string) => {
      const user = users.get(id);
      if (!user) return undefined;
      return {
        accountId: id,
        claims: async () => ({ sub: id, email: user.email, email_verified: true, roles: user.roles }),
      };
    },
    cookies: { keys: ['airlock-test-provider-cookie-key'] },
    features: { devInteractions: { enabled: true } },
  });
  restore();
  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(opts.port, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  if (port !== opts.port) throw new Error('provider port mismatch');
  return {
    issuer,
    clientId,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
