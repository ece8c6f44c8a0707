// Pure policy types: shared by the policy engine, the workflow (which records decisions in its
// history) and the API. No runtime code here, so workflows may import it.
import type { DriftTolerance } from '../workflows/preview-types.js';

export type Effect = 'allow' | 'deny' | 'require_approval';
export type Risk = 'low' | 'medium' | 'high' | 'critical';

/** One approval stage, resolved at evaluation time so the workflow never reads the policy file. */
export interface ApprovalStage {
  /** Group names (or direct e-mail addresses) as written in the policy. */
  approvers: string[];
  /** Canonical identities (lower-case e-mail) allowed to decide in this stage. */
  approverIdentities: string[];
  /** Distinct approvals needed (two-person rule when 2). */
  minApprovals: number;
  timeoutMs: number;
  /** Policy channel names that receive the card for this stage. */
  notify: string[];
  /** Send a reminder this long before the stage times out (optional). */
  reminderBeforeMs?: number;
}

export interface PolicyDecision {
  effect: Effect;
  risk: Risk;
  /** Name of the matched rule, or "default" when no rule matched. */
  rule: string;
  reason?: string;
  /** SHA-256 (hex) of the policy file content that produced this decision. */
  policyVersion: string;
  stages: ApprovalStage[];
  requireJustification?: { minLength: number };
  /** Approve/deny reasons: deny requires a reason unless the policy says otherwise. */
  denyReasonRequired: boolean;
  /** Things that went wrong while deciding (absent when nothing did). */
  notes?: PolicyNote[];
  /** The rule wants a verified preview: without one the request is denied (SPEC 13). */
  requirePreview?: boolean;
  /** How far execution may stray from the preview (absent: exact). */
  drift?: DriftTolerance;
  /** This decision was made with the preview in view (a rule read `preview`). */
  afterPreview?: boolean;
  /** Who may break the glass on this rule, resolved to identities (SPEC 14). */
  breakGlass?: BreakGlassPolicy;
  /** Approvers may approve "this and the same again" for at most maxTtlMs (SPEC 14). */
  standing?: StandingPolicy;
}

export interface StandingPolicy {
  maxTtlMs: number;
  /** Parameters a later request may change and still be in scope. */
  vary: string[];
}

export interface BreakGlassPolicy {
  approvers: string[];
  approverIdentities: string[];
  minReasonLength: number;
  reviewWithinMs: number;
}

/**
 * A `when` expression failed at evaluation time (runtime error or non-boolean result). It failed
 * closed: a deny/require_approval rule was treated as matching, an allow rule as not matching.
 */
export interface PolicyNote {
  kind: 'whenError';
  rule: string;
  message: string;
  treatedAs: 'match' | 'no_match';
}

/** What a `when` expression and the matcher see. */
export interface PolicyInput {
  action: string;
  resource: string;
  environment: string;
  parameters: Record<string, unknown>;
  agent?: { name?: string; model?: string; session?: string; onBehalfOf?: string };
  labels?: Record<string, string>;
  justification?: string;
  requester: string;
  context?: Record<string, unknown>;
  /** Airlock's preview of the action (ActionPreview), once computed; rules read it as `preview`. */
  preview?: Record<string, unknown>;
  /** ISO-8601 time of evaluation. */
  now: string;
}

/** A policy channel destination (SPEC 3 `channels`). */
export interface ChannelDestination {
  name: string;
  teams?: { conversationRef: string };
  slack?: { channel: string };
}

export interface IdentityMapping {
  email: string;
  teams?: { aadObjectId: string };
  slack?: { userId: string; teamId?: string };
}
