// The `airlock` command line on commander: the request commands talk to the API through the SDK,
// the local ones (policy, key, audit) read files and databases. Every failure is one line on
// stderr and an exit code from SPEC 11, never a stack trace.
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { generateApiKey, hashApiKey } from '../config/api-keys.js';
import { loadPolicyFile } from '../policy/load.js';
import { AUDIT_USAGE, runAudit } from './audit.js';
import { describeError } from './client.js';
import { registerHooks } from './commands/hook-claude-code.js';
import { registerRequestCommands } from './commands/requests.js';
import { registerRun } from './commands/run.js';
import { EXIT, usageError } from './exit-codes.js';
import type { CliIo } from './io.js';
import { runPolicyCases } from './policy-test.js';

const EXIT_CODES_HELP = `
Exit codes: 0 succeeded (or approved, in gate mode), 10 denied, 11 expired, 12 cancelled,
13 failed, 2 bad usage or input, 3 authentication, 4 Airlock unreachable.
Credentials: AIRLOCK_URL and AIRLOCK_TOKEN (an API key or a JWT); in GitHub Actions with
id-token: write and no token, the job's OIDC token (audience AIRLOCK_OIDC_AUDIENCE, default airlock).`;

function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('airlock')
    .description('Action-level approvals: submit, wait, decide, and run commands after approval')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
    })
    .showHelpAfterError('(airlock --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP);

  registerRequestCommands(program, io, setExit);
  registerRun(program, io, setExit);
  registerHooks(program, io);

  const policy = program.command('policy').description('check a policy and run its test cases');
  policy
    .command('check')
    .argument('<policy.yaml>')
    .action(async (file: string) => {
      const loaded = await asInputError(() => loadPolicyFile(resolve(file)));
      io.out(`ok: ${file} (version ${loaded.version}, ${loaded.rules.length} rules)`);
    });
  policy
    .command('test')
    .argument('<cases.yaml>')
    .option('--policy <policy.yaml>', 'default AIRLOCK_POLICY, else demo/policy.yaml')
    .action(async (cases: string, opts: { policy?: string }) => {
      const path = resolve(opts.policy ?? io.env.AIRLOCK_POLICY ?? 'demo/policy.yaml');
      const results = await asInputError(async () =>
        runPolicyCases(await loadPolicyFile(path), resolve(cases)),
      );
      for (const r of results)
        io.out(`${r.ok ? 'PASS' : 'FAIL'} ${r.name}${r.ok ? '' : `: ${r.problems.join('; ')}`}`);
      const failed = results.filter((r) => !r.ok).length;
      io.out(`${results.length - failed} passed, ${failed} failed`);
      setExit(failed === 0 ? 0 : 1);
    });

  const key = program.command('key').description('API keys for the service config');
  key
    .command('new')
    .argument('<principal-prefix>')
    .description('print a new API key and the sha256 to put in the config')
    .action((prefix: string) => {
      const value = generateApiKey(prefix);
      io.out(`key:    ${value}`);
      io.out(`sha256: ${hashApiKey(value)}`);
    });
  key
    .command('hash')
    .argument('<key>')
    .description('print the sha256 of an existing key')
    .action((value: string) => io.out(hashApiKey(value)));

  program
    .command('audit')
    .description('evidence: verify, export, verify-pack, migrate')
    .argument('<command>')
    .argument('[args...]')
    .allowUnknownOption()
    .helpOption(false)
    .addHelpText('after', `\n${AUDIT_USAGE}`)
    .action(async (command: string, args: string[]) => {
      setExit(await runAudit(command, args, io.out, io.env));
    });
  return program;
}

/** A policy or cases file that does not load is the caller's input: exit 2 with its message. */
async function asInputError<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    throw usageError(err instanceof Error ? err.message : String(err));
  }
}

/** Runs one command line (without `node airlock`) and returns its exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError)
      // Help and version are successes; commander already printed its one-line error otherwise.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const { code: failure, message } = describeError(err);
    io.err(`airlock: ${message}`);
    return failure;
  }
}
