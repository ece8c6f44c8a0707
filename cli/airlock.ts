// The `airlock` command line: check a policy, run policy test cases, make API keys.
// Usage: npm run airlock -- <command> [args]
import { resolve } from 'node:path';
import { generateApiKey, hashApiKey } from '../config/api-keys.js';
import { loadPolicyFile } from '../policy/load.js';
import { AUDIT_USAGE, runAudit } from './audit.js';
import { runPolicyCases } from './policy-test.js';

const USAGE = `usage:
  airlock policy check <policy.yaml>
  airlock policy test <cases.yaml> [--policy <policy.yaml>]   (default policy: AIRLOCK_POLICY or demo/policy.yaml)
  airlock key new <principal-prefix>     print a new API key and the sha256 to put in the config
  airlock key hash <key>                 print the sha256 of an existing key
${AUDIT_USAGE}`;

export async function run(
  argv: string[],
  out: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === 'audit') return runAudit(command, rest, out, env);
  if (group === 'policy' && command === 'check' && rest[0]) {
    const policy = await loadPolicyFile(resolve(rest[0]));
    out(`ok: ${rest[0]} (version ${policy.version}, ${policy.rules.length} rules)`);
    return 0;
  }
  if (group === 'policy' && command === 'test' && rest[0]) {
    const flag = rest.indexOf('--policy');
    const policyPath =
      flag >= 0 && rest[flag + 1] ? rest[flag + 1]! : (process.env.AIRLOCK_POLICY ?? 'demo/policy.yaml');
    const policy = await loadPolicyFile(resolve(policyPath));
    const results = await runPolicyCases(policy, resolve(rest[0]));
    for (const r of results)
      out(`${r.ok ? 'PASS' : 'FAIL'} ${r.name}${r.ok ? '' : `: ${r.problems.join('; ')}`}`);
    const failed = results.filter((r) => !r.ok).length;
    out(`${results.length - failed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
  }
  if (group === 'key' && command === 'new' && rest[0]) {
    const key = generateApiKey(rest[0]);
    out(`key:    ${key}`);
    out(`sha256: ${hashApiKey(key)}`);
    return 0;
  }
  if (group === 'key' && command === 'hash' && rest[0]) {
    out(hashApiKey(rest[0]));
    return 0;
  }
  out(USAGE);
  return 2;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run(process.argv.slice(2), (l) => process.stdout.write(`${l}\n`))
    .then((code) => process.exit(code))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
