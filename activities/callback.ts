// The requester's callback (SPEC 6): the final state POSTed to callbackUrl, signed with
// `Airlock-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`. Gate tokens and grant
// passwords are derived here from the master key, so they never enter Temporal history.
import { createHmac, hkdfSync } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { callbackAllowed } from '../config/callback-allow.js';
import { consoleLinkOf } from '../console/links.js';
import { requesterSecrets } from '../executors/requester-secrets.js';
import { canonicalOrUndefined } from '../policy/identity.js';
import type { CallbackSubject } from '../workflows/activity-inputs.js';
import type { ActivityDeps } from './deps.js';

const KDF_SALT = Buffer.from('airlock-kdf-v1', 'utf8');
export const CALLBACK_KEY_INFO = 'airlock/callback-signing/hmac-sha256/v2';

export function signCallback(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * The key that signs the callbacks of one requester: HKDF-SHA256 over the master key (or
 * `callbacks.signingSecret` when configured, so that rotating the master key leaves callback
 * receivers alone), with the requester's canonical identity in `info`. One requester's key
 * verifies only its own callbacks: it cannot forge another requester's. Requesters read theirs
 * at GET /v1/callback-secret.
 */
export function callbackSigningSecret(
  deps: Pick<ActivityDeps, 'config' | 'masterKey'>,
  requester: string,
): string {
  const identity = canonicalOrUndefined(requester);
  if (identity === undefined) throw new Error('a callback secret needs a canonical requester identity');
  const base = deps.config.callbacks.signingSecret
    ? Buffer.from(deps.config.callbacks.signingSecret, 'utf8')
    : deps.masterKey;
  const info = Buffer.from(`${CALLBACK_KEY_INFO}:${identity}`, 'utf8');
  return Buffer.from(hkdfSync('sha256', base, KDF_SALT, info, 32)).toString('base64url');
}

/** The outcome payload; secrets are added only for the requester's own callback. */
export function callbackPayload(state: CallbackSubject, masterKey: Buffer): Record<string, unknown> {
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
    links: { ...state.links, console: consoleLinkOf(state.links.api) },
    ...requesterSecrets(state, masterKey),
  };
  return payload;
}

export function createCallbackActivities(deps: ActivityDeps) {
  return {
    async sendCallback({ outcome: state }: { outcome: CallbackSubject }): Promise<{ status: number }> {
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
          'airlock-signature': signCallback(callbackSigningSecret(deps, state.requester), t, body),
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
