// MCP tasks backed by Airlock requests: a task is a request (same id), its status and result are
// read from the request's state (Temporal and the state snapshot in PostgreSQL), so tasks outlive
// sessions, reconnects and restarts. Nothing here is held only in memory. A store is bound to one
// authenticated principal: another principal's request is "not found", never "forbidden".
import type { CreateTaskOptions, TaskStore } from '@modelcontextprotocol/sdk/experimental/tasks';
import { ErrorCode, McpError, type Result, type Task } from '@modelcontextprotocol/sdk/types.js';
import type { Principal } from '../api/auth.js';
import type { AuditStore } from '../audit/store.js';
import { isRequestId } from '../lib/request-id.js';
import { type ActionClient, ActionError } from '../temporal/action-client.js';
import type { ActionState } from '../workflows/types.js';
import { type Channels, TASK_POLL_MS, taskOf, taskStatusOf, toolResultOf } from './results.js';

const PAGE = 50;

export interface TaskStoreDeps {
  actions: ActionClient;
  audit: Pick<AuditStore, 'listRequests'>;
  /** The current policy's channels, for status messages. */
  channels(): Channels;
}

export class RequestTaskStore implements TaskStore {
  /** States returned by updates (a cancel), newer than the snapshot may yet be. */
  readonly #answered = new Map<string, ActionState>();

  constructor(
    private readonly deps: TaskStoreDeps,
    /** The principal this session belongs to. */
    private readonly principal: () => Principal,
  ) {}

  /** The tool call has already submitted its request; its id comes as `context.requestId`. */
  async createTask(params: CreateTaskOptions): Promise<Task> {
    const requestId = params.context?.requestId;
    const state = typeof requestId === 'string' ? await this.own(requestId) : undefined;
    if (!state) throw new McpError(ErrorCode.InternalError, 'the request behind this task cannot be read');
    return taskOf(state, this.deps.channels());
  }

  async getTask(taskId: string): Promise<Task | null> {
    const state = await this.own(taskId);
    return state ? taskOf(state, this.deps.channels()) : null;
  }

  async getTaskResult(taskId: string): Promise<Result> {
    const state = await this.own(taskId);
    if (!state) throw new McpError(ErrorCode.InvalidParams, `Task not found: ${taskId}`);
    return toolResultOf(state);
  }

  /** Results come from the request itself; nothing else may write one. */
  async storeTaskResult(): Promise<void> {
    throw new McpError(ErrorCode.InvalidRequest, "a task's result is its request's outcome");
  }

  /** Only a cancel reaches here (tasks/cancel): it cancels the pending request. */
  async updateTaskStatus(taskId: string, status: Task['status']): Promise<void> {
    if (status !== 'cancelled') {
      throw new McpError(
        ErrorCode.InvalidRequest,
        `a task's status follows its request; it cannot be set to ${status}`,
      );
    }
    if (!(await this.own(taskId))) throw new McpError(ErrorCode.InvalidParams, `Task not found: ${taskId}`);
    try {
      const after = await this.deps.actions.cancel(taskId, {
        by: this.principal().id,
        isAdmin: false,
        reason: 'cancelled by the MCP client (tasks/cancel)',
      });
      this.#answered.set(taskId, after);
    } catch (err) {
      if (err instanceof ActionError)
        throw new McpError(ErrorCode.InvalidRequest, `cannot cancel: ${err.message}`);
      throw err;
    }
  }

  async listTasks(cursor?: string): Promise<{ tasks: Task[]; nextCursor?: string }> {
    const after = cursor === undefined ? undefined : openCursor(cursor);
    const page = await this.deps.audit.listRequests({ requester: this.principal().id, limit: PAGE, after });
    const tasks = page.items.map(
      (item): Task => ({
        taskId: item.id,
        status: taskStatusOf(item.status ?? 'evaluating', false),
        ttl: null,
        createdAt: item.startedAt ?? new Date(0).toISOString(),
        lastUpdatedAt: item.closedAt ?? item.startedAt ?? new Date(0).toISOString(),
        pollInterval: TASK_POLL_MS,
      }),
    );
    return page.next
      ? { tasks, nextCursor: Buffer.from(JSON.stringify(page.next)).toString('base64url') }
      : { tasks };
  }

  /** The request's state when this principal submitted it; undefined for anything else. */
  async own(requestId: string): Promise<ActionState | undefined> {
    if (!isRequestId(requestId)) return undefined;
    let state: ActionState;
    try {
      state = await this.deps.actions.state(requestId);
    } catch (err) {
      if (err instanceof ActionError && err.code === 'not_found') return undefined;
      throw new McpError(ErrorCode.InternalError, 'Airlock cannot read the request right now; retry');
    }
    if (state.requester.toLowerCase() !== this.principal().id.toLowerCase()) return undefined;
    const answered = this.#answered.get(requestId);
    return answered && answered.updatedAt > state.updatedAt ? answered : state;
  }
}

/** A list position; only its shape is checked, since the list is always this principal's own. */
function openCursor(cursor: string): { submittedAt: string; requestId: string } {
  try {
    const p = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof p.submittedAt === 'string' && typeof p.requestId === 'string') {
      return { submittedAt: p.submittedAt, requestId: p.requestId };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new McpError(ErrorCode.InvalidParams, 'cursor is not one this server returned');
}
