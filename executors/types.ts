// The small contract every executor (built-in or custom) implements, and its typed error.
// Executors run inside retried Temporal activities, so each must be idempotent per request id.
import type { Target } from '../config/types.js';
import type { ActionPreview, DriftTolerance, PreviewStatus } from '../workflows/preview-types.js';
import type { ExecutionMode, ExecutionResult } from '../workflows/types.js';

export interface ExecutionContext {
  requestId: string;
  /** Stable across activity retries (the request id, or derived from it). */
  idempotencyKey: string;
  action: string;
  parameters: Record<string, unknown>;
  parametersHash: string;
  requester: string;
  target?: Target;
  signal?: AbortSignal;
  /** The preview the approvers saw and how far reality may have moved since (SPEC 13). */
  approved?: { preview: ActionPreview; drift: DriftTolerance };
}

/** What a preview sees: the request as submitted, and the target with its server-held credentials. */
export interface PreviewContext {
  requestId: string;
  action: string;
  parameters: Record<string, unknown>;
  requester: string;
  target?: Target;
  signal?: AbortSignal;
  /** The preview must have answered by then (epoch ms); statements get no more than what is left. */
  deadline: number;
}

/** An executor's preview, before Airlock stamps and hashes it (activities/preview.ts). */
export type PreviewOutcome = Pick<
  ActionPreview,
  'reason' | 'summary' | 'rowsAffected' | 'sql' | 'http' | 'grant'
> & { status: PreviewStatus };

export interface Executor {
  readonly name: string;
  /** How the workflow runs it (default `once`): see ExecutionMode. */
  readonly mode?: ExecutionMode;
  /** The target type a binding must name; undefined means the executor takes no target. */
  readonly targetType?: Target['type'];
  /** Problems with the parameters (empty when fine), for a 400 at submit time. */
  validate?(parameters: Record<string, unknown>, target?: Target): string[];
  /**
   * Runs the approved action. Final failures are returned as `{ok: false}`; transient ones
   * are thrown as a retryable ExecutorError so that the activity retries them.
   */
  execute(ctx: ExecutionContext): Promise<ExecutionResult>;
  /**
   * Computes what `execute` would do, with no lasting effect (optional). Called after policy
   * evaluation and before the first card; a failure is returned as `{status: 'failed'}`, never
   * thrown, except transient ones (retried, then shown as failed). `canPreview` says whether this
   * target offers one at all (an http target without `preview`); absent means yes.
   */
  preview?(ctx: PreviewContext): Promise<PreviewOutcome>;
  canPreview?(target?: Target): boolean;
}

/** An executor failure with a stable machine-readable `type`. */
export class ExecutorError extends Error {
  override readonly name = 'ExecutorError';
  constructor(
    readonly type: string,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** Whether an activity should retry after this error (unknown errors: yes, like Temporal). */
export function isRetryable(err: unknown): boolean {
  return err instanceof ExecutorError ? err.retryable : true;
}

/** A failed result, the shape the workflow records for a final failure. */
export function failure(type: string, message: string, output?: Record<string, unknown>): ExecutionResult {
  return output === undefined
    ? { ok: false, error: { type, message } }
    : { ok: false, output, error: { type, message } };
}
