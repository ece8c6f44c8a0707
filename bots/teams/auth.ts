// Bot Framework authentication for the Teams bot, from SPEC 9: app id, password and tenant, and
// the endpoint overrides (inbound OpenID metadata + token issuer, outbound login authority) that
// tests and sovereign clouds set, all three together. Inbound tokens are checked by botframework's
// ConfigurationBotFrameworkAuthentication; outgoing tokens come from an MSAL client we build so a
// custom authority is trusted explicitly (knownAuthorities) instead of via Microsoft's discovery.
import { ConfidentialClientApplication, LogLevel } from '@azure/msal-node';
import type { ConfigurationBotFrameworkAuthenticationOptions } from 'botbuilder';
import { MsalServiceClientCredentialsFactory } from 'botframework-connector';
import type { AirlockEnv } from '../../config/env.js';
import { ConfigError } from '../../config/errors.js';

/** Public-cloud values botframework uses when nothing is overridden. */
export const PUBLIC_CLOUD = {
  tokenIssuer: 'https://api.botframework.com',
  channelScope: 'https://api.botframework.com',
  oauthUrl: 'https://api.botframework.com',
  callerId: 'urn:botframework:azure',
  loginHost: 'https://login.microsoftonline.com',
} as const;

export interface TeamsSettings {
  appId: string;
  appPassword: string;
  tenantId: string;
  allowedTenants: string[];
  /** Set only when the SPEC 9 endpoint overrides are. */
  endpoints?: { openIdMetadataUrl: string; tokenIssuer: string; loginUrl: string };
}

const OVERRIDES = [
  ['BOTFRAMEWORK_OPENID_METADATA_URL', 'openIdMetadataUrl'],
  ['BOTFRAMEWORK_TOKEN_ISSUER', 'tokenIssuer'],
  ['BOTFRAMEWORK_LOGIN_URL', 'loginUrl'],
] as const;

/** Reads the Teams settings; a partial set of endpoint overrides is a ConfigError naming the missing ones. */
export function teamsSettings(env: Pick<AirlockEnv, 'teams' | 'botFramework'>): TeamsSettings {
  if (!env.teams) {
    throw new ConfigError([
      'TEAMS_APP_ID: the Teams plugin needs TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_APP_TENANT_ID',
    ]);
  }
  const bf = env.botFramework;
  const set = OVERRIDES.filter(([, key]) => bf[key]);
  if (set.length > 0 && set.length < OVERRIDES.length) {
    const names = set.map(([name]) => name).join(' and ');
    throw new ConfigError(
      OVERRIDES.filter(([, key]) => !bf[key]).map(
        ([name]) =>
          `${name}: is not set, but ${names} is; botframework needs all or none of ${OVERRIDES.map(([n]) => n).join(', ')}`,
      ),
    );
  }
  return {
    ...env.teams,
    allowedTenants: env.teams.allowedTenants.map((t) => t.toLowerCase()),
    endpoints:
      set.length === OVERRIDES.length
        ? { openIdMetadataUrl: bf.openIdMetadataUrl!, tokenIssuer: bf.tokenIssuer!, loginUrl: bf.loginUrl! }
        : undefined,
  };
}

/** The issuer inbound channel tokens must carry. */
export const expectedIssuer = (s: TeamsSettings): string =>
  s.endpoints?.tokenIssuer ?? PUBLIC_CLOUD.tokenIssuer;

/**
 * The authority the bot gets its own tokens from: the login URL as given when it names a path
 * (`https://login.example/tenant`), else the login host plus the bot's tenant.
 */
export function loginAuthority(s: TeamsSettings): string {
  if (!s.endpoints) return `${PUBLIC_CLOUD.loginHost}/${s.tenantId}`;
  const u = new URL(s.endpoints.loginUrl);
  const path = u.pathname.replace(/\/+$/, '');
  return path ? `${u.origin}${path}` : `${u.origin}/${s.tenantId}`;
}

/** Options for botbuilder's ConfigurationBotFrameworkAuthentication (no secrets in it). */
export function botFrameworkAuthOptions(s: TeamsSettings): ConfigurationBotFrameworkAuthenticationOptions {
  const base = { MicrosoftAppId: s.appId, MicrosoftAppTenantId: s.tenantId };
  if (!s.endpoints) return base;
  // Any parameterized value switches botframework to "all values are intentional": give them all.
  return {
    ...base,
    ValidateAuthority: true,
    ToChannelFromBotLoginUrl: loginAuthority(s),
    ToChannelFromBotOAuthScope: PUBLIC_CLOUD.channelScope,
    ToBotFromChannelTokenIssuer: s.endpoints.tokenIssuer,
    OAuthUrl: PUBLIC_CLOUD.oauthUrl,
    ToBotFromChannelOpenIdMetadataUrl: s.endpoints.openIdMetadataUrl,
    // Emulator tokens are refused before they get here (wrong issuer); point this away from the internet anyway.
    ToBotFromEmulatorOpenIdMetadataUrl: s.endpoints.openIdMetadataUrl,
    CallerId: PUBLIC_CLOUD.callerId,
  };
}

/** Credentials for outgoing calls: client credentials against the login authority, secret kept inside MSAL. */
export function credentialsFactory(s: TeamsSettings): MsalServiceClientCredentialsFactory {
  const authority = loginAuthority(s);
  const app = new ConfidentialClientApplication({
    auth: {
      clientId: s.appId,
      clientSecret: s.appPassword,
      authority,
      // A configured authority is trusted as is; without this MSAL asks login.microsoftonline.com about it.
      knownAuthorities: s.endpoints ? [new URL(authority).host] : [],
    },
    system: {
      loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => {} },
    },
  });
  // ESM and CJS builds of msal-node declare the class twice; botframework only calls acquireTokenByClientCredential.
  type MsalApp = ConstructorParameters<typeof MsalServiceClientCredentialsFactory>[1];
  return new MsalServiceClientCredentialsFactory(s.appId, app as unknown as MsalApp);
}
