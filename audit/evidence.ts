// One readable evidence record per request, built only from its chain events (SPEC 7):
// who asked for what and why, the policy rule and version, every decision and refused attempt
// with identity, channel and time, the execution result, a JIT grant's revocation, the archived
// history's hash. Pure and deterministic: the offline verifier rebuilds the records from the
// pack's events and refuses a pack whose records say anything else.
import { HISTORY_ARCHIVED, HISTORY_UNAVAILABLE } from './archive-store.js';
import type { StoredAuditEvent } from './types.js';

const SERVICE_PREFIX = 'airlock:';
const FINAL = new Set(['succeeded', 'failed', 'denied', 'expired', 'cancelled', 'revoked']);

export interface EvidenceRecord {
  requestId: string;
  /** Both the submission and the end of the request are among the events this record was built from. */
  complete: boolean;
  requester?: string;
  agent?: unknown;
  action?: string;
  resource?: string;
  environment?: string;
  parametersHash?: string;
  justification?: string;
  labels?: unknown;
  executor?: string;
  target?: string;
  policy?: { rule?: string; version?: string; effect?: string; risk?: string; reason?: string };
  decisions: {
    decision: string;
    by: string;
    channel?: string;
    channelUserId?: string;
    reason?: string;
    stage?: number;
    at: string;
    eventId: number;
  }[];
  refusedAttempts: {
    code?: string;
    what?: string;
    by: string;
    channel?: string;
    detail?: string;
    at: string;
    eventId: number;
  }[];
  escalations: { stage?: number; at: string }[];
  approved?: { by: string; at: string };
  execution?: { startedAt?: string; result?: unknown };
  gate?: { tokenIssuedAt?: string; expiresAt?: string; redeemedBy?: string; redeemedAt?: string };
  grant?: { role?: string; validUntil?: string; activeAt?: string; revokedAt?: string; revokedBy?: string };
  outcome?: { status: string; by: string; at: string; reason?: string };
  history?: { sha256?: string; archivedAt: string; eventId: number } | { unavailable: string; at: string };
  eventIds: number[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function apply(r: EvidenceRecord, e: StoredAuditEvent): void {
  const d = e.data;
  r.eventIds.push(e.id);
  if (e.type === 'request.submitted') {
    Object.assign(r, {
      requester: e.actor,
      agent: d.agent,
      action: str(d.action),
      resource: str(d.resource),
      environment: str(d.environment),
      parametersHash: str(d.parametersHash),
      justification: str(d.justification),
      labels: d.labels,
      executor: str(d.executor),
      target: str(d.target),
    });
  } else if (e.type === 'policy.evaluated') {
    r.policy = {
      rule: str(d.rule),
      version: str(d.policyVersion),
      effect: str(d.effect),
      risk: str(d.risk),
      reason: str(d.reason),
    };
  } else if (e.type === 'decision.recorded') {
    r.decisions.push({
      decision: str(d.decision) ?? 'unknown',
      by: e.actor,
      channel: str(d.channel),
      channelUserId: str(d.channelUserId),
      reason: str(d.reason),
      stage: num(d.stage),
      at: e.at,
      eventId: e.id,
    });
  } else if (e.type === 'attempt.refused') {
    r.refusedAttempts.push({
      code: str(d.code),
      what: str(d.what),
      by: e.actor,
      channel: str(d.channel),
      detail: str(d.detail),
      at: e.at,
      eventId: e.id,
    });
  } else if (e.type === 'request.escalated') {
    r.escalations.push({ stage: num(d.stage), at: e.at });
  } else if (e.type === 'request.approved') {
    r.approved = { by: str(d.decidedBy) ?? e.actor, at: e.at };
  } else if (e.type === 'execution.started') {
    r.execution = { ...r.execution, startedAt: e.at };
  } else if (e.type === 'gate.token_issued') {
    r.gate = { ...r.gate, tokenIssuedAt: e.at, expiresAt: str(d.expiresAt) };
  } else if (e.type === 'gate.redeemed') {
    r.gate = { ...r.gate, redeemedBy: e.actor, redeemedAt: e.at };
  } else if (e.type === 'grant.active') {
    r.grant = { ...r.grant, role: str(d.role), validUntil: str(d.validUntil), activeAt: e.at };
  } else if (e.type === HISTORY_ARCHIVED) {
    r.history = { sha256: str(d.sha256), archivedAt: e.at, eventId: e.id };
  } else if (e.type === HISTORY_UNAVAILABLE) {
    r.history = { unavailable: str(d.reason) ?? 'unavailable', at: e.at };
  } else if (e.type.startsWith('request.') && FINAL.has(e.type.slice('request.'.length))) {
    const status = e.type.slice('request.'.length);
    r.outcome = { status, by: e.actor, at: e.at, reason: str(d.reason) };
    if (d.result !== undefined) r.execution = { ...r.execution, result: d.result };
    if (status === 'revoked') r.grant = { ...r.grant, revokedAt: e.at, revokedBy: e.actor };
  }
}

/** Records for every request that has events in `events` (chain order), sorted by first event. */
export function buildEvidenceRecords(events: readonly StoredAuditEvent[]): EvidenceRecord[] {
  const byRequest = new Map<string, EvidenceRecord>();
  const submitted = new Set<string>();
  for (const e of [...events].sort((a, b) => a.id - b.id)) {
    // The service's own events (`airlock:audit`: exports) belong to no request.
    if (e.requestId.startsWith(SERVICE_PREFIX)) continue;
    let r = byRequest.get(e.requestId);
    if (!r) {
      r = {
        requestId: e.requestId,
        complete: false,
        decisions: [],
        refusedAttempts: [],
        escalations: [],
        eventIds: [],
      };
      byRequest.set(e.requestId, r);
    }
    if (e.type === 'request.submitted') submitted.add(e.requestId);
    apply(r, e);
  }
  for (const r of byRequest.values()) r.complete = submitted.has(r.requestId) && r.outcome !== undefined;
  return [...byRequest.values()];
}
