// The readable evidence record of one request, built from its chain events alone: requester,
// parameters hash, justification, policy rule and version, every decision and refused attempt
// (identity, channel, time), the execution result and a JIT grant's revocation.
import { describe, expect, it } from 'vitest';
import { buildEvidenceRecords } from '../../../audit/evidence.js';
import type { StoredAuditEvent } from '../../../audit/types.js';

let id = 0;
const ev = (
  requestId: string,
  type: string,
  actor: string,
  data: Record<string, unknown> = {},
): StoredAuditEvent => {
  id++;
  const at = `2025-02-01T10:00:${String(id).padStart(2, '0')}.000Z`;
  return {
    id,
    requestId,
    eventKey: `wf:${id}`,
    type,
    actor,
    at,
    data,
    prevHash: '',
    hash: '',
    recordedAt: at,
  };
};

describe('buildEvidenceRecords', () => {
  it('tells a JIT grant request from submission to revocation', () => {
    const events = [
      ev('g1', 'request.submitted', 'ci@example.com', {
        action: 'db.grant',
        resource: 'postgres://analytics',
        environment: 'production',
        parametersHash: 'f'.repeat(64),
        justification: 'incident 42: read the orders table',
      }),
      ev('other', 'request.submitted', 'x@example.com', { action: 'http.x' }),
      ev('g1', 'policy.evaluated', 'policy', {
        rule: 'prod-grants',
        policyVersion: 'sha256:abc',
        effect: 'require_approval',
        risk: 'high',
      }),
      ev('g1', 'attempt.refused', 'ci@example.com', {
        code: 'self_approval',
        what: 'approve',
        channel: 'slack',
      }),
      ev('g1', 'decision.recorded', 'dana@example.com', {
        decision: 'approve',
        channel: 'teams',
        channelUserId: 'aad-d',
        stage: 0,
      }),
      ev('g1', 'request.approved', 'dana@example.com', { decidedBy: 'dana@example.com' }),
      ev('g1', 'execution.started', 'system'),
      ev('g1', 'grant.active', 'system', { role: 'airlock_g1', validUntil: '2025-02-01T11:00:00.000Z' }),
      ev('g1', 'request.revoked', 'ci@example.com', {
        reason: 'released by the requester',
        result: { ok: true, output: { role: 'airlock_g1' } },
      }),
      ev('g1', 'history.archived', 'system', { sha256: 'e'.repeat(64) }),
    ];
    const [grant, other] = buildEvidenceRecords(events);
    expect(other).toMatchObject({ requestId: 'other', complete: false, requester: 'x@example.com' });
    expect(grant).toMatchObject({
      requestId: 'g1',
      complete: true,
      requester: 'ci@example.com',
      action: 'db.grant',
      parametersHash: 'f'.repeat(64),
      justification: 'incident 42: read the orders table',
      policy: { rule: 'prod-grants', version: 'sha256:abc', risk: 'high' },
      refusedAttempts: [{ code: 'self_approval', by: 'ci@example.com', channel: 'slack', at: events[3]!.at }],
      decisions: [
        {
          decision: 'approve',
          by: 'dana@example.com',
          channel: 'teams',
          channelUserId: 'aad-d',
          at: events[4]!.at,
        },
      ],
      approved: { by: 'dana@example.com' },
      execution: { startedAt: events[6]!.at, result: { ok: true } },
      grant: { role: 'airlock_g1', revokedAt: events[8]!.at, revokedBy: 'ci@example.com' },
      outcome: { status: 'revoked', by: 'ci@example.com', reason: 'released by the requester' },
      history: { sha256: 'e'.repeat(64), eventId: events[9]!.id },
    });
  });

  it('leaves out the service events that belong to no request', () => {
    expect(buildEvidenceRecords([ev('airlock:audit', 'evidence.exported', 'audit@example.com')])).toEqual([]);
  });
});
