// For tests that run the real action-request workflow on the real dev server with fake
// activities: the worker's and the client's connections, and a request input.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, inject } from 'vitest';
import type { ActionRequestInput } from '../../../workflows/types.js';

/** Connects before the file's tests and closes after them; call at module level. */
export function useTemporal(): { worker: () => NativeConnection; client: () => Client } {
  let connection: NativeConnection;
  let clientConnection: Connection;
  let client: Client;
  beforeAll(async () => {
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
  execution: { executor: 'http.request' },
  links: { api: 'http://localhost' },
});
