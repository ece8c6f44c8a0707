// `airlock audit ...`: evidence for people who do not trust the server. `verify` recomputes the
// chain, checkpoints and archived histories straight from the database; `export` fetches a signed
// pack from the API; `verify-pack` checks a pack with no server and no database; `migrate` runs
// the schema migrations as the tables' owner.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type PackProblem, verifyPack } from '../audit/pack-verify.js';
import { publicKeyOfJwk } from '../audit/signing.js';
import { verifyEvidence } from '../audit/verify-evidence.js';
import { migrate } from '../db/migrate.js';
import { openPglite } from '../db/pglite.js';
import { openPostgres } from '../db/postgres.js';
import type { SqlDb } from '../db/sql.js';
import { signingKeyId } from '../lib/keys.js';

export const AUDIT_USAGE = `  airlock audit verify [--database-url URL] [--keys JWKS.json]
                                         recompute the chain, checkpoints and histories in the database
                                         (default DATABASE_URL, else the embedded store in AIRLOCK_DATA_DIR)
  airlock audit export --from ISO --to ISO [--format jsonl|csv] [--decrypt] --out FILE [--api URL]
                                         fetch a signed evidence pack (API key in AIRLOCK_API_KEY)
  airlock audit verify-pack FILE [--keys JWKS.json | --public-key BASE64URL ...]
                                         check a pack offline: valid, or the first break
  airlock audit migrate --database-url OWNER_URL
                                         apply the audit schema as the tables' owner`;

type Out = (line: string) => void;

function options(args: string[]): { positional: string[]; flags: Map<string, string[]> } {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const name = a.slice(2);
    const boolean = name === 'decrypt';
    const value = boolean ? 'true' : args[++i];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { positional, flags };
}

/** Keys the caller trusts: a JWKS file (as served at /.well-known/airlock-audit-keys.json) or raw keys. */
function trustedKeys(flags: Map<string, string[]>): Map<string, Buffer> | undefined {
  const keys = new Map<string, Buffer>();
  for (const file of flags.get('keys') ?? []) {
    const jwks = JSON.parse(readFileSync(resolve(file), 'utf8')) as { keys?: unknown[] };
    for (const jwk of jwks.keys ?? []) {
      const k = publicKeyOfJwk(jwk);
      keys.set(k.kid, k.publicKey);
    }
  }
  for (const raw of flags.get('public-key') ?? []) {
    const k = publicKeyOfJwk({
      kty: 'OKP',
      crv: 'Ed25519',
      x: raw,
      kid: signingKeyId(Buffer.from(raw, 'base64url')),
    });
    keys.set(k.kid, k.publicKey);
  }
  return keys.size > 0 ? keys : undefined;
}

