// Demo mode only: API keys, the master key and the demo target's secret, generated on first
// start and kept in the data dir (mode 0600) so restarts print the same keys. Never used when
// AIRLOCK_CONFIG is set.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateApiKey, hashApiKey } from './api-keys.js';
import type { ApiKeyEntry, Role } from './types.js';

export interface DemoKey {
  principal: string;
  roles: Role[];
  key: string;
}

export interface DemoSecrets {
  keys: DemoKey[];
  apiKeys: ApiKeyEntry[];
  masterKey: Buffer;
  targetSecret: string;
}

const DEMO_PRINCIPALS: { principal: string; roles: Role[]; prefix: string }[] = [
  { principal: 'ci@example.com', roles: ['requester'], prefix: 'req' },
  { principal: 'dana@example.com', roles: ['approver'], prefix: 'appr' },
  { principal: 'audit@example.com', roles: ['auditor'], prefix: 'aud' },
  { principal: 'admin@example.com', roles: ['admin'], prefix: 'adm' },
];

interface Stored {
  keys: DemoKey[];
  masterKey: string;
  targetSecret: string;
}

export function loadDemoSecrets(dataDir: string): DemoSecrets {
  const file = join(dataDir, 'demo-secrets.json');
  let stored: Stored;
  if (existsSync(file)) {
    stored = JSON.parse(readFileSync(file, 'utf8')) as Stored;
  } else {
    stored = {
      keys: DEMO_PRINCIPALS.map((p) => ({
        principal: p.principal,
        roles: p.roles,
        key: generateApiKey(p.prefix),
      })),
      masterKey: randomBytes(32).toString('base64'),
      targetSecret: randomBytes(24).toString('base64url'),
    };
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  return {
    keys: stored.keys,
    apiKeys: stored.keys.map((k) => ({ principal: k.principal, roles: k.roles, sha256: hashApiKey(k.key) })),
    masterKey: Buffer.from(stored.masterKey, 'base64'),
    targetSecret: stored.targetSecret,
  };
}
