// With OIDC configured, /mcp tells an MCP client where to get a token: OAuth protected-resource
// metadata (RFC 9728) naming the issuer, and a 401 challenge that points at it.
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../api/auth.js';
import type { ApiDeps } from '../../../api/deps.js';
import { problemMiddleware } from '../../../api/problem.js';
import { McpSessions, mcpRouter } from '../../../mcp/http.js';
import { type Listening, listen } from '../api-auth/listen.js';

const ISSUER = 'https://login.example.com';
const PUBLIC_URL = 'https://airlock.example.com';
let server: Listening;
const sessions = new McpSessions();

beforeAll(async () => {
  const authenticate = createAuthenticator({
    apiKeys: [],
    // Never fetched: the requests below carry no JWT.
    oidc: { issuer: ISSUER, audience: 'airlock', jwksUrl: `${ISSUER}/keys` },
  });
  const deps = { authenticate, publicUrl: PUBLIC_URL, oidc: { issuer: ISSUER } } as unknown as ApiDeps;
  const app = express();
  app.use(mcpRouter(deps, { sessions }));
  app.use(problemMiddleware());
  server = await listen(app);
});

afterAll(async () => {
  await sessions.closeAll();
  await server.close();
});

describe('MCP gateway: OAuth protected-resource metadata', () => {
  it('serves the metadata at the root and at the /mcp path, naming the issuer', async () => {
    for (const path of [
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
    ]) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        resource: `${PUBLIC_URL}/mcp`,
        authorization_servers: [ISSUER],
        bearer_methods_supported: ['header'],
      });
    }
  });

  it('points the 401 challenge at the metadata', async () => {
    const res = await fetch(`${server.url}/mcp`, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer realm="airlock", resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });
});
