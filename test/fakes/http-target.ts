// A real local HTTP server standing in for an executor's target: records every call, honours
// `Idempotency-Key` like an idempotent API (a repeated key replays the first response, no second
// side effect), and can be told to fail with 503 or to hang.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  /** Path and query as received. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** What happened: a fresh response, a replay of an idempotency key, a forced 503, a hang. */
  outcome: 'handled' | 'replayed' | 'failed' | 'hung';
}

export interface TargetResponse {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface HttpTargetFake {
  url: string;
  calls: RecordedCall[];
  /** Handled requests other than GET/HEAD/OPTIONS (replays and failures do not count). */
  sideEffects(): number;
  failNext(n: number): void;
  hangNext(n: number): void;
  respondWith(handler: (call: RecordedCall) => TargetResponse): void;
  /** Ends hung requests too; calling it again is fine. */
  close(): Promise<void>;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function startHttpTarget(): Promise<HttpTargetFake> {
  const calls: RecordedCall[] = [];
  const byKey = new Map<string, TargetResponse>();
  let effects = 0;
  let failing = 0;
  let hanging = 0;
  let closing: Promise<void> | undefined;
  let handler = (call: RecordedCall): TargetResponse => ({
    status: 200,
    body: JSON.stringify({ ok: true, method: call.method, path: call.path, effect: effects }),
    headers: { 'content-type': 'application/json' },
  });

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const call: RecordedCall = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        outcome: 'handled',
      };
      calls.push(call);
      if (hanging > 0) {
        hanging--;
        call.outcome = 'hung';
        return; // never answered; close() ends the socket
      }
      if (failing > 0) {
        failing--;
        call.outcome = 'failed';
        res.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable');
        return;
      }
      const key = req.headers['idempotency-key'];
      const replay = typeof key === 'string' ? byKey.get(key) : undefined;
      let response: TargetResponse;
      if (replay !== undefined) {
        call.outcome = 'replayed';
        response = replay;
      } else {
        if (!SAFE_METHODS.has(call.method)) effects++;
        response = handler(call);
        // Like real idempotent APIs, server errors are not remembered: the retry runs afresh.
        if (typeof key === 'string' && response.status < 500) byKey.set(key, response);
      }
      res.writeHead(response.status, response.headers ?? {}).end(response.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    sideEffects: () => effects,
    failNext(n) {
      failing = n;
    },
    hangNext(n) {
      hanging = n;
    },
    respondWith(h) {
      handler = h;
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
