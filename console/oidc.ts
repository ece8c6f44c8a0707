// Sign-in with the configured OpenID provider: authorization code flow with PKCE (openid-client),
// the principal and roles mapped from the ID token by the API's own principalFromClaims, so a
// person holds the same roles in the console as with a bearer token. The flow's verifier, state
// and nonce travel in a short-lived cookie sealed with AES-256-GCM (nothing kept in memory, so
// any API instance can finish a flow another started).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { JWTPayload } from 'jose';
import * as client from 'openid-client';
import { type OidcOptions, type Principal, principalFromClaims } from '../api/auth.js';
import { clearCookie, cookiesOf, OIDC_FLOW_COOKIE, setCookie } from './security.js';

export type OidcOutcome =
  | { ok: true; principal: Principal; returnTo?: string }
  | { ok: false; status: number; reason: string; message: string };

export interface ConsoleOidc {
  start(req: Request, res: Response, returnTo: string | undefined): Promise<void>;
  finish(req: Request, res: Response): Promise<OidcOutcome>;
}

export interface ConsoleOidcOptions {
  /** The API's OIDC settings (issuer, principal and roles claims, subjects). */
  oidc: OidcOptions;
  clientId: string;
  /** Unset: a public client (PKCE alone, token endpoint auth `none`). */
  clientSecret?: string;
  publicUrl: string;
  /** 32 bytes; seals the flow cookie. */
  key: Buffer;
  scope?: string;
}

const FLOW_TTL_MS = 10 * 60_000;
const MAX_FLOW_COOKIE = 2048;

interface Flow {
  v: string;
  s: string;
  n: string;
  r?: string;
  e: number;
}

export function consoleOidc(opts: ConsoleOidcOptions): ConsoleOidc {
  const redirectUri = `${opts.publicUrl}/console/oidc/callback`;
  const secure = opts.publicUrl.startsWith('https:');
  const issuer = new URL(opts.oidc.issuer);
  let config: Promise<client.Configuration> | undefined;
  // Discovered on first use and kept; a failed discovery is tried again next time, so an
  // identity provider that was down at start-up does not need a restart of Airlock.
  const configuration = () => {
    config ??= client
      .discovery(
        issuer,
        opts.clientId,
        opts.clientSecret ? { client_secret: opts.clientSecret } : undefined,
        opts.clientSecret ? client.ClientSecretPost(opts.clientSecret) : client.None(),
        issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined,
      )
      .catch((err: unknown) => {
        config = undefined;
        throw err;
      });
    return config;
  };

  return {
    async start(_req, res, returnTo) {
      const c = await configuration();
      const verifier = client.randomPKCECodeVerifier();
      const flow: Flow = {
        v: verifier,
        s: client.randomState(),
        n: client.randomNonce(),
        e: Date.now() + FLOW_TTL_MS,
        ...(returnTo ? { r: returnTo } : {}),
      };
      const url = client.buildAuthorizationUrl(c, {
        redirect_uri: redirectUri,
        scope: opts.scope ?? 'openid email profile',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: flow.s,
        nonce: flow.n,
      });
      setCookie(res, OIDC_FLOW_COOKIE, seal(opts.key, flow), { secure, maxAgeSeconds: FLOW_TTL_MS / 1000 });
      res.redirect(303, url.href);
    },

    async finish(req, res) {
      const sealed = cookiesOf(req)[OIDC_FLOW_COOKIE];
      clearCookie(res, OIDC_FLOW_COOKIE, secure);
      const flow = sealed ? open(opts.key, sealed) : undefined;
      if (!flow || flow.e <= Date.now()) {
        return refused(400, 'no_flow', 'The sign-in took too long or did not start here. Sign in again.');
      }
      if (typeof req.query.error === 'string') {
        return refused(
          401,
          `provider:${req.query.error.slice(0, 64)}`,
          'The identity provider did not sign you in.',
        );
      }
      let claims: JWTPayload | undefined;
      try {
        const c = await configuration();
        const tokens = await client.authorizationCodeGrant(c, new URL(req.originalUrl, opts.publicUrl), {
          pkceCodeVerifier: flow.v,
          expectedState: flow.s,
          expectedNonce: flow.n,
          idTokenExpected: true,
        });
        claims = tokens.claims() as JWTPayload | undefined;
      } catch (err) {
        return refused(
          401,
          `exchange:${err instanceof Error ? err.name : 'error'}`,
          'The sign-in could not be completed. Sign in again.',
        );
      }
      if (!claims) return refused(401, 'no_id_token', 'The identity provider sent no ID token.');
      try {
        const principal = principalFromClaims(claims, opts.oidc);
        if (principal.roles.length === 0) {
          return refused(
            403,
            'no_roles',
            `${principal.id} holds no Airlock role (requester, approver, auditor or admin).`,
          );
        }
        return {
          ok: true,
          principal: { ...principal, via: 'oidc' },
          ...(flow.r ? { returnTo: flow.r } : {}),
        };
      } catch {
        return refused(
          403,
          'no_identity',
          'Your account names no identity Airlock can use (a verified e-mail address).',
        );
      }
    },
  };
}

function refused(status: number, reason: string, message: string): OidcOutcome {
  return { ok: false, status, reason, message };
}

function seal(key: Buffer, flow: Flow): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(flow), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

function open(key: Buffer, sealed: string): Flow | undefined {
  if (sealed.length > MAX_FLOW_COOKIE) return undefined;
  try {
    const raw = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    const flow = JSON.parse(text) as Flow;
    return typeof flow.v === 'string' && typeof flow.s === 'string' && typeof flow.n === 'string'
      ? flow
      : undefined;
  } catch {
    return undefined;
  }
}
