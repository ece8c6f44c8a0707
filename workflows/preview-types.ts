// What Airlock itself computed that an action would do (SPEC 13), as the request's state, the
// audit trail, the cards and GET /v1/actions/{id} carry it. Pure types: the workflow bundle, the
// executors, the bots and the API all import this file. The console renders `ActionPreview`
// as it is; the OpenAPI document describes the same shape (api/openapi.ts, `Preview`).

/**
 * `ok`: computed. `partial`: computed up to a statement a preview may not run (the reason says
 * which). `unavailable`: nothing could be run (the action cannot be previewed). `failed`: the
 * preview was tried and went wrong (a timeout, a lock, an error the action would also hit).
 */
export type PreviewStatus = 'ok' | 'partial' | 'unavailable' | 'failed';

/** A bounded sample of rows: column names, and values as text cut to a bound (null stays null). */
export interface RowSample {
  columns: string[];
  rows: (string | null)[][];
  /** More rows were affected than the sample holds, or columns/values were cut. */
  truncated: boolean;
}

/** One statement of a `postgres.sql` preview. */
export interface SqlStatementPreview {
  /** PostgreSQL's parse node type: UpdateStmt, DeleteStmt, InsertStmt, SelectStmt, ... */
  kind: string;
  /** The statement's text, bounded. */
  text: string;
  /** What was done with it: run and rolled back, EXPLAINed (a read), or not run (and why). */
  mode: 'run' | 'explain' | 'not_run';
  /** The table it writes to, when it writes to one. */
  table?: string;
  /** Rows affected (run statements): the figure execution is held to. */
  rows?: number;
  /** The planner's estimate (EXPLAINed reads). */
  estimatedRows?: number;
  /** The plan's first lines (EXPLAINed reads), bounded. */
  plan?: string;
  /** Rows as they are now (UPDATE: the rows it changes; DELETE: the rows it removes). */
  before?: RowSample;
  /** Rows as they would be (UPDATE, INSERT). */
  after?: RowSample;
  /** Why it was not run, or a caveat about what was run. */
  note?: string;
}

export interface SqlPreview {
  statements: SqlStatementPreview[];
  /** The transaction was rolled back: nothing the preview did was kept. */
  rolledBack: boolean;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}

export interface HttpPreview {
  /** The GET that read the current state (path after templating). */
  method: 'GET';
  path: string;
  status: number;
  /** SHA-256 (hex) of the current state's body: execution refuses to run when it has changed. */
  currentHash: string;
  /** Unified diff from the current state to the proposed body, bounded. */
  diff: string;
  truncated: boolean;
}

export interface GrantPrivilegePreview {
  privilege: string;
  on: string;
  object: string;
}

export interface GrantPreview {
  role: string;
  /** The statements execution runs, the password shown only as a placeholder. */
  statements: string[];
  /** The privileges the role would hold, as the database reported them inside the preview. */
  privileges: GrantPrivilegePreview[];
  /** Role attributes (LOGIN, NOSUPERUSER, ...) and how long the grant lasts. */
  attributes: string[];
  ttlSeconds: number;
}

export interface ActionPreview {
  status: PreviewStatus;
  /** Always `airlock`: this is Airlock's own computation, never the requester's claim. */
  computedBy: 'airlock';
  executor: string;
  computedAt: string;
  durationMs: number;
  /** Why the preview is partial, unavailable or failed. */
  reason?: string;
  /** Plain lines for a card ("UPDATE customers: 1,204 rows (sample below)"). */
  summary: string[];
  /** Total rows affected by the run statements; present only when the preview is `ok`. */
  rowsAffected?: number;
  sql?: SqlPreview;
  http?: HttpPreview;
  grant?: GrantPreview;
  /** Set in a requester's own view of its request: what was left out of it, and why. */
  withheld?: string;
  /**
   * SHA-256 (hex) of the canonical JSON of everything above: what the approver approved. Absent
   * only when the preview activity itself never finished (then the status is `failed`).
   */
  hash?: string;
}

/** How far execution may stray from the preview (a rule's `drift`); exact unless it says more. */
export interface DriftTolerance {
  /** Rows affected per statement: an absolute number of rows, or a percentage of the preview's. */
  rows?: { absolute: number } | { percent: number };
  /** `allow`: an HTTP target's current state may have changed since the preview. */
  http?: 'exact' | 'allow';
}
