// What only the requester may receive: a gate-mode approval token while it is redeemable and a
// JIT grant's password while the grant is active. Both are derived from the master key on demand
// (never stored, never in Temporal history); the callback and the API's GET share this one rule.
import type { ActionRequestBody, ActionState } from '../workflows/types.js';
import { type GateClaims, issueGateToken } from './gate-token.js';
import { grantPassword } from './postgres-grant.js';

/** The request fields a gate token binds. */
type GateSubject = { request: Pick<ActionRequestBody, 'action' | 'environment' | 'resource'> };

export interface RequesterSecrets {
  approvalToken?: string;
  approvalTokenExpiresAt?: string;
  grant?: { role: string; database?: string; validUntil: string; password: string };
}

export function requesterSecrets(
  state: Pick<ActionState, 'requestId' | 'status' | 'parametersHash' | 'gate' | 'grant'> & GateSubject,
  masterKey: Buffer,
): RequesterSecrets {
  const secrets: RequesterSecrets = {};
  if (state.gate && state.status === 'approved') {
    secrets.approvalToken = issueGateToken({
      masterKey,
      ...gateClaimsOf(state),
      tokenId: state.gate.tokenId,
      expiresAt: state.gate.expiresAt,
    });
    secrets.approvalTokenExpiresAt = state.gate.expiresAt;
  }
  if (state.grant && state.status === 'active') {
    secrets.grant = {
      role: state.grant.role,
      database: state.grant.database,
      validUntil: state.grant.validUntil,
      password: grantPassword(masterKey, state.requestId),
    };
  }
  return secrets;
}

/** What a gate token of this request binds: the request as submitted and checked against its binding. */
export function gateClaimsOf(
  state: Pick<ActionState, 'requestId' | 'parametersHash'> & GateSubject,
): GateClaims {
  return {
    requestId: state.requestId,
    action: state.request.action,
    environment: state.request.environment,
    resource: state.request.resource,
    parametersHash: state.parametersHash,
  };
}
