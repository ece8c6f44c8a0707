// The evidence settings of the environment: retired encryption keys (named by position, never
// shown), the archiver interval, and the owner URL used only to migrate.
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../../config/env.js';
import { ConfigError } from '../../../config/errors.js';

const key = (n: number) => Buffer.alloc(32, n).toString('base64');
const PROD = { AIRLOCK_CONFIG: '/c.yaml', AIRLOCK_POLICY: '/p.yaml', AIRLOCK_ENCRYPTION_KEY: key(1) };

function issues(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    parseEnv(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('accepted');
}

describe('evidence environment', () => {
  it('has safe defaults: no old keys, archive every 5 minutes', () => {
    const env = parseEnv(PROD);
    expect(env.previousEncryptionKeys).toEqual([]);
    expect(env.archive.intervalMs).toBe(300_000);
    expect(env.migrationDatabaseUrl).toBeUndefined();
  });

  it('reads retired keys as a comma list', () => {
    const env = parseEnv({ ...PROD, AIRLOCK_ENCRYPTION_KEYS_OLD: ` ${key(2)}, ${key(3)} ,` });
    expect(env.previousEncryptionKeys.map((k) => k[0])).toEqual([2, 3]);
  });

  it('names each bad retired key by position without showing any key', () => {
    const bad = 'not-a-key-at-all';
    const lines = issues({
      ...PROD,
      AIRLOCK_ENCRYPTION_KEYS_OLD: `${key(2)},${bad},${Buffer.alloc(16).toString('base64')}`,
    });
    expect(lines).toEqual([
      'AIRLOCK_ENCRYPTION_KEYS_OLD: entry 2 of 3 must be the base64 encoding of exactly 32 bytes',
      'AIRLOCK_ENCRYPTION_KEYS_OLD: entry 3 of 3 must be the base64 encoding of exactly 32 bytes',
    ]);
    expect(lines.join('\n')).not.toContain(bad);
    expect(lines.join('\n')).not.toContain(key(2));
  });

  it('takes an archive interval between 1s and 1d', () => {
    expect(parseEnv({ ...PROD, AIRLOCK_ARCHIVE_INTERVAL: '30s' }).archive.intervalMs).toBe(30_000);
    expect(issues({ ...PROD, AIRLOCK_ARCHIVE_INTERVAL: '2d' })).toEqual([
      'AIRLOCK_ARCHIVE_INTERVAL: must be a duration between 1s and 1d (for example 5m), got "2d"',
    ]);
    expect(issues({ ...PROD, AIRLOCK_ARCHIVE_INTERVAL: '300' })[0]).toMatch(
      /^AIRLOCK_ARCHIVE_INTERVAL: must be a duration/,
    );
  });

  it('wants a migration URL only next to DATABASE_URL, and never shows it', () => {
    const owner = 'postgres://owner:s3cret@db/airlock';
    expect(issues({ ...PROD, AIRLOCK_MIGRATION_DATABASE_URL: owner })).toEqual([
      'AIRLOCK_MIGRATION_DATABASE_URL: is set but DATABASE_URL is not (the embedded store has no separate owner role)',
    ]);
    expect(
      parseEnv({ ...PROD, DATABASE_URL: 'postgres://app@db/airlock', AIRLOCK_MIGRATION_DATABASE_URL: owner })
        .migrationDatabaseUrl,
    ).toBe(owner);
    expect(issues({ ...PROD, AIRLOCK_MIGRATION_DATABASE_URL: 'mysql://x:s3cret@y' }).join()).not.toContain(
      's3cret',
    );
  });
});
