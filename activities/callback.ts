// The requester's callback (SPEC 6): the final state POSTed to callbackUrl, signed with
// `Airlock-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`. Gate tokens and grant
// passwords are derived here from the master key, so they never enter Temporal history.
import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { callbackAllowed } from '../config/callback-allow.js';
import { requesterSecrets } from '../executors/requester-secrets.js';
import { deriveSecret } from '../executors/secrets.js';
import type { ActionState } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

export const CALLBACK_KEY_PURPOSE = 'callback-signing';

export function signCallback(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

export function callbackSigningSecret(deps: Pick<ActivityDeps, 'config' | 'masterKey'>): string {
  return deps.config.callbacks.signingSecret ?? deriveSecret(deps.masterKey, CALLBACK_KEY_PURPOSE, 'v1');
}

/** The outcome payload; secrets are added only for the requester's own callback. */
export function callbackPayload(state: ActionState, masterKey: Buffer): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    id: state.requestId,
    status: state.status,
    action: state.request.action,
    resource: state.request.resource,
    environment: state.request.environment,
    parametersHash: state.parametersHash,
    decidedBy: state.decidedBy,
    reason: state.outcomeReason,
    result: state.result,
    links: state.links,
    ...requesterSecrets(state, masterKey),
  };
  return payload;
}

export function createCallbackActivities(deps: ActivityDeps) {
  return {
    async sendCallback({ state }: { state: ActionState }): Promise<{ status: number }> {
      const url = state.request.callbackUrl;
      if (!url) return { status: 0 };
      if (!callbackAllowed(deps.config.callbacks.allow, url)) {
        throw ApplicationFailure.create({
          type: 'CallbackNotAllowed',
          message: 'the callback URL is not allowed by the service configuration',
          nonRetryable: true,
        });
      }
      const body = JSON.stringify(callbackPayload(state, deps.masterKey));
      const t = Math.floor(Date.now() / 1000);
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'airlock-signature': signCallback(callbackSigningSecret(deps), t, body),
          'airlock-request-id': state.requestId,
        },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`callback answered ${res.status}`);
      return { status: res.status };
    },
  };
}
