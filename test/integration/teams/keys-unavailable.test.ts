// The channel's OpenID keys are a dependency like any other: when its metadata endpoint answers a
// document the bot cannot use (no jwks_uri, not JSON, no key list), an activity gets the 503
// "authentication keys unavailable", never a 500, and a forged token is not let through either.
// Real botframework authentication against the fake Bot Connector; no bot logic runs.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AirlockTeamsAdapter } from '../../../bots/teams/adapter.js';
import {
  botFrameworkAuthOptions,
  credentialsFactory,
  expectedIssuer,
  type TeamsSettings,
} from '../../../bots/teams/auth.js';
import { messagesRouter } from '../../../bots/teams/http.js';
import { routeConsoleToLogger } from '../../../startup/console.js';
import { FakeTeams } from '../../fakes/bot-connector.js';

let teams: FakeTeams;
let server: Server;
let botUrl: string;
let turns = 0;

// As in the service (main.ts), the connector's console lines for forged tokens go to the logger.
const logger = pino({ level: 'silent' });
let restoreConsole: () => void;

beforeAll(async () => {
  restoreConsole = routeConsoleToLogger(logger);
  teams = await FakeTeams.start({
    appId: randomUUID(),
    appPassword: randomBytes(16).toString('hex'),
    tenantId: randomUUID(),
  });
  const settings: TeamsSettings = {
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
  const adapter = new AirlockTeamsAdapter(botFrameworkAuthOptions(settings), credentialsFactory(settings));
  const app = express();
  app.use(
    messagesRouter({
      adapter,
      expectedIssuer: expectedIssuer(settings),
      logic: async () => {
        turns++;
      },
      logger,
    }),
  );
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  botUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await teams?.close();
  restoreConsole?.();
});

const conversation = () => ({
  id: `19:${randomUUID()}@thread.tacv2`,
  conversationType: 'channel' as const,
  tenantId: teams.opts.tenantId,
});
const user = () => ({
  id: `29:${randomUUID()}`,
  aadObjectId: randomUUID(),
  name: 'Dana',
  tenantId: teams.opts.tenantId,
});

describe('Teams: the channel keys endpoint answers an unusable document', () => {
  const broken: [string, () => unknown][] = [
    ['a metadata document without jwks_uri', () => ({ issuer: teams.tokenIssuer })],
    ['a jwks_uri that is not a URL', () => ({ issuer: teams.tokenIssuer, jwks_uri: 42 })],
    ['a metadata body that is not JSON', () => '<html>maintenance</html>'],
    // Points at the metadata document itself: JSON, but no `keys` list in it.
    ['a keys document without a key list', () => ({ jwks_uri: teams.openIdMetadataUrl })],
  ];

  for (const [name, body] of broken) {
    it(`answers 503 "keys unavailable" for ${name}, and runs nothing`, async () => {
      teams.serveMetadata(body());
      try {
        const before = turns;
        const answer = await teams.deliver(botUrl, teams.message(conversation(), user(), 'help'));
        expect(answer.status).toBe(503);
        expect(answer.body).toEqual({ error: 'authentication keys unavailable' });
        const forged = await teams.deliver(botUrl, teams.message(conversation(), user(), 'help'), {
          tokenOptions: { otherKey: true },
        });
        expect(forged.status).toBe(503);
        expect(turns).toBe(before);
      } finally {
        teams.serveMetadata(undefined);
      }
    });
  }

  it('recovers once the endpoint serves its keys again: a good token runs, a forged one is 401', async () => {
    teams.serveMetadata({ issuer: teams.tokenIssuer });
    expect((await teams.deliver(botUrl, teams.message(conversation(), user(), 'help'))).status).toBe(503);
    teams.serveMetadata(undefined);
    const before = turns;
    const good = await teams.deliver(botUrl, teams.message(conversation(), user(), 'help'));
    expect(good.status).toBe(200);
    expect(turns).toBe(before + 1);
    const forged = await teams.deliver(botUrl, teams.message(conversation(), user(), 'help'), {
      tokenOptions: { otherKey: true },
    });
    expect(forged.status).toBe(401);
  });
});
