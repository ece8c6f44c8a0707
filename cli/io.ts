// What a CLI command reads and writes: stdout carries the final state as JSON (or a short text
// summary on a terminal), stderr the progress a person follows. Tests pass their own.
import type { Action } from '../sdk/index.js';
import type { CliEnv } from './credentials.js';

export interface CliIo {
  /** One line to stdout. */
  out(line: string): void;
  /** One line to stderr. */
  err(line: string): void;
  env: NodeJS.ProcessEnv & CliEnv;
  /** Whether stdout is a terminal (text output by default, JSON otherwise). */
  isTTY: boolean;
  /** Read all of stdin (the hook's event). */
  readStdin(): Promise<string>;
  fetch?: typeof fetch;
  /** Aborted on Ctrl-C: a wait stops and the undecided request is cancelled. */
  signal?: AbortSignal;
}

export type OutputFormat = 'json' | 'text';

export function formatOf(option: string | undefined, io: CliIo): OutputFormat {
  if (option === 'json' || option === 'text') return option;
  return io.isTTY ? 'text' : 'json';
}

/** Prints a request's final state: JSON for machines, a few lines for people. */
export function printAction(io: CliIo, action: Action, format: OutputFormat): void {
  if (format === 'json') {
    io.out(JSON.stringify(action, null, 2));
    return;
  }
  io.out(`${action.status}  ${action.id}`);
  io.out(`  ${action.request.action} on ${action.request.resource} (${action.request.environment})`);
  if (action.decidedBy) io.out(`  decided by ${action.decidedBy}`);
  if (action.reason) io.out(`  reason: ${action.reason}`);
  const link = action.links?.console ?? action.links?.self;
  if (link) io.out(`  ${link}`);
}

/**
 * Progress on stderr as the state changes: who is asked, where to decide, and the elapsed time.
 * Each distinct status or stage is told once, however many long polls return it.
 */
export function progressReporter(io: CliIo): (action: Action) => void {
  const started = Date.now();
  let last = '';
  return (action) => {
    const key = `${action.status}:${action.stage?.number ?? ''}:${action.decisions.length}`;
    if (key === last) return;
    last = key;
    const elapsed = `[${Math.round((Date.now() - started) / 1000)}s]`;
    if (action.status === 'pending_approval' && action.stage) {
      const { stage } = action;
      const of = stage.of ? ` of ${stage.of}` : '';
      const deadline = stage.deadline ? `, deadline ${stage.deadline}` : '';
      io.err(
        `${elapsed} waiting for ${stage.minApprovals} approval(s) from ${stage.approvers.join(', ')} (stage ${stage.number}${of}${deadline})`,
      );
      const link = action.links?.console ?? action.links?.self;
      if (link) io.err(`${elapsed} decide at ${link}`);
      return;
    }
    const by = action.decidedBy ? ` by ${action.decidedBy}` : '';
    const why = action.reason ? `: ${action.reason}` : '';
    io.err(`${elapsed} ${action.status}${by}${why}`);
  };
}
