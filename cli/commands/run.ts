// `airlock run --action ... -- <command...>`: gate mode end to end. The exact command line (and
// the directory it runs in) is the request's parameters, so the approval is bound to it; after
// approval the token is redeemed with the hash of what is about to run, the command runs here
// with the terminal's stdio, its exit status is reported with `complete`, and the CLI exits with
// the command's own code. Nothing runs unless the request is approved.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Command } from 'commander';
import { hashOf } from '../../api/ids.js';
import { clientFor } from '../client.js';
import { CliError, EXIT, exitCodeOf } from '../exit-codes.js';
import { type CliIo, printAction, progressReporter } from '../io.js';
import { type RequestFlags, requestFrom } from '../request-input.js';
import { waitOrCancel, waitSecondsOf } from '../wait.js';
import { requestOptions, type SetExit } from './requests.js';

/** How long `run` waits for a decision when --wait gives no limit: one hour, then it cancels. */
const DEFAULT_RUN_WAIT_SECONDS = 3600;

export function registerRun(program: Command, io: CliIo, setExit: SetExit): void {
  requestOptions(
    program
      .command('run')
      .description('ask for approval of a command line, then run it here (gate mode)')
      .argument('<command...>', 'the command and its arguments, after --'),
    false,
  )
    .option('--url <url>', 'Airlock base URL (default AIRLOCK_URL, else http://localhost:8080)')
    .option('-o, --output <format>', 'json: also print the final state as JSON on stdout, after the command')
    .action(
      async (
        command: string[],
        opts: RequestFlags & { url?: string; output?: string; wait?: string | boolean },
      ) => {
        const wait = waitSecondsOf(opts.wait) ?? DEFAULT_RUN_WAIT_SECONDS;
        const parameters = { command, cwd: process.cwd() };
        const client = clientFor(io, opts.url);
        const submitted = await client.submit(requestFrom(opts, { parameters }));
        io.err(`submitted ${submitted.id}: ${command.join(' ')}`);
        const progress = progressReporter(io);
        const { action } = await waitOrCancel(client, io, submitted.id, wait, progress);
        const settled = exitCodeOf(action);
        if (action.status !== 'approved' || !action.approvalToken) {
          if (opts.output === 'json') printAction(io, action, 'json');
          setExit(settled === EXIT.ok || settled === undefined ? EXIT.failed : settled);
          if (action.status === 'succeeded' || action.status === 'executing')
            io.err(
              `${submitted.id} is not a gate-mode request: Airlock's executor runs it, not this command`,
            );
          return;
        }
        await client.redeem(submitted.id, {
          token: action.approvalToken,
          parametersHash: hashOf(parameters),
          environment: action.request.environment,
          resource: action.request.resource,
        });
        io.err(`approved; running: ${command.join(' ')}`);
        const outcome = await runCommand(command, io.signal);
        const done = await client.complete(submitted.id, {
          outcome: outcome.code === 0 ? 'succeeded' : 'failed',
          details: outcome.signal
            ? { exitCode: outcome.code, signal: outcome.signal }
            : outcome.error
              ? { exitCode: outcome.code, error: outcome.error }
              : { exitCode: outcome.code },
        });
        io.err(`command exited ${outcome.code}${outcome.signal ? ` (${outcome.signal})` : ''}; reported`);
        progress(done);
        if (opts.output === 'json') printAction(io, done, 'json');
        setExit(outcome.code);
      },
    );
}

interface CommandOutcome {
  code: number;
  signal?: string;
  error?: string;
}

/** Runs the command with this process's stdio; a shell's codes for "not found" (127) and signals (128+n). */
function runCommand(command: string[], signal: AbortSignal | undefined): Promise<CommandOutcome> {
  const [file, ...args] = command;
  if (!file) throw new CliError('run needs a command after --', EXIT.usage);
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: 'inherit' });
    const forward = () => child.kill('SIGINT');
    signal?.addEventListener('abort', forward, { once: true });
    child.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ code: err.code === 'ENOENT' ? 127 : 126, error: `${file}: ${err.code ?? err.message}` }),
    );
    child.on('exit', (code, sig) => {
      signal?.removeEventListener('abort', forward);
      resolve(sig ? { code: 128 + (constants.signals[sig] ?? 1), signal: sig } : { code: code ?? 1 });
    });
  });
}
