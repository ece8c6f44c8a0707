// Who may scrape /metrics: anyone by default (a private network), or, with METRICS_TOKEN, only a
// scraper presenting `Authorization: Bearer <token>`. Compared in constant time over digests, so
// neither the token's content nor its length leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Whether an Authorization header value grants a scrape; always true without a token. */
export function mayScrape(authorization: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const presented = /^Bearer (.+)$/i.exec(authorization?.trim() ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(presented), digest(token));
}

/** The 401 a scraper without the token gets (RFC 9457), and the header that says what to send. */
export const SCRAPE_REFUSED = {
  status: 401,
  headers: { 'content-type': 'application/problem+json', 'www-authenticate': 'Bearer realm="metrics"' },
  body: JSON.stringify({
    type: 'urn:airlock:problem:unauthenticated',
    title: 'Unauthenticated',
    status: 401,
    detail: 'send the metrics token: Authorization: Bearer <METRICS_TOKEN>',
    instance: '/metrics',
  }),
} as const;
