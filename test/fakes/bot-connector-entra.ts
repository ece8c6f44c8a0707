// The fake Entra (Microsoft identity platform) the bot gets its outgoing tokens from, over https
// with a self-signed certificate as botframework/MSAL require: the tenant's OpenID configuration
// and a client-credentials token endpoint that checks app id, secret and scope, and signs RS256
// tokens for the Bot Framework audience that the fake Bot Connector then demands.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { selfSignedCert } from './bot-connector-tls.js';

export const BOT_SCOPE = 'https://api.botframework.com';

export interface FakeEntra {
  /** https://127.0.0.1:<port>: the BOTFRAMEWORK_LOGIN_URL (the tenant is appended by the bot). */
  origin: string;
  issuer: string;
  /** The self-signed certificate, to trust as a CA. */
  caPem: string;
  tokenRequests(): number;
  /** Whether a bearer token is one this Entra issued to `appId` for the Bot Framework. */
  verifies(token: string, appId: string): Promise<boolean>;
  close(): Promise<void>;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(res: ServerResponse, status: number, value?: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(value === undefined ? '' : JSON.stringify(value));
}

export async function startFakeEntra(app: {
  appId: string;
  appPassword: string;
  tenantId: string;
}): Promise<FakeEntra> {
  const keys = await generateKeyPair('RS256');
  const tls = selfSignedCert();
  let requests = 0;
  let origin = '';
  const base = `/${app.tenantId}`;
  const issuer = () => `${origin}${base}/v2.0`;

  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (req.method === 'GET' && path === `${base}/v2.0/.well-known/openid-configuration`) {
        return sendJson(res, 200, {
          issuer: issuer(),
          authorization_endpoint: `${origin}${base}/oauth2/v2.0/authorize`,
          token_endpoint: `${origin}${base}/oauth2/v2.0/token`,
          end_session_endpoint: `${origin}${base}/oauth2/v2.0/logout`,
          jwks_uri: `${origin}${base}/discovery/v2.0/keys`,
          response_types_supported: ['code', 'token'],
          token_endpoint_auth_methods_supported: ['client_secret_post'],
        });
      }
      if (req.method !== 'POST' || path !== `${base}/oauth2/v2.0/token`)
        return sendJson(res, 404, { error: 'not_found' });
      requests++;
      const form = new URLSearchParams(await readBody(req));
      if (form.get('grant_type') !== 'client_credentials')
        return sendJson(res, 400, { error: 'unsupported_grant_type' });
      if (form.get('client_id') !== app.appId || form.get('client_secret') !== app.appPassword) {
        return sendJson(res, 401, {
          error: 'invalid_client',
          error_description: 'AADSTS7000215: Invalid client secret.',
        });
      }
      if (form.get('scope') !== `${BOT_SCOPE}/.default`)
        return sendJson(res, 400, { error: 'invalid_scope' });
      const now = Math.floor(Date.now() / 1000);
      const accessToken = await new SignJWT({
        appid: app.appId,
        azp: app.appId,
        tid: app.tenantId,
        ver: '2.0',
      })
        .setProtectedHeader({ alg: 'RS256', kid: 'entra-1', typ: 'JWT' })
        .setIssuer(issuer())
        .setAudience(BOT_SCOPE)
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(keys.privateKey);
      sendJson(res, 200, {
        token_type: 'Bearer',
        expires_in: 3600,
        ext_expires_in: 3600,
        access_token: accessToken,
      });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    issuer: issuer(),
    caPem: tls.cert,
    tokenRequests: () => requests,
    async verifies(token, appId) {
      try {
        const { payload } = await jwtVerify(token, keys.publicKey, {
          issuer: issuer(),
          audience: BOT_SCOPE,
          algorithms: ['RS256'],
        });
        return payload.appid === appId;
      } catch {
        return false;
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