function describeProblem(p: PackProblem): string {
  const isEvent = p.part === 'event' && p.eventId !== undefined;
  const where = [
    !isEvent && p.eventId !== undefined ? `event ${p.eventId}` : undefined,
    p.requestId ? `request ${p.requestId}` : undefined,
    p.eventKey,
    p.line !== undefined ? `line ${p.line}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  const hashes =
    p.expectedHash !== undefined || p.foundHash !== undefined
      ? `; expected ${p.expectedHash ?? '-'}, found ${p.foundHash ?? '-'}`
      : '';
  return `${isEvent ? `event ${p.eventId}` : p.part}${where ? ` (${where})` : ''}: ${p.reason}: ${p.detail}${hashes}`;
}

async function openDb(flags: Map<string, string[]>, env: NodeJS.ProcessEnv): Promise<SqlDb> {
  const url = flags.get('database-url')?.[0] ?? env.DATABASE_URL;
  if (url) return openPostgres(url, { max: 2 });
  return openPglite(resolve(env.AIRLOCK_DATA_DIR ?? '.airlock', 'pglite'));
}

export async function runAudit(
  command: string | undefined,
  args: string[],
  out: Out,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const { positional, flags } = options(args);
  if (command === 'verify-pack' && positional[0]) {
    const trusted = trustedKeys(flags);
    const result = verifyPack(readFileSync(resolve(positional[0])), trusted ? { trustedKeys: trusted } : {});
    const c = result.counts;
    if (!result.ok) {
      out(`INVALID: ${describeProblem(result.firstProblem!)}`);
      return 1;
    }
    out(
      `VALID: ${result.format} pack, ${c.events} events, ${c.histories} histories, ${c.checkpoints} checkpoints, ${c.records} records; sealed by key ${result.signedBy} (${result.keyPinned ? 'a key you trust' : 'the key in the pack: pin the service key with --keys'})`,
    );
    return 0;
  }
  if (command === 'verify') {
    const db = await openDb(flags, env);
    try {
      const trusted = trustedKeys(flags);
      const v = await verifyEvidence(db, trusted ? { trusted } : {});
      if (v.chain.ok) out(`chain: OK, ${v.chain.count} events, head ${v.chain.head}`);
      else {
        const b = v.chain.firstBroken;
        out(
          `chain: BROKEN at event ${b.id} (request ${b.requestId}, ${b.eventKey}): ${b.reason}; expected ${b.expectedHash || '-'}, found ${b.foundHash}${b.detail ? ` (${b.detail})` : ''}`,
        );
      }
      if (v.checkpoints.ok) {
        const l = v.checkpoints.latest;
        out(
          `checkpoints: OK, ${v.checkpoints.count}${l ? ` (latest at event ${l.headId}, signed ${l.signedAt} by key ${l.kid})` : ''}`,
        );
      } else {
        const b = v.checkpoints.firstBad!;
        out(
          `checkpoints: BROKEN at checkpoint ${b.checkpointId} (event ${b.headId}): ${b.reason}: ${b.detail}${b.expectedHash ? `; signed ${b.expectedHash}, found ${b.foundHash}` : ''}`,
        );
      }
      if (v.histories.ok) out(`histories: OK, ${v.histories.count}`);
      else {
        const b = v.histories.firstBad!;
        out(
          `histories: BROKEN for request ${b.requestId}: ${b.reason}; expected ${b.expectedHash ?? '-'}, found ${b.foundHash ?? '-'}`,
        );
      }
      return v.ok ? 0 : 1;
    } finally {
      await db.close();
    }
  }
  if (command === 'export') {
    const outFile = flags.get('out')?.[0];
    const key = env.AIRLOCK_API_KEY;
    if (!outFile || !key) {
      out('export needs --out FILE and the API key in AIRLOCK_API_KEY');
      return 2;
    }
    const api = (flags.get('api')?.[0] ?? env.AIRLOCK_PUBLIC_URL ?? 'http://localhost:8080').replace(
      /\/+$/,
      '',
    );
    const query = new URLSearchParams();
    for (const name of ['from', 'to', 'format']) {
      const v = flags.get(name)?.[0];
      if (v) query.set(name, v);
    }
    if (flags.has('decrypt')) query.set('decrypt', 'true');
    const res = await fetch(`${api}/v1/audit/export?${query}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const body = Buffer.from(await res.arrayBuffer());
    if (!res.ok) {
      out(`export failed: HTTP ${res.status} ${body.toString('utf8').slice(0, 500)}`);
      return 1;
    }
    writeFileSync(resolve(outFile), body, { mode: 0o600 });
    const check = verifyPack(body);
    out(
      `wrote ${outFile} (${body.length} bytes): ${check.ok ? 'verifies' : `DOES NOT VERIFY: ${describeProblem(check.firstProblem!)}`}`,
    );
    return check.ok ? 0 : 1;
  }
  if (command === 'migrate') {
    const url = flags.get('database-url')?.[0];
    if (!url) {
      out('migrate needs --database-url (the owner of the audit tables)');
      return 2;
    }
    const db = await openPostgres(url, { max: 1 });
    try {
      const applied = await migrate(db);
      out(applied.length ? `applied ${applied.join(', ')}` : 'up to date');
      return 0;
    } finally {
      await db.close();
    }
  }
  out(AUDIT_USAGE);
  return 2;
}
