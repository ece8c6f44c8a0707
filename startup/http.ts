// HTTP listeners: they listen before the rest starts (PORT=0 and the public URL need the real
// port) and answer 503 until their handler is attached; the metrics listener of METRICS_PORT.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mayScrape, SCRAPE_REFUSED } from '../api/metrics-access.js';

const handlers = new WeakMap<Server, RequestListener>();

/** Hands a listening server its real handler (until then it answers 503, never hangs). */
export function serve(server: Server, handler: RequestListener): void {
  handlers.set(server, handler);
}

/** This process's own URL of a listening server: loopback unless it listens on one address only. */
export function localUrl(server: Server): string {
  const { address, port, family } = server.address() as AddressInfo;
  if (address === '0.0.0.0' || address === '::') return `http://127.0.0.1:${port}`;
  return family === 'IPv6' ? `http://[${address}]:${port}` : `http://${address}:${port}`;
}

export const portOf = (server: Server): number => (server.address() as AddressInfo).port;

/** `host` undefined: every interface. */
export function listen(port: number, host?: string): Promise<Server> {
  return new Promise((resolveListen, reject) => {
    // Requests that arrive while the rest starts get a clear 503 with Retry-After instead of an
    // answer that never comes.
    const server: Server = createServer((req, res) => {
      const handler = handlers.get(server);
      if (handler) {
        handler(req, res);
        return;
      }
      res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '2' }).end(
        JSON.stringify({
          type: 'urn:airlock:problem:unavailable',
          title: 'Service Unavailable',
          status: 503,
          detail: 'Airlock is starting; retry shortly',
        }),
      );
    });
    if (host === undefined) server.listen(port);
    else server.listen(port, host);
    server.once('listening', () => resolveListen(server));
    server.once('error', reject);
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((res) => {
    server.close(() => res());
    server.closeIdleConnections();
  });
}

/** The metrics listener (METRICS_PORT): /metrics, /healthz (alive) and /readyz (Temporal and the database answer). */
export async function listenMetrics(
  port: number,
  render: () => Promise<{ contentType: string; body: string }>,
  readiness: Record<string, () => Promise<void>>,
  token: string | undefined,
): Promise<Server> {
  const server = await listen(port);
  serve(server, (req, res) => {
    if (req.url === '/readyz') {
      const timeout = () =>
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000).unref());
      Promise.all(Object.values(readiness).map((probe) => Promise.race([probe(), timeout()]))).then(
        () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}'),
        () => res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"not ready"}'),
      );
      return;
    }
    if (req.url !== '/metrics') {
      res.writeHead(req.url === '/healthz' ? 200 : 404).end();
      return;
    }
    if (!mayScrape(req.headers.authorization, token)) {
      res.writeHead(SCRAPE_REFUSED.status, SCRAPE_REFUSED.headers).end(SCRAPE_REFUSED.body);
      return;
    }
    render().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  return server;
}
