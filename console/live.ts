// Live updates by server-sent events: each open page follows a cheap fingerprint of what it shows
// (its request's snapshot seq and status, or the inbox's count and seqs) and is told when it
// changes; static/console.js then fetches the page again and swaps its <main>. A decision made
// anywhere (Slack, Teams, the API) moves the snapshot, so it shows within one poll interval.
import type { Request, Response } from 'express';

export const LIVE_POLL_MS = 250;
/** How often a stream checks that its session still holds (sign-out ends the stream too). */
const SESSION_CHECK_MS = 5_000;
const KEEPALIVE_MS = 15_000;

export class LiveStreams {
  private readonly open = new Map<Response, () => void>();

  /**
   * Streams `changed` events while `version` moves; ends the stream with an `ended` event when
   * `stillSignedIn` says the session is over.
   */
  async follow(
    req: Request,
    res: Response,
    version: () => Promise<string | undefined>,
    stillSignedIn: () => Promise<boolean>,
    /** The version the page was rendered at: a change between rendering and this stream counts. */
    since?: string,
  ): Promise<void> {
    const first = await version();
    let last = since ?? first;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    if (first !== last) {
      last = first;
      res.write(`event: changed\ndata: ${JSON.stringify(first ?? null)}\n\n`);
    }
    let busy = false;
    let sinceCheck = 0;
    let sinceKeepalive = 0;
    const stop = () => {
      clearInterval(timer);
      this.open.delete(res);
    };
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void (async () => {
        try {
          const now = await version();
          if (now !== last) {
            last = now;
            res.write(`event: changed\ndata: ${JSON.stringify(now ?? null)}\n\n`);
          }
          sinceCheck += LIVE_POLL_MS;
          sinceKeepalive += LIVE_POLL_MS;
          if (sinceCheck >= SESSION_CHECK_MS) {
            sinceCheck = 0;
            if (!(await stillSignedIn())) {
              res.write('event: ended\ndata: "session"\n\n');
              stop();
              res.end();
              return;
            }
          }
          if (sinceKeepalive >= KEEPALIVE_MS) {
            sinceKeepalive = 0;
            res.write(': keep-alive\n\n');
          }
        } catch {
          // The database did not answer this time: the next tick tries again.
        } finally {
          busy = false;
        }
      })();
    }, LIVE_POLL_MS);
    this.open.set(res, stop);
    req.on('close', stop);
  }

  /** Ends every open stream (shutdown: an open stream would hold the HTTP server's close). */
  async closeAll(): Promise<void> {
    for (const [res, stop] of [...this.open]) {
      stop();
      res.end();
    }
  }
}
