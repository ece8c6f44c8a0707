// The CLI's exit codes (SPEC 11): a pipeline branches on them, so each outcome has its own.
import type { Action } from '../sdk/index.js';

export const EXIT = {
  ok: 0,
  usage: 2,
  auth: 3,
  unreachable: 4,
  denied: 10,
  expired: 11,
  cancelled: 12,
  failed: 13,
} as const;

/** A failure the CLI reports as one line and an exit code, never as a stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

export const usageError = (message: string): CliError => new CliError(message, EXIT.usage);

/**
 * The exit code of a request's state. A JIT grant that is active, and a gate-mode request that is
 * approved with its token ready, are successes: what was asked for is granted. A revoked grant was
 * ended early by someone, as a cancel is. A request still undecided has no code of its own: the
 * caller decides (the CLI cancels what nobody decided in time, so that it cannot run later).
 */
export function exitCodeOf(action: Pick<Action, 'status'>): number | undefined {
  switch (action.status) {
    case 'succeeded':
    case 'active':
    case 'approved':
      return EXIT.ok;
    case 'denied':
      return EXIT.denied;
    case 'expired':
      return EXIT.expired;
    case 'cancelled':
    case 'revoked':
      return EXIT.cancelled;
    case 'failed':
      return EXIT.failed;
    default:
      return undefined;
  }
}
