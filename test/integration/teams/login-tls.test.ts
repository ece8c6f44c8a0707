// The outgoing login authority is https (SPEC 9), self-signed in tests and private clouds. In
// production it is trusted through NODE_EXTRA_CA_CERTS: a child process proves the bot's own
// credentials code gets a token with it, and fails the TLS handshake without it.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TeamsSettings } from '../../../bots/teams/auth.js';
import { FakeTeams } from '../../fakes/bot-connector.js';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./login-token.child.ts', import.meta.url));
let teams: FakeTeams;
let dir: string;
let settings: TeamsSettings;

beforeAll(async () => {
  teams = await FakeTeams.start({
    appId: randomUUID(),
    appPassword: randomBytes(16).toString('hex'),
    tenantId: randomUUID(),
  });
  dir = mkdtempSync(join(tmpdir(), 'airlock-ca-'));
  writeFileSync(join(dir, 'ca.pem'), teams.caPem);
  settings = {
    appId: teams.opts.appId,
    appPassword: teams.opts.appPassword,
    tenantId: teams.opts.tenantId,
    allowedTenants: [teams.opts.tenantId],
    endpoints: {
      openIdMetadataUrl: teams.openIdMetadataUrl,
      tokenIssuer: teams.tokenIssuer,
      loginUrl: teams.loginOrigin,
    },
  };
});

afterAll(async () => {
  await teams?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function tokenInChild(extraCa: boolean): Promise<string> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AIRLOCK_TEST_TEAMS_SETTINGS: JSON.stringify(settings),
  };
  if (extraCa) env.NODE_EXTRA_CA_CERTS = join(dir, 'ca.pem');
  const { stdout } = await run(process.execPath, ['--import', 'tsx', child], { env, timeout: 30_000 });
  return stdout.trim();
}

describe('login authority over self-signed https', () => {
  it('gets a token when NODE_EXTRA_CA_CERTS names the CA', async () => {
    const before = teams.tokenRequests;
    expect(await tokenInChild(true)).toBe('token ok 3');
    expect(teams.tokenRequests).toBe(before + 1);
  });

  it('fails the TLS handshake without it, before any secret is sent', async () => {
    const before = teams.tokenRequests;
    expect(await tokenInChild(false)).toMatch(/^token failed/);
    expect(teams.tokenRequests).toBe(before);
  });
});
