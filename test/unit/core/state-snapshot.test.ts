// The state snapshot GET reads is sealed by the payload codec: no plaintext, only the right key
// opens it, and a snapshot copied into another request's row is not taken for that request's.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { payloadKeyFrom } from '../../../lib/keys.js';
import { EncryptionCodec } from '../../../temporal/codec.js';
import { stateSealer } from '../../../temporal/state-snapshot.js';
import type { ActionState } from '../../../workflows/types.js';

const state = {
  requestId: 'r-1',
  status: 'pending_approval',
  request: { action: 'db.export', resource: 'db', environment: 'prod', parameters: { secret: 'MARKER-7c1' } },
} as unknown as ActionState;

const sealerWith = (key: Buffer) => stateSealer(new EncryptionCodec(payloadKeyFrom(key)));

describe('state snapshot sealing', () => {
  const key = randomBytes(32);

  it('round-trips the state and stores no plaintext', async () => {
    const sealed = await sealerWith(key).seal(state);
    expect(sealed).not.toContain('MARKER-7c1');
    expect(Buffer.from(sealed).toString('base64')).not.toContain(
      Buffer.from('MARKER-7c1').toString('base64'),
    );
    expect(await sealerWith(key).open('r-1', sealed)).toEqual(state);
  });

  it('refuses a snapshot that is not encrypted (a row written by someone else)', async () => {
    const plain = JSON.stringify({
      metadata: { encoding: Buffer.from('json/plain').toString('base64') },
      data: Buffer.from(JSON.stringify(state)).toString('base64'),
    });
    await expect(sealerWith(key).open('r-1', plain)).rejects.toThrow(/not encrypted/);
  });

  it('refuses another key and a snapshot of another request', async () => {
    const sealed = await sealerWith(key).seal(state);
    await expect(sealerWith(randomBytes(32)).open('r-1', sealed)).rejects.toThrow();
    expect(await sealerWith(key).open('r-2', sealed)).toBeUndefined();
  });
});
