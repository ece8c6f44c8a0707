// Shapes shared by the audit store, the API (audit endpoints, export) and the workflow activities.

/** What a writer appends. `at` is the writer's (workflow's deterministic) ISO-8601 time. */
export interface AuditEventInput {
  requestId: string;
  /** Idempotency key chosen by the writer, unique per request, e.g. `wf:7`. */
  eventKey: string;
  /** Dotted type, e.g. `request.submitted`, `decision.recorded`, `attempt.refused`. */
  type: string;
  /** An identity, `policy` or `system`. */
  actor: string;
  at: string;
  data: Record<string, unknown>;
}

export interface StoredAuditEvent extends AuditEventInput {
  /** Position in the global chain. */
  id: number;
  prevHash: string;
  hash: string;
  /** Database time of the insert (ISO-8601). */
  recordedAt: string;
}

export interface BrokenLink {
  id: number;
  requestId: string;
  eventKey: string;
  expectedHash: string;
  foundHash: string;
  /** hash_mismatch: the row's content changed; prev_mismatch: a row before it was deleted or reordered. */
  reason: 'hash_mismatch' | 'prev_mismatch';
  detail?: string;
}

export type VerifyResult =
  | { ok: true; count: number; head: string }
  /** `count` = rows checked and found intact before `firstBroken`. */
  | { ok: false; count: number; firstBroken: BrokenLink };

export interface VerifyRange {
  /** Inclusive bounds on the chain id. */
  fromId?: number;
  toId?: number;
}

/** The mutable per-request projection used for enrichment. Omitted fields are left unchanged. */
export interface RequestIndexRow {
  requestId: string;
  requester?: string | null;
  onBehalfOf?: string | null;
  action?: string | null;
  resource?: string | null;
  environment?: string | null;
  status?: string | null;
  risk?: string | null;
  submittedAt?: string | Date | null;
  endedAt?: string | Date | null;
  /** Who may still decide a pending request, one canonical identity a line (`\n` around each). */
  deciders?: string | null;
  /** The current stage's deadline, while pending. */
  stageDeadline?: string | Date | null;
  /** The request's state, sealed by the payload codec (temporal/state-snapshot.ts). */
  statePayload?: string;
  /** Orders the snapshots: a write with a lower seq than the stored one leaves it. */
  stateSeq?: number;
}

/** GET /v1/actions: filters (all optional) and a keyset cursor (the last item's position). */
export interface RequestListQuery {
  status?: string;
  requester?: string;
  action?: string;
  environment?: string;
  limit: number;
  after?: { submittedAt: string; requestId: string };
}

export interface RequestSummary {
  id: string;
  status?: string;
  action?: string;
  requester?: string;
  environment?: string;
  risk?: string;
  startedAt?: string;
  closedAt?: string;
}

export interface HistoryQuery {
  requester: string;
  resource: string;
  sinceDays: number;
  /** The request being enriched, not counted in its own history. */
  excludeRequestId?: string;
  /** End of the window (default: now); pass the workflow time for deterministic results. */
  now?: string | Date;
}

export interface HistoryCounts {
  total: number;
  /** Keyed by request_index.status (`unknown` when null). */
  byOutcome: Record<string, number>;
}

export interface HistorySummary {
  byRequester: HistoryCounts;
  onResource: HistoryCounts;
  windowDays: number;
}
