// Proofs on the messages that start and steer request workflows. The API and the chat adapters
// send a message only after they verified the person; the proof (HMAC-SHA256 under a key derived
// from the master key) says so, bound to the request and the kind of message, and the worker
// checks it before the workflow acts on the message. So whoever can reach the Temporal namespace
// (its CLI, the Web UI, the codec server) can read and signal, but cannot approve, cancel,
// redeem, complete or start a request: without the master key there is no valid proof.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from '../lib/canonical-json.js';
import { messageProofKeyFrom } from '../lib/keys.js';
import type { MessageKind, Signed } from '../workflows/messages.js';

const VERSION = 'v1';

export class MessageProver {
  private readonly keys: Buffer[];

  /** `masters`: the current master key first, then old ones (they still verify after a rotation). */
  constructor(masters: readonly Buffer[]) {
    if (masters.length === 0) throw new Error('a message prover needs a master key');
    this.keys = masters.map(messageProofKeyFrom);
  }

  /** The message with its proof, as it is sent to the workflow. */
  sign<T extends object>(kind: MessageKind, requestId: string, message: T): Signed<T> {
    const { proof: _ignored, ...body } = message as T & { proof?: unknown };
    return { ...(body as T), proof: `${VERSION}.${this.mac(this.keys[0]!, kind, requestId, body)}` };
  }

  /** Whether the message carries a valid proof for this request and kind. */
  verify(kind: MessageKind, requestId: string, message: object): boolean {
    const { proof, ...body } = message as { proof?: unknown };
    if (typeof proof !== 'string' || !proof.startsWith(`${VERSION}.`)) return false;
    const given = Buffer.from(proof.slice(VERSION.length + 1), 'base64url');
    return this.keys.some((key) => {
      const expected = Buffer.from(this.mac(key, kind, requestId, body), 'base64url');
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }

  private mac(key: Buffer, kind: MessageKind, requestId: string, body: object): string {
    // The JSON round trip is what the message goes through on its way: undefined members drop out.
    const text = canonicalJson({ kind, requestId, body: JSON.parse(JSON.stringify(body)) });
    return createHmac('sha256', key).update(text, 'utf8').digest('base64url');
  }
}
