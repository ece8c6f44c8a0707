// Bot Framework settings from SPEC 9: the three endpoint overrides go together, the login
// authority gets the tenant unless it names one, and the parameterized options are complete and
// secret-free.
import { describe, expect, it } from 'vitest';
import {
  botFrameworkAuthOptions,
  expectedIssuer,
  loginAuthority,
  PUBLIC_CLOUD,
  teamsSettings,
} from '../../../bots/teams/auth.js';
import { ConfigError } from '../../../config/errors.js';

const teams = {
  appId: 'app-1',
  appPassword: 'p4ssw0rd-secret',
  tenantId: 'tenant-1',
  allowedTenants: ['Tenant-1'],
  directoryLookup: false,
};
const endpoints = {
  openIdMetadataUrl: 'http://127.0.0.1:1/v1/.well-known/openidconfiguration',
  tokenIssuer: 'https://issuer.test',
  loginUrl: 'https://login.test',
};

describe('teamsSettings', () => {
  it('uses the public cloud without overrides', () => {
    const s = teamsSettings({ teams, botFramework: {} });
    expect(s.endpoints).toBeUndefined();
    expect(s.allowedTenants).toEqual(['tenant-1']);
    expect(expectedIssuer(s)).toBe(PUBLIC_CLOUD.tokenIssuer);
    expect(loginAuthority(s)).toBe('https://login.microsoftonline.com/tenant-1');
    expect(botFrameworkAuthOptions(s)).toEqual({ MicrosoftAppId: 'app-1', MicrosoftAppTenantId: 'tenant-1' });
  });

  it('refuses a partial set of overrides, naming what is missing and never the password', () => {
    let error: unknown;
    try {
      teamsSettings({ teams, botFramework: { tokenIssuer: endpoints.tokenIssuer } });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatch(
      /^BOTFRAMEWORK_OPENID_METADATA_URL: is not set, but BOTFRAMEWORK_TOKEN_ISSUER is/,
    );
    expect(issues[1]).toMatch(/^BOTFRAMEWORK_LOGIN_URL: /);
    expect(String((error as Error).message)).not.toContain(teams.appPassword);
  });

  it('refuses to start without Teams credentials', () => {
    expect(() => teamsSettings({ teams: undefined, botFramework: {} })).toThrow(ConfigError);
  });

  it('sets every parameterized value when overridden, without the password', () => {
    const s = teamsSettings({ teams, botFramework: endpoints });
    expect(expectedIssuer(s)).toBe('https://issuer.test');
    expect(loginAuthority(s)).toBe('https://login.test/tenant-1');
    expect(
      loginAuthority({ ...s, endpoints: { ...endpoints, loginUrl: 'https://login.test/custom-tenant/' } }),
    ).toBe('https://login.test/custom-tenant');
    const options = botFrameworkAuthOptions(s);
    expect(options).toMatchObject({
      ToChannelFromBotLoginUrl: 'https://login.test/tenant-1',
      ToBotFromChannelTokenIssuer: 'https://issuer.test',
      ToBotFromChannelOpenIdMetadataUrl: endpoints.openIdMetadataUrl,
      ToBotFromEmulatorOpenIdMetadataUrl: endpoints.openIdMetadataUrl,
      ToChannelFromBotOAuthScope: PUBLIC_CLOUD.channelScope,
      OAuthUrl: PUBLIC_CLOUD.oauthUrl,
      CallerId: PUBLIC_CLOUD.callerId,
    });
    expect(JSON.stringify(options)).not.toContain(teams.appPassword);
  });
});
