// A real OIDC issuer on a local port (discovery + JWKS over HTTP) that mints RS256 tokens, and the
// bad ones attackers and clocks produce: expired, wrong audience, foreign key, alg none, HS256.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';

export interface SignOptions {
  /** exp one hour in the past. */
  expired?: boolean;
  /** Overrides `aud` (default: the issuer's audience). */
  audience?: string;
  /** Overrides `iss`. */
  issuer?: string;
  /** Sign with a key the JWKS does not publish (same kid). */
  otherKey?: boolean;
  /** `none`: unsigned token; `HS256`: HMAC with a shared secret. */
  alg?: 'RS256' | 'none' | 'HS256';
  /** Lifetime in seconds (default 300). */
  expiresIn?: number;
  /** Leave out `exp`. */
  noExp?: boolean;
}

export interface FakeOidcIssuer {
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** Number of JWKS fetches served, to check caching. */
  jwksRequests(): number;
  /** Makes the JWKS endpoint answer 500 (the issuer is down). */
  setJwksFailing(failing: boolean): void;
  sign(claims: JWTPayload, options?: SignOptions): Promise<string>;
  close(): Promise<void>;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export async function startFakeOidcIssuer(audience = 'airlock'): Promise<FakeOidcIssuer> {
  const kid = 'fake-key-1';
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  let jwksHits = 0;
  let failing = false;

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          issuer,
          jwks_uri: `${issuer}/jwks.json`,
          id_token_signing_alg_values_supported: ['RS256'],
        }),
      );
      return;
    }
    if (path === '/jwks.json') {
      jwksHits += 1;
      if (failing) {
        res.writeHead(500).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const sign = async (claims: JWTPayload, options: SignOptions = {}): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      iss: options.issuer ?? issuer,
      aud: options.audience ?? audience,
      iat: options.expired ? now - 7200 : now,
      ...(options.noExp ? {} : { exp: options.expired ? now - 3600 : now + (options.expiresIn ?? 300) }),
      ...claims,
    };
    if (options.alg === 'none') return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
    if (options.alg === 'HS256') {
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'HS256', kid })
        .sign(new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!'));
    }
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .sign(options.otherKey ? other.privateKey : privateKey);
  };

  return {
    issuer,
    audience,
    jwksUrl: `${issuer}/jwks.json`,
    jwksRequests: () => jwksHits,
    setJwksFailing: (value) => {
      failing = value;
    },
    sign,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
