// Execution activities: run the approved action with its executor and server-side target
// credentials. Each executor is idempotent by request id, so a retry after a crash never runs
// an action twice; business failures come back as results, transport failures are retried.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Target } from '../config/types.js';
import { placementDrift } from '../executors/placement.js';
import { type GrantExecutor, grantPassword } from '../executors/postgres-grant.js';
import type { ExecutionContext, Executor } from '../executors/types.js';
import { ExecutorError } from '../executors/types.js';
import { AUDIT_REJECTED, AUDIT_UNAVAILABLE } from '../workflows/failure-types.js';
import type { ExecutionBinding, ExecutionResult } from '../workflows/types.js';
import { type RecordBatch, recordBatch } from './audit.js';
import type { ActivityDeps } from './deps.js';

export interface ExecuteInput {
  requestId: string;
  action: string;
  parameters: Record<string, unknown>;
  parametersHash: string;
  requester: string;
  binding: ExecutionBinding;
  /** The preview the approvers saw and the rule's drift tolerance. */
  approved?: ExecutionContext['approved'];
  /** The workflow's events so far: written before anything runs, so the trail leads the action. */
  record?: RecordBatch;
}

export function createExecuteActivities(deps: ActivityDeps) {
  const { executors, config, masterKey, logger } = deps;
  const contextFor = (
    input: ExecuteInput,
    mayRun: 'run' | 'undo' = 'run',
  ): { executor: Executor; ctx: ExecutionContext } => {
    const executor = executors.get(input.binding.executor);
    if (!executor) {
      throw ApplicationFailure.create({
        type: 'ExecutorRejected',
        message: `executor ${input.binding.executor} is not registered`,
        nonRetryable: true,
      });
    }
    let target: Target | undefined;
    if (input.binding.target) {
      target = config.targets[input.binding.target];
      if (!target) {
        throw ApplicationFailure.create({
          type: 'ExecutorRejected',
          message: `target ${input.binding.target} is not configured`,
          nonRetryable: true,
        });
      }
      // Undoing (revoking a grant) is never held back; running is, unless the target still is
      // in the environment and holds the resource that the decision was about.
      const drift = mayRun === 'run' ? placementDrift(input.binding, target, input.parameters) : undefined;
      if (drift !== undefined) {
        throw ApplicationFailure.create({ type: 'ExecutorRejected', message: drift, nonRetryable: true });
      }
    }
    return {
      executor,
      ctx: {
        requestId: input.requestId,
        idempotencyKey: `action-${input.requestId}-execute`,
        action: input.action,
        parameters: input.parameters,
        parametersHash: input.parametersHash,
        requester: input.requester,
        target,
        signal: Context.current().cancellationSignal,
        ...(input.approved ? { approved: input.approved } : {}),
      },
    };
  };

  const run = async (input: ExecuteInput, fn: () => Promise<ExecutionResult>): Promise<ExecutionResult> => {
    const started = Date.now();
    // Alive while the call runs, so a dead worker is noticed within the heartbeat timeout.
    const ctx = Context.current();
    const beat = setInterval(() => ctx.heartbeat(), 5_000);
    try {
      if (input.record) await recordFirst(input.record);
      const result = await fn();
      logger.info(
        {
          requestId: input.requestId,
          executor: input.binding.executor,
          ok: result.ok,
          ms: Date.now() - started,
        },
        'executed',
      );
      return result;
    } catch (err) {
      if (err instanceof ExecutorError && !err.retryable) {
        return { ok: false, error: { type: err.type, message: err.message } };
      }
      // Retryable: let Temporal retry with the same idempotency key.
      logger.warn(
        { requestId: input.requestId, executor: input.binding.executor, err: String(err) },
        'execution attempt failed',
      );
      throw err;
    } finally {
      clearInterval(beat);
    }
  };

  const recordFirst = async (record: RecordBatch): Promise<void> => {
    try {
      await recordBatch(deps, record);
    } catch (err) {
      // The store will never take them (AuditRejected, not retryable): nothing runs, ever.
      if (err instanceof ApplicationFailure && err.type === AUDIT_REJECTED) throw err;
      // Retryable: the workflow writes them itself once the attempts run out.
      throw ApplicationFailure.create({
        type: AUDIT_UNAVAILABLE,
        message: `the audit events could not be written, so nothing was executed: ${String(err)}`,
      });
    }
  };

  const grantExecutor = (
    input: ExecuteInput,
    mayRun: 'run' | 'undo' = 'run',
  ): { grant: GrantExecutor; ctx: ExecutionContext } => {
    const { executor, ctx } = contextFor(input, mayRun);
    return { grant: executor as GrantExecutor, ctx };
  };

  return {
    // The executor is looked up inside run(), after the handed-over events are written: a request
    // whose executor or target has gone from the config still has its trail up to that point.
    async executeAction(input: ExecuteInput): Promise<ExecutionResult> {
      return run(input, () => {
        const { executor, ctx } = contextFor(input);
        return executor.execute(ctx);
      });
    },
    async grantAccess(input: ExecuteInput): Promise<ExecutionResult> {
      return run(input, () => {
        const { grant, ctx } = grantExecutor(input);
        const requested = Number(input.parameters.ttlSeconds ?? 0) * 1000;
        const ttlMs = Math.min(
          requested > 0 ? requested : config.grants.defaultTtlMs,
          config.grants.maxTtlMs,
        );
        // The first scheduling time is the same on every retry, so VALID UNTIL is too.
        const validUntil = new Date(Context.current().info.scheduledTimestampMs + ttlMs).toISOString();
        const password = grantPassword(masterKey, input.requestId);
        return grant.grant(ctx, { password, validUntil });
      });
    },
    async revokeAccess(input: { requestId: string; binding: ExecutionBinding }): Promise<void> {
      const { grant, ctx } = grantExecutor(
        {
          requestId: input.requestId,
          action: 'revoke',
          parameters: {},
          parametersHash: '',
          requester: 'system',
          binding: input.binding,
        },
        'undo',
      );
      const result = await grant.revoke(ctx);
      // A grant that cannot be revoked must not be forgotten: fail the attempt so Temporal retries.
      if (!result.ok) throw new Error(`revoke failed: ${result.error?.message ?? 'unknown error'}`);
    },
  };
}
