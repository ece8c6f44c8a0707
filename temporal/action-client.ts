// The one place that talks to action-request workflows from outside: the API and the chat
// adapters start requests, read state and send decisions through it, and get typed refusals
// (never error-message text) back.
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { actionRequest } from '../workflows/action-request.js';
import {
  type CancelInput,
  type CompleteInput,
  cancelUpdate,
  completeUpdate,
  type DecisionAnswer,
  decideUpdate,
  type RedeemInput,
  type RefusalInput,
  type ReviewInput,
  redeemUpdate,
  refusalSignal,
  reviewUpdate,
  stateQuery,
} from '../workflows/messages.js';
import { SA } from '../workflows/search-attributes.js';
import { workflowIdFor } from '../workflows/state.js';
import type { ActionRequestInput, ActionState, DecisionInput } from '../workflows/types.js';
import { FINAL_STATUSES } from '../workflows/types.js';
import type { MessageProver } from './message-proof.js';

export type ActionErrorCode = string;

/** A typed refusal or failure; `code` is a RefusalCode or one of not_found / unavailable / idempotency_conflict. */
export class ActionError extends Error {
  constructor(
    readonly code: ActionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ActionError';
  }
}

export { workflowIdFor };

/** Whether a `?wait=` long poll may return: nothing more happens until someone acts. */
export function isSettled(state: ActionState): boolean {
  if (FINAL_STATUSES.includes(state.status) || state.status === 'active') return true;
  // Gate mode: approved means "your token is ready"; elsewhere it is a step towards executing.
  return state.status === 'approved' && state.gate !== undefined;
}

export interface ActionClientOptions {
  /** The state the workflow last wrote, if any (temporal/state-snapshot.ts): read before a query. */
  snapshot?: (requestId: string) => Promise<ActionState | undefined>;
  /**
   * Stores a new request's starting state before its workflow starts (never over an existing
   * one), so it can be read and listed before a worker picks it up; `unseed` removes it again
   * when the start fails. Best effort: the workflow writes the same at its first step anyway.
   */
  seed?: { store(input: ActionRequestInput): Promise<void>; remove(requestId: string): Promise<void> };
  queryTimeoutMs?: number;
}

/**
 * Everything sent through this client is signed (temporal/message-proof.ts): callers use it only
 * after they verified the person, and the worker acts on nothing else.
 */

