// For tests that run the real action-request workflow on the real dev server with fake
// activities: the worker's and the client's connections, and a request input.
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, inject } from 'vitest';
import type { PolicyDecision } from '../../../policy/types.js';
import { MessageProver } from '../../../temporal/message-proof.js';
import { installRuntimeLogger } from '../../../temporal/runtime-logger.js';
import type { MessageKind } from '../../../workflows/messages.js';
import type { ActionRequestInput, DecisionInput } from '../../../workflows/types.js';
import { silentLogger } from '../../support/harness.js';

/** Signs messages as the API does, for a worker whose `verifyMessage` is `verifyWith(prover)`. */
export const testProver = new MessageProver([randomBytes(32)]);

/** The real verifyMessage activity over a prover (the one activity these tests do not fake). */
export const verifyWith =
  (prover: MessageProver) =>
  async ({ kind, requestId, message }: { kind: MessageKind; requestId: string; message: object }) =>
    prover.verify(kind, requestId, message);

/** Connects before the file's tests and closes after them; call at module level. */
export function useTemporal(): { worker: () => NativeConnection; client: () => Client } {
  let connection: NativeConnection;
  let clientConnection: Connection;
  let client: Client;
  beforeAll(async () => {
    // The SDK's own lines (worker state, the activities these cases make fail) go to the tests'
    // logger, silent unless TEST_LOG_LEVEL asks, not to the console of a green run.
    installRuntimeLogger(silentLogger);
    connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    clientConnection = await Connection.connect({ address: inject('temporalAddress') });
    client = new Client({ connection: clientConnection });
  });
  afterAll(async () => {
    await clientConnection?.close();
    await connection?.close();
  });
  return { worker: () => connection, client: () => client };
}

export const requestInput = (): ActionRequestInput => ({
  requestId: randomUUID(),
  requester: 'ci@example.com',
  request: { action: 'http.request', resource: 'svc', environment: 'dev', parameters: { a: 1 } },
  parametersHash: 'h',
  bodyHash: 'b',
  submittedAt: new Date().toISOString(),
  execution: { executor: 'http.request', mode: 'once' },
  links: { api: 'http://localhost' },
});

/** A decision as the API sends it to the workflow behind `workflowId`: signed. */
export const signedDecision = (workflowId: string, decision: DecisionInput) =>
  testProver.sign('decide', workflowId.replace(/^action-/, ''), decision);

/** A policy answer that needs Dana's approval in one stage (its cards to `notify`). */
export const needsDana = (notify: string[] = []): PolicyDecision => ({
  effect: 'require_approval',
  risk: 'high',
  rule: 'dba',
  policyVersion: 'test',
  denyReasonRequired: false,
  stages: [
    {
      approvers: ['dba'],
      approverIdentities: ['dana@example.com'],
      minApprovals: 1,
      timeoutMs: 60_000,
      notify,
    },
  ],
});
