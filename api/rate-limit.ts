// Per-principal rate limits on /v1 (SPEC 6): one token bucket per authenticated principal and
// route group, so one caller (a runaway agent, or someone flooding another's request with
// refusals) cannot take the service's or a request's capacity from everyone else. An empty
// bucket answers 429 problem+json with Retry-After (whole seconds until a token is back).
import type { NextFunction, Request, Response } from 'express';
import type { RateLimits } from '../config/env.js';
import { PROBLEM, ProblemError } from './problem.js';

export type RouteGroup = keyof RateLimits;

/** Buckets held before full ones (indistinguishable from absent) are dropped. */
const MAX_BUCKETS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

export function routeGroup(method: string, path: string): RouteGroup {
  const write = method !== 'GET' && method !== 'HEAD' && /^\/(v1\/)?actions(\/|$)/.test(path);
  return write ? 'writes' : 'reads';
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limits: RateLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token; undefined when allowed, else the seconds until the next one (Retry-After). */
  take(group: RouteGroup, principal: string): number | undefined {
    const limit = this.limits[group];
    if (!limit) return undefined;
    const key = `${group}\u0000${principal}`;
    const now = this.now();
    const perMsRate = limit.capacity / limit.perMs;
    const bucket = this.buckets.get(key) ?? { tokens: limit.capacity, at: now };
    bucket.tokens = Math.min(limit.capacity, bucket.tokens + (now - bucket.at) * perMsRate);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.remember(key, bucket, now);
      return undefined;
    }
    this.remember(key, bucket, now);
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perMsRate / 1000));
  }

  private remember(key: string, bucket: Bucket, now: number): void {
    this.buckets.set(key, bucket);
    if (this.buckets.size <= MAX_BUCKETS) return;
    for (const [k, b] of this.buckets) {
      const limit = this.limits[k.slice(0, k.indexOf('\u0000')) as RouteGroup];
      if (!limit || b.tokens + (now - b.at) * (limit.capacity / limit.perMs) >= limit.capacity) {
        this.buckets.delete(k);
      }
    }
  }
}

/**
 * Express middleware after authentication (the principal is the bucket's owner). Without a fixed
 * group the route decides (/v1); the MCP gateway charges its POSTs, each possibly a submit, to
 * the same writes bucket as the REST submit path.
 */
export function rateLimitMiddleware(limiter: RateLimiter, fixedGroup?: RouteGroup) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const principal = req.principal?.id;
    const group = fixedGroup ?? routeGroup(req.method, req.path);
    const retryAfter = principal === undefined ? undefined : limiter.take(group, principal);
    if (retryAfter === undefined) {
      next();
      return;
    }
    next(
      new ProblemError({
        status: 429,
        type: PROBLEM.rateLimited,
        title: 'Too many requests',
        detail: `too many ${group} from this principal; retry after ${retryAfter} s`,
        headers: { 'retry-after': String(retryAfter) },
        extra: { retryAfter },
      }),
    );
  };
}
