// parseEnv: defaults, one named line per bad variable, all-or-none groups, strict booleans, no secrets shown.
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../../config/env.js';
import { errorOf } from './parse-env-error.js';

const KEY = Buffer.alloc(32, 7).toString('base64');
const PROD = {
  AIRLOCK_CONFIG: '/etc/airlock/airlock.yaml',
  AIRLOCK_POLICY: '/etc/airlock/policy.yaml',
  AIRLOCK_ENCRYPTION_KEY: KEY,
};

describe('parseEnv', () => {
  it('gives the documented defaults and demo mode for an empty environment', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      role: 'all',
      logLevel: 'info',
      port: 8080,
      publicUrl: 'http://localhost:8080',
      demoMode: true,
      temporal: { namespace: 'default', taskQueue: 'airlock' },
      dataDir: '.airlock',
    });
    expect(env.configPath).toMatch(/demo[/\\]airlock\.yaml$/);
    expect(env.policyPath).toMatch(/demo[/\\]policy\.yaml$/);
    expect(env.oidc).toBeUndefined();
    expect(env.teams).toBeUndefined();
    expect(env.slack).toBeUndefined();
    expect(env.encryptionKey).toBeUndefined();
    expect(env.temporal.address).toBeUndefined();
  });

  it('derives the public URL from PORT, and treats blank values as unset', () => {
    expect(parseEnv({ PORT: '9090' }).publicUrl).toBe('http://localhost:9090');
    expect(parseEnv({ PORT: '' }).port).toBe(8080);
    expect(parseEnv({ AIRLOCK_PUBLIC_URL: 'https://airlock.example.com/' }).publicUrl).toBe(
      'https://airlock.example.com',
    );
  });

  it('names PORT, what is wrong and the value it got', () => {
    // PORT 0 means "any free port" (tests, several local instances); the other ports start at 1.
    expect(errorOf({ PORT: 'abc' }).message).toBe('PORT: must be an integer between 0 and 65535, got "abc"');
    expect(errorOf({ PORT: '65536' }).issues).toEqual([
      'PORT: must be an integer between 0 and 65535, got "65536"',
    ]);
    expect(errorOf({ TEMPORAL_PORT: '0' }).issues).toEqual([
      'TEMPORAL_PORT: must be an integer between 1 and 65535, got "0"',
    ]);
    expect(errorOf({ PORT: '65536' }).issues).toHaveLength(1);
  });

  it.each([
    ['AIRLOCK_ROLE', 'both', 'must be one of all, api, worker'],
    ['LOG_LEVEL', 'loud', 'must be one of fatal'],
    ['AIRLOCK_PUBLIC_URL', 'airlock.example.com', 'must be an http:// or https:// URL'],
    ['TEMPORAL_ADDRESS', 'localhost', 'must be host:port'],
    ['TEMPORAL_UI_URL', 'ftp://x', 'must be an http:// or https:// URL'],
    ['TEMPORAL_UI_PORT', '8x', 'must be an integer between 1 and 65535'],
    ['TEMPORAL_PORT', '-1', 'must be an integer between 1 and 65535'],
    ['BOTFRAMEWORK_LOGIN_URL', 'http://login.example.com', 'must be an https:// URL'],
    ['BOTFRAMEWORK_OPENID_METADATA_URL', 'nope', 'must be an http:// or https:// URL'],
    ['SLACK_API_URL', 'slack.com/api', 'must be an http:// or https:// URL'],
  ])('names %s when it is %j', (name, value, detail) => {
    const err = errorOf({ [name]: value });
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]?.startsWith(`${name}: ${detail}`)).toBe(true);
    expect(err.issues[0]?.endsWith(`, got ${JSON.stringify(value)}`)).toBe(true);
  });

  it('reports every bad variable, one per line', () => {
    const err = errorOf({ PORT: 'x', AIRLOCK_ROLE: 'y', TEMPORAL_ADDRESS: 'z' });
    expect(err.issues.map((l) => l.split(':')[0])).toEqual(['AIRLOCK_ROLE', 'PORT', 'TEMPORAL_ADDRESS']);
    expect(err.message.split('\n')).toHaveLength(3);
  });

  it('accepts a full OIDC set and names the missing members of a partial one', () => {
    const full = {
      OIDC_ISSUER: 'https://token.actions.githubusercontent.com',
      OIDC_AUDIENCE: 'airlock',
      OIDC_JWKS_URL: 'https://token.actions.githubusercontent.com/.well-known/jwks',
    };
    expect(parseEnv(full).oidc).toEqual({
      issuer: full.OIDC_ISSUER,
      audience: 'airlock',
      jwksUrl: full.OIDC_JWKS_URL,
      trustUnverifiedEmail: false,
    });
    // Secure by default: an unverified e-mail claim is no identity unless the operator says so.
    expect(
      parseEnv({ ...full, OIDC_PRINCIPAL_CLAIM: 'oid', OIDC_TRUST_UNVERIFIED_EMAIL: 'true' }).oidc,
    ).toMatchObject({
      principalClaim: 'oid',
      trustUnverifiedEmail: true,
    });
    expect(errorOf({ ...full, OIDC_TRUST_UNVERIFIED_EMAIL: 'yes' }).issues).toEqual([
      'OIDC_TRUST_UNVERIFIED_EMAIL: must be one of true, false, 1, 0, got "yes"',
    ]);
    const err = errorOf({ OIDC_ISSUER: full.OIDC_ISSUER });
    expect(err.issues).toHaveLength(2);
    expect(err.issues[0]).toMatch(/^OIDC_AUDIENCE: is not set, but OIDC_ISSUER is/);
    expect(err.issues[1]).toMatch(/^OIDC_JWKS_URL: is not set/);
    expect(errorOf({ ...full, OIDC_JWKS_URL: 'not a url' }).issues).toEqual([
      'OIDC_JWKS_URL: must be an http:// or https:// URL, got "not a url"',
    ]);
  });

  it('listens on this machine only in demo mode, unless HOST says otherwise', () => {
    expect(parseEnv({}).host).toBe('127.0.0.1');
    expect(parseEnv({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(parseEnv({ HOST: '' }).host).toBe('127.0.0.1');
    // Outside demo mode every interface stays the default (a server behind a load balancer).
    expect(parseEnv(PROD).host).toBeUndefined();
    expect(parseEnv({ ...PROD, HOST: '10.0.0.5' }).host).toBe('10.0.0.5');
    expect(parseEnv({ ...PROD, HOST: '::1' }).host).toBe('::1');
    expect(errorOf({ HOST: 'http://0.0.0.0' }).issues).toEqual([
      'HOST: must be an IP address or a host name (for example 127.0.0.1 or 0.0.0.0), got "http://0.0.0.0"',
    ]);
  });

  it('parses booleans strictly', () => {
    expect(parseEnv({ ...PROD, AIRLOCK_DEMO: 'true' }).demoMode).toBe(true);
    expect(parseEnv({ ...PROD, AIRLOCK_DEMO: '1' }).demoMode).toBe(true);
    expect(parseEnv({ ...PROD, AIRLOCK_DEMO: '0' }).demoMode).toBe(false);
    expect(errorOf({ AIRLOCK_DEMO: 'yes' }).issues[0]).toBe(
      'AIRLOCK_DEMO: must be one of true, false, 1, 0, got "yes"',
    );
    const slack = { ...PROD, SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'sig' };
    expect(parseEnv({ ...slack, SLACK_EMAIL_LOOKUP: 'true' }).slack?.emailLookup).toBe(true);
    expect(errorOf({ ...slack, SLACK_EMAIL_LOOKUP: 'on' }).issues).toEqual([
      'SLACK_EMAIL_LOOKUP: must be one of true, false, 1, 0, got "on"',
    ]);
    // "false" must mean false: without files, the service refuses to start instead of running a demo.
    expect(errorOf({ AIRLOCK_DEMO: 'false' }).issues.map((l) => l.split(':')[0])).toEqual([
      'AIRLOCK_CONFIG',
      'AIRLOCK_POLICY',
      'AIRLOCK_ENCRYPTION_KEY',
    ]);
  });

  it('outside demo mode requires both files and an encryption key of exactly 32 bytes', () => {
    const env = parseEnv(PROD);
    expect(env.demoMode).toBe(false);
    expect(env.configPath).toBe(PROD.AIRLOCK_CONFIG);
    expect(env.encryptionKey?.equals(Buffer.alloc(32, 7))).toBe(true);
    expect(
      parseEnv({ ...PROD, AIRLOCK_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64url') }).encryptionKey,
    ).toHaveLength(32);
    expect(errorOf({ AIRLOCK_CONFIG: '/x.yaml' }).issues.map((l) => l.split(':')[0])).toEqual([
      'AIRLOCK_POLICY',
      'AIRLOCK_ENCRYPTION_KEY',
    ]);
    expect(errorOf({ ...PROD, AIRLOCK_ENCRYPTION_KEY: Buffer.alloc(16).toString('base64') }).issues).toEqual([
      'AIRLOCK_ENCRYPTION_KEY: must be the base64 encoding of exactly 32 bytes',
    ]);
  });

  it('never puts a secret value in the message', () => {
    const secrets = {
      AIRLOCK_ENCRYPTION_KEY: 'hunter2-not-base64!!',
      DATABASE_URL: 'mysql://airlock:hunter2-db@db:3306/airlock',
      SLACK_BOT_TOKEN: 'xoxb-hunter2-slack',
      TEAMS_APP_PASSWORD: 'hunter2-teams',
    };
    const err = errorOf(secrets);
    expect(err.issues.some((l) => l.startsWith('AIRLOCK_ENCRYPTION_KEY: must be the base64'))).toBe(true);
    expect(
      err.issues.some((l) => l.startsWith('DATABASE_URL: must be a postgres:// or postgresql:// URL')),
    ).toBe(true);
    expect(err.issues.some((l) => l.startsWith('SLACK_SIGNING_SECRET: is not set'))).toBe(true);
    expect(err.issues.some((l) => l.startsWith('TEAMS_APP_ID: is not set'))).toBe(true);
    expect(err.message).not.toContain('hunter2');
  });

  it('reads Temporal, database, Teams and Slack settings', () => {
    const env = parseEnv({
      ...PROD,
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'airlock-prod',
      TEMPORAL_TASK_QUEUE: 'approvals',
      DATABASE_URL: 'postgresql://airlock@db/airlock',
      TEAMS_APP_ID: 'app',
      TEAMS_APP_PASSWORD: 'pw',
      TEAMS_APP_TENANT_ID: 'tenant-a',
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'sig',
      AIRLOCK_ROLE: 'worker',
    });
    expect(env.temporal).toMatchObject({
      address: 'temporal.internal:7233',
      namespace: 'airlock-prod',
      taskQueue: 'approvals',
    });
    expect(env.databaseUrl).toBe('postgresql://airlock@db/airlock');
    expect(env.teams).toEqual({
      appId: 'app',
      appPassword: 'pw',
      tenantId: 'tenant-a',
      allowedTenants: ['tenant-a'],
      directoryLookup: false,
    });
    expect(env.slack).toEqual({ botToken: 'xoxb-1', signingSecret: 'sig', emailLookup: false });
    expect(env.role).toBe('worker');
    const listed = parseEnv({
      TEAMS_APP_ID: 'a',
      TEAMS_APP_PASSWORD: 'p',
      TEAMS_APP_TENANT_ID: 't',
      TEAMS_ALLOWED_TENANTS: 't, u ,',
    });
    expect(listed.teams?.allowedTenants).toEqual(['t', 'u']);
    expect(listed.teams?.directoryLookup).toBe(false);
    expect(
      parseEnv({
        ...PROD,
        TEAMS_APP_ID: 'a',
        TEAMS_APP_PASSWORD: 'p',
        TEAMS_APP_TENANT_ID: 't',
        TEAMS_DIRECTORY_LOOKUP: 'true',
      }).teams?.directoryLookup,
    ).toBe(true);
    expect(errorOf({ TEAMS_ALLOWED_TENANTS: 't' }).issues[0]).toMatch(/^TEAMS_ALLOWED_TENANTS: /);
  });
});
