// The request's state as the workflow last wrote it (request_index.state_payload), so GET
// /v1/actions/{id} and the `?wait=` polls read PostgreSQL instead of querying the workflow: a
// query on a workflow out of the worker's cache replays its whole history. Sealed with
// the payload codec, so the parameters are no more readable in the database than in Temporal.
import { defaultPayloadConverter, type PayloadCodec } from '@temporalio/common';
import type { ActionState } from '../workflows/types.js';
import { ENCRYPTED_ENCODING } from './codec.js';
import { type JsonPayload, payloadFromJson, payloadToJson } from './history-json.js';

export interface StateSealer {
  seal(state: ActionState): Promise<string>;
  /** The state, or undefined when the snapshot is not this request's (copied from another row). */
  open(requestId: string, sealed: string): Promise<ActionState | undefined>;
}

export function stateSealer(codec: PayloadCodec): StateSealer {
  return {
    async seal(state) {
      const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(state)]);
      return JSON.stringify(payloadToJson(sealed!));
    },
    async open(requestId, sealed) {
      const payload = payloadFromJson(JSON.parse(sealed) as JsonPayload);
      // The codec passes unencrypted payloads through (old histories); a snapshot must be sealed,
      // or anyone who can write the row could hand GET a state of their making.
      const encoding = Buffer.from(payload.metadata?.encoding ?? []).toString();
      if (encoding !== ENCRYPTED_ENCODING) throw new Error('the state snapshot is not encrypted');
      const [plain] = await codec.decode([payload]);
      const state = defaultPayloadConverter.fromPayload<ActionState>(plain!);
      return state.requestId === requestId ? state : undefined;
    },
  };
}
