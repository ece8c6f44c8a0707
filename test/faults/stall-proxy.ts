// A TCP proxy that can stall: forwarding stops in both directions but nothing is closed, like a
// network partition (the database is still "there", it just never answers). Open queries hang,
// new connections are accepted and never answered, and what clients send meanwhile is kept, so a
// test can see which statement a process was blocked in (PostgreSQL's wire protocol carries the
// SQL text and the bind parameters in clear on a local non-TLS connection).
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface StallableProxy {
  port: number;
  /** Stops forwarding without closing anything; what clients send from now on is kept for held(). */
  stall(): void;
  /** Ends the partition: the stalled connections are dropped (they hung), new ones are forwarded. */
  restore(): void;
  /** What clients sent while stalled, as latin1 text (since the last stall()). */
  held(): string;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream?: Socket;
  stalled: boolean;
}

export async function startStallableProxy(targetHost: string, targetPort: number): Promise<StallableProxy> {
  const pairs = new Set<Pair>();
  let stalled = false;
  let heldChunks: Buffer[] = [];
  const server: Server = createServer((client) => {
    const pair: Pair = { client, stalled };
    pairs.add(pair);
    const end = () => {
      client.destroy();
      pair.upstream?.destroy();
      pairs.delete(pair);
    };
    client.on('error', end).on('close', end);
    client.on('data', (d: Buffer) => {
      if (pair.stalled) heldChunks.push(d);
      else pair.upstream?.write(d);
    });
    if (pair.stalled) return; // accepted, never answered
    const upstream = connect(targetPort, targetHost);
    pair.upstream = upstream;
    upstream.on('error', end).on('close', end);
    upstream.on('data', (d: Buffer) => {
      if (!pair.stalled) client.write(d);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stall() {
      stalled = true;
      heldChunks = [];
      for (const p of pairs) p.stalled = true;
    },
    restore() {
      stalled = false;
      for (const p of pairs) {
        if (!p.stalled) continue;
        p.client.destroy();
        p.upstream?.destroy();
        pairs.delete(p);
      }
    },
    held: () => Buffer.concat(heldChunks).toString('latin1'),
    close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream?.destroy();
      }
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
