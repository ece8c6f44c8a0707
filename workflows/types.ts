// Domain types of one action request, shared by the workflow, activities, API and bots.
// Pure types only: the workflow bundle imports this file.
import type { PolicyDecision, Risk } from '../policy/types.js';
import type { ActionPreview } from './preview-types.js';

export type ActionStatus =
  | 'evaluating'
  | 'pending_approval'
  | 'approved'
  | 'executing'
  | 'succeeded'
  | 'failed'
  | 'denied'
  | 'expired'
  | 'cancelled'
  | 'active'
  | 'revoked';

/** Statuses after which nothing more can happen to a request. */
export const FINAL_STATUSES: readonly ActionStatus[] = [
  'succeeded',
  'failed',
  'denied',
  'expired',
  'cancelled',
  'revoked',
];

export interface AgentInfo {
  name?: string;
  model?: string;
  session?: string;
  onBehalfOf?: string;
}

export interface DiffInput {
  before?: string;
  after?: string;
  unified?: string;
}

/** The body of POST /v1/actions after validation (SPEC 1). */
export interface ActionRequestBody {
  action: string;
  resource: string;
  environment: string;
  parameters: Record<string, unknown>;
  justification?: string;
  agent?: AgentInfo;
  diff?: DiffInput;
  labels?: Record<string, string>;
  callbackUrl?: string;
  idempotencyKey?: string;
  /** Run at once, without approval, where the rule lets this requester break the glass (SPEC 14). */
  breakGlass?: { reason: string };
}

/**
 * How an executor runs after approval: `once` runs the action and ends; `gate` runs nothing and
 * hands the requester a single-use token to redeem, then waits for its report; `lease` grants
 * access that is revoked when its time ends or the holder releases it.
 */
export type ExecutionMode = 'once' | 'gate' | 'lease';

/** Which executor runs the action, resolved from the service config at submit time. */
export interface ExecutionBinding {
  executor: string;
  target?: string;
  mode: ExecutionMode;
  /** Where it was decided to run (executors/placement.ts): checked again before it runs. */
  environment?: string;
  resource?: string;
}

export interface ActionRequestInput {
  requestId: string;
  /** The API's proof that it authenticated the requester (temporal/message-proof.ts). */
  proof?: string;
  /** The authenticated principal (canonical identity), never a body field. */
  requester: string;
  request: ActionRequestBody;
  /** SHA-256 (hex) of the canonical JSON of `request.parameters`. */
  parametersHash: string;
  /** SHA-256 of the canonical body, for idempotency-key conflict checks. */
  bodyHash: string;
  submittedAt: string;
  execution: ExecutionBinding;
  /** Where links on cards point (AIRLOCK_PUBLIC_URL, TEMPORAL_UI_URL). */
  links: { api: string; temporalUi?: string };
}

export type DecisionVerb = 'approve' | 'deny';
export type ChannelKind = 'api' | 'teams' | 'slack';

/** A verified approver identity, as a channel adapter or the API established it. */
export interface ApproverIdentity {
  /** Canonical identity (lower-case e-mail). */
  id: string;
  channel: ChannelKind;
  /** The channel's own user id (aadObjectId, Slack user id), for the audit trail. */
  channelUserId?: string;
  displayName?: string;
}

export interface DecisionInput {
  decision: DecisionVerb;
  reason?: string;
  approver: ApproverIdentity;
  /** Approve this and the same again for this long (a standing approval, SPEC 14). */
  standing?: { ttlMs: number };
}

export interface RecordedDecision {
  decision: DecisionVerb;
  reason?: string;
  approver: ApproverIdentity;
  standing?: { ttlMs: number };
  /** Decided in the name of this approver, under their delegation (set by the workflow, never the caller). */
  asDelegateOf?: string;
  delegationId?: string;
  stage: number;
  at: string;
}

export type RefusalCode =
  | 'self_approval'
  | 'not_an_approver'
  | 'already_decided'
  | 'request_ended'
  | 'not_pending'
  | 'not_cancellable'
  | 'reason_required'
  | 'unmapped_identity'
  | 'not_requester'
  | 'invalid_token'
  | 'token_already_redeemed'
  | 'unverified_message'
  | 'break_glass_refused'
  | 'not_break_glass'
  | 'already_reviewed'
  | 'not_a_reviewer'
  | 'standing_not_allowed';

/** Refused attempts of one actor, code and kind, aggregated: `count` of them, `firstAt` to `at`. */
export interface RefusedAttempt {
  code: RefusalCode;
  what: string;
  actor: string;
  /** Where it came from; `temporal` for a message sent to the workflow without Airlock's proof. */
  channel: ChannelKind | 'temporal';
  detail: string;
  /** The latest one. */
  at: string;
  firstAt?: string;
  count?: number;
}

