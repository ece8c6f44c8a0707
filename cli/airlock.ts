// The `airlock` command line (SPEC 11): `npx airlock <command>` from a checkout or the installed
// package (bin/airlock.mjs runs this file under tsx). See cli/program.ts for the commands.
import type { CliIo } from './io.js';
import { runCli } from './program.js';

/** Runs a command line with stdout lines to `out`; for tests and scripts that keep the lines. */
export function run(
  argv: string[],
  out: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
  err: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<number> {
  return runCli(argv, { out, err, env, isTTY: false, readStdin: readAll });
}

async function readAll(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The process's own command line, stdio and Ctrl-C; sets the exit code. */
export async function main(): Promise<void> {
  // Ctrl-C: a wait stops and cancels the undecided request (a running command gets the SIGINT).
  // `airlock ls | head`: a reader that stops early is no error of ours, and no stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') process.stderr.write(`airlock: cannot write the output: ${err.message}\n`);
    process.exit(err.code === 'EPIPE' ? (process.exitCode ?? 0) : 1);
  });
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort());
  const io: CliIo = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    readStdin: readAll,
    signal: interrupt.signal,
  };
  try {
    process.exitCode = await runCli(process.argv.slice(2), io);
  } catch (error) {
    process.stderr.write(`airlock: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