export class ActionClient {
  private readonly queryTimeoutMs: number;

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly prover: MessageProver,
    private readonly options: ActionClientOptions = {},
  ) {
    this.queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
  }

  /** Starts the workflow; an existing one with the same id is returned when its body matches. */
  async start(unsigned: ActionRequestInput): Promise<{ created: boolean }> {
    const input = this.prover.sign('start', unsigned.requestId, unsigned);
    const workflowId = workflowIdFor(input.requestId);
    const seed = this.options.seed;
    await seed?.store(input).catch(() => undefined);
    try {
      await this.client.workflow.start<typeof actionRequest>('actionRequest', {
        taskQueue: this.taskQueue,
        workflowId,
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        memo: { bodyHash: input.bodyHash, summary: summaryOf(input) },
        staticSummary: summaryOf(input),
        typedSearchAttributes: [
          { key: SA.action, value: input.request.action },
          { key: SA.requester, value: input.requester },
          { key: SA.environment, value: input.request.environment },
          { key: SA.status, value: 'evaluating' },
        ],
      });
      return { created: true };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
        await seed?.remove(input.requestId).catch(() => undefined);
        throw unavailable(err);
      }
      const described = await this.client.workflow.getHandle(workflowId).describe();
      const memo = (described.memo ?? {}) as { bodyHash?: string };
      if (memo.bodyHash !== input.bodyHash) {
        throw new ActionError(
          'idempotency_conflict',
          'this idempotency key was used with a different request body',
        );
      }
      return { created: false };
    }
  }

  async state(requestId: string): Promise<ActionState> {
    // A query on a workflow out of the worker's cache replays it, so the snapshot comes first.
    // A store that cannot answer leaves the answer to the workflow.
    const snapshot = await this.options.snapshot?.(requestId).catch(() => undefined);
    if (snapshot) return snapshot;
    const handle = this.client.workflow.getHandle(workflowIdFor(requestId));
    try {
      return await this.client.connection.withDeadline(Date.now() + this.queryTimeoutMs, () =>
        handle.query(stateQuery),
      );
    } catch (err) {
      throw translate(err);
    }
  }

  /** Polls the state until it settles or `waitMs` passes (the `?wait=` long poll). */
  async waitForSettled(requestId: string, waitMs: number): Promise<ActionState> {
    const deadline = Date.now() + waitMs;
    // Most requests settle by closing: a long poll on the result answers the moment they do,
    // while the state polls below catch the open ones (approved gate token, active grant).
    const abort = new AbortController();
    const handle = this.client.workflow.getHandle(workflowIdFor(requestId));
    const closed = this.client.connection
      .withAbortSignal(abort.signal, () => handle.result() as Promise<ActionState>)
      // A failed or aborted long poll leaves the state polls to answer (never a busy loop).
      .catch(() => new Promise<undefined>(() => {}));
    try {
      // Queries cost a workflow task each on the worker: the first comes after 300 ms (an
      // auto-allowed request has usually closed by then and the long poll answered), then they
      // back off to one a second.
      let delay = 300;
      for (;;) {
        const final = await Promise.race([
          closed,
          new Promise<undefined>((r) =>
            setTimeout(() => r(undefined), Math.max(0, Math.min(delay, deadline - Date.now()))),
          ),
        ]);
        if (final) return final;
        const state = await this.state(requestId);
        if (isSettled(state) || Date.now() >= deadline) return state;
        delay = Math.min(delay * 2, 1_000);
      }
    } finally {
      abort.abort();
    }
  }

  async decide(requestId: string, input: DecisionInput): Promise<DecisionAnswer> {
    return this.update(requestId, () =>
      this.client.workflow
        .getHandle(workflowIdFor(requestId))
        .executeUpdate(decideUpdate, { args: [this.prover.sign('decide', requestId, input)] }),
    );
  }

  async cancel(requestId: string, input: CancelInput): Promise<ActionState> {
    return this.update(requestId, () =>
      this.client.workflow
        .getHandle(workflowIdFor(requestId))
        .executeUpdate(cancelUpdate, { args: [this.prover.sign('cancel', requestId, input)] }),
    );
  }

  async redeem(requestId: string, input: RedeemInput): Promise<ActionState> {
    return this.update(requestId, () =>
      this.client.workflow
        .getHandle(workflowIdFor(requestId))
        .executeUpdate(redeemUpdate, { args: [this.prover.sign('redeem', requestId, input)] }),
    );
  }

  async complete(requestId: string, input: CompleteInput): Promise<ActionState> {
    return this.update(requestId, () =>
      this.client.workflow
        .getHandle(workflowIdFor(requestId))
        .executeUpdate(completeUpdate, { args: [this.prover.sign('complete', requestId, input)] }),
    );
  }

  /** A stage approver's review of a break-glass request. */
  async review(requestId: string, input: ReviewInput): Promise<ActionState> {
    return this.update(requestId, () =>
      this.client.workflow
        .getHandle(workflowIdFor(requestId))
        .executeUpdate(reviewUpdate, { args: [this.prover.sign('review', requestId, input)] }),
    );
  }

  /** Records a refusal a channel adapter made (unmapped user) in the request's trail. */
  async reportRefusal(requestId: string, attempt: RefusalInput): Promise<void> {
    try {
      await this.client.workflow
        .getHandle(workflowIdFor(requestId))
        .signal(refusalSignal, this.prover.sign('refusal', requestId, attempt));
    } catch (err) {
      throw translate(err);
    }
  }

  /** Whether the workflow still runs; used to tell "too late" from "unknown". */
  async isClosed(requestId: string): Promise<boolean> {
    try {
      const d = await this.client.workflow.getHandle(workflowIdFor(requestId)).describe();
      return d.status.name !== 'RUNNING';
    } catch (err) {
      throw translate(err);
    }
  }

  private async update<T>(requestId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (
        err instanceof WorkflowUpdateFailedError &&
        err.cause instanceof ApplicationFailure &&
        err.cause.type
      ) {
        throw new ActionError(err.cause.type, err.cause.message);
      }
      const translated = translate(err);
      // An update to a closed workflow fails as "not found" or a precondition error: tell those apart.
      if (translated.code !== 'idempotency_conflict' && (await this.isClosed(requestId).catch(() => false))) {
        // Closed workflows cannot record the attempt themselves: the caller must.
        throw new ActionError('request_closed', 'the request has already ended');
      }
      throw translated;
    }
  }
}

function summaryOf(input: ActionRequestInput): string {
  return `${input.request.action} on ${input.request.resource} (${input.request.environment}) by ${input.requester}`.slice(
    0,
    200,
  );
}

function translate(err: unknown): ActionError {
  if (err instanceof ActionError) return err;
  if (err instanceof WorkflowNotFoundError) return new ActionError('not_found', 'no such request');
  const grpcCode = (err as { code?: number }).code;
  if (grpcCode === 5) return new ActionError('not_found', 'no such request');
  return unavailable(err);
}

function unavailable(err: unknown): ActionError {
  const e = new ActionError('unavailable', 'Temporal is not reachable or did not answer in time');
  (e as { cause?: unknown }).cause = err;
  return e;
}