export interface EnrichmentHistory {
  byRequester: { total: number; byOutcome: Record<string, number> };
  onResource: { total: number; byOutcome: Record<string, number> };
  windowDays: number;
}

export interface Enrichment {
  requesterDirectory?: { identity: string; groups: string[]; displayName?: string };
  agent?: AgentInfo;
  history?: EnrichmentHistory;
  /** Unified diff text, bounded. */
  diffPreview?: string;
  /** Parts that could not be filled in: the card says so instead of blocking. */
  degraded: string[];
}

/** A card posted to a channel, kept so every card can be updated in place. */
export interface PostedCard {
  channel: ChannelKind;
  destination: string;
  messageId: string;
  stage: number;
  /** Extra ids a channel needs to update the message (conversation id, Slack channel). */
  ref?: Record<string, string>;
}

export interface ExecutionResult {
  ok: boolean;
  /** Executor-specific result: HTTP status and bounded body, rows affected, grant role... */
  output?: Record<string, unknown>;
  error?: { type: string; message: string };
}

export interface GrantState {
  role: string;
  database?: string;
  validUntil: string;
  revokedAt?: string;
  revokedBecause?: 'ttl' | 'released' | 'cancelled';
}

export interface GateState {
  tokenId: string;
  expiresAt: string;
  redeemedAt?: string;
}

export type BreakGlassVerb = 'acknowledge' | 'incident';

/** The after-the-fact review of a break-glass request. */
export interface BreakGlassReview {
  outcome: 'acknowledged' | 'incident';
  by: string;
  channel: ChannelKind;
  reason?: string;
  at: string;
}

/** A request that ran at once because its requester broke the glass (SPEC 14). */
export interface BreakGlassState {
  reason: string;
  by: string;
  at: string;
  /** When the review is due; past it (and unreviewed) the request is overdue and reposted. */
  reviewDueAt: string;
  overdue?: boolean;
  /** How often the cards were posted again because the review was overdue. */
  reposts?: number;
  review?: BreakGlassReview;
}

/** What a standing approval covers: later requests with all of these equal, parameters but `vary`. */
export interface StandingScope {
  rule: string;
  action: string;
  resource: string;
  environment: string;
  requester: string;
  onBehalfOf?: string;
  /** Parameters allowed to differ; every other parameter must be equal (its hash). */
  vary: string[];
}

export interface StandingApproval {
  id: string;
  /** The request whose approval created it. */
  requestId: string;
  scope: StandingScope;
  scopeHash: string;
  /** Everyone whose approval it stands for (both, under the two-person rule). */
  approvers: string[];
  createdAt: string;
  expiresAt: string;
  revokedAt?: string;
  revokedBy?: string;
  uses: number;
  lastUsedAt?: string;
}

/** An approver's approvals handed to one other person for a period (SPEC 14). */
export interface Delegation {
  id: string;
  delegator: string;
  delegate: string;
  startsAt: string;
  endsAt: string;
  reason: string;
  createdBy: string;
  createdAt: string;
  endedAt?: string;
  endedBy?: string;
}

/** A request's part in standing approvals: the one it created, or the one that approved it. */
export interface StandingState {
  created?: { id: string; expiresAt: string; approvers: string[] };
  /** Why the approvers' "and the same again" did not become a standing approval. */
  notCreated?: string;
  usedId?: string;
  usedApprovers?: string[];
}

/** The full state the `state` query returns; the API serves it. */
export interface ActionState {
  requestId: string;
  status: ActionStatus;
  requester: string;
  request: ActionRequestBody;
  parametersHash: string;
  bodyHash: string;
  execution: ExecutionBinding;
  risk?: Risk;
  policy?: PolicyDecision;
  stageIndex: number;
  stageDeadline?: string;
  decisions: RecordedDecision[];
  refusals: RefusedAttempt[];
  /** Refusals past the cap on distinct entries (REFUSAL_LIMITS), only counted. */
  refusalsOverflow?: number;
  decidedBy?: string;
  outcomeReason?: string;
  enrichment?: Enrichment;
  /** What Airlock computed the action would do (SPEC 13), when its executor previews. */
  preview?: ActionPreview;
  cards: PostedCard[];
  result?: ExecutionResult;
  grant?: GrantState;
  gate?: GateState;
  breakGlass?: BreakGlassState;
  standing?: StandingState;
  submittedAt: string;
  decidedAt?: string;
  executedAt?: string;
  endedAt?: string;
  updatedAt: string;
  links: { api: string; temporalUi?: string };
}
