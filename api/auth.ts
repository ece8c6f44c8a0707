// Who is calling (SPEC 6): hashed API keys compared in constant time, or OIDC JWTs verified against the
// issuer's JWKS (asymmetric algorithms only). Failures say as little as possible; anonymous only in demo.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import type { ApiKeyEntry, Role } from '../config/types.js';
import { globToRegExp } from '../policy/glob.js';
import { canonicalOrUndefined, canonicalPrincipal } from '../policy/identity.js';
import { PROBLEM, ProblemError } from './problem.js';

export interface Principal {
  /** Canonical (policy/identity.ts): an e-mail address, a service name, or a mapped OIDC subject. */
  id: string;
  roles: Role[];
  via: 'api-key' | 'oidc' | 'anonymous';
  /**
   * The human the credential itself says this caller acts for (an API key's configured
   * `onBehalfOf`, the subject of an OIDC token with an RFC 8693 `act` claim). Canonical.
   */
  onBehalfOf?: string;
  /** When the credential stops being valid (epoch ms): an OIDC token's `exp`. */
  expiresAt?: number;
}

declare global {
  // Declaration merging is how Express types request extensions.
  namespace Express {
    interface Request {
      /** Set by the authenticator on every /v1 request. */
      principal?: Principal;
    }
  }
}

export interface OidcOptions {
  issuer: string;
  audience: string;
  jwksUrl: string;
  /**
   * Claim holding the principal (default `email`, falling back to `sub` when absent). Taken from
   * `email`, it counts only with `email_verified: true`, unless `trustUnverifiedEmail` says the
   * issuer vouches for every address it puts there; any other claim must be one the issuer does
   * not let users edit (`sub`, `oid`, `upn`).
   */
  principalClaim?: string;
  trustUnverifiedEmail?: boolean;
  rolesClaim?: string;
  subjects?: { match: string; principal?: string; roles: Role[] }[];
}

export interface AuthenticatorOptions {
  apiKeys: ApiKeyEntry[];
  oidc?: OidcOptions;
  /** Local demo only: requests without credentials act as this principal. */
  demoAnonymous?: false | { principal: string; roles: Role[] };
  /** Told when the identity provider's keys cannot be fetched (the caller gets a 503). */
  onError?: (err: unknown) => void;
}

export type HeaderBag = IncomingHttpHeaders | Record<string, string | string[] | undefined>;

/** Express middleware that sets `req.principal`, plus the same check without Express. */
export type Authenticator = RequestHandler & { authenticate(headers: HeaderBag): Promise<Principal> };

const KNOWN_ROLES: readonly Role[] = ['requester', 'approver', 'auditor', 'admin'];
// Asymmetric only: `none` and HS* would let anyone holding the public key (or nothing) mint tokens.
const ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const MAX_CREDENTIAL_LENGTH = 16 * 1024;

const unauthenticated = (detail: 'missing credentials' | 'invalid or expired token') =>
  new ProblemError({
    status: 401,
    type: PROBLEM.unauthenticated,
    title: 'Unauthenticated',
    detail,
    headers: {
      'WWW-Authenticate':
        detail === 'missing credentials'
          ? 'Bearer realm="airlock"'
          : 'Bearer realm="airlock", error="invalid_token"',
    },
  });

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const keys = options.apiKeys.map((entry) => {
    if (!/^[0-9a-fA-F]{64}$/.test(entry.sha256))
      throw new Error(`API key of ${entry.principal} has a malformed sha256`);
    return { entry, hash: Buffer.from(entry.sha256, 'hex') };
  });
  const verifyJwt = options.oidc ? oidcVerifier(options.oidc, options.onError) : undefined;

  const authenticate = async (headers: HeaderBag): Promise<Principal> => {
    const credential = credentialFrom(headers);
    if (credential === undefined) {
      if (options.demoAnonymous) {
        return {
          id: options.demoAnonymous.principal,
          roles: [...options.demoAnonymous.roles],
          via: 'anonymous',
        };
      }
      throw unauthenticated('missing credentials');
    }
    if (credential.length > MAX_CREDENTIAL_LENGTH) throw unauthenticated('invalid or expired token');
    if (verifyJwt && JWT_SHAPE.test(credential)) return verifyJwt(credential);
    const presented = createHash('sha256').update(credential, 'utf8').digest();
    // Compare against every entry, without stopping early, so timing does not tell how close a guess was.
    let found: ApiKeyEntry | undefined;
    for (const key of keys) {
      if (timingSafeEqual(presented, key.hash) && found === undefined) found = key.entry;
    }
    if (!found) throw unauthenticated('invalid or expired token');
    return {
      id: found.principal,
      roles: [...found.roles],
      via: 'api-key',
      ...(found.onBehalfOf ? { onBehalfOf: found.onBehalfOf } : {}),
    };
  };

  const middleware: RequestHandler = async (req, _res, next) => {
    try {
      req.principal = await authenticate(req.headers);
      next();
    } catch (err) {
      next(err);
    }
  };
  return Object.assign(middleware, { authenticate });
}

/** `Authorization: Bearer <token>` first, else `X-API-Key`. */
function credentialFrom(headers: HeaderBag): string | undefined {
  const lower: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    lower[name.toLowerCase()] = Array.isArray(value) ? value[0] : value;
  }
  const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(lower.authorization ?? '')?.[1];
  if (bearer) return bearer;
  const apiKey = lower['x-api-key']?.trim();
  return apiKey ? apiKey : undefined;
}

function oidcVerifier(
  oidc: OidcOptions,
  onError?: (err: unknown) => void,
): (token: string) => Promise<Principal> {
  const jwks = createRemoteJWKSet(new URL(oidc.jwksUrl), { timeoutDuration: 5_000 });
  const subjects = compiledSubjects(oidc);

  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: oidc.issuer,
        audience: oidc.audience,
        algorithms: ALGORITHMS,
        clockTolerance: 30,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      if (isKeySourceFailure(err)) {
        onError?.(err);
        throw new ProblemError({
          status: 503,
          type: PROBLEM.unavailable,
          title: 'Unavailable',
          detail: "the identity provider's signing keys could not be fetched; retry later",
          headers: { 'Retry-After': '30' },
        });
      }
      throw unauthenticated('invalid or expired token');
    }
    return principalFromClaims(payload, oidc, subjects);
  };
}

type CompiledSubject = { match: string; principal?: string; roles: Role[]; pattern: RegExp };

function compiledSubjects(oidc: OidcOptions): CompiledSubject[] {
  return (oidc.subjects ?? []).map((s) => ({ ...s, pattern: globToRegExp(s.match) }));
}

/**
 * The principal and roles the verified claims of an OIDC token name: the API's bearer JWTs and
 * the console's ID tokens are mapped by this one function, so a person holds the same roles in
 * both. Throws the 401 problem when the claims name no clean identity.
 */
export function principalFromClaims(
  payload: JWTPayload,
  oidc: OidcOptions,
  subjects: CompiledSubject[] = compiledSubjects(oidc),
): Principal {
  const principalClaim = oidc.principalClaim ?? 'email';
  const rolesClaim = oidc.rolesClaim ?? 'roles';
  const principal = principalOf(payload, principalClaim, oidc.trustUnverifiedEmail === true);
  if (!principal) throw unauthenticated('invalid or expired token');
  const sub = typeof payload.sub === 'string' ? payload.sub : undefined;
  const matched = sub === undefined ? [] : subjects.filter((s) => s.pattern.test(sub));
  const id = matched.find((s) => s.principal !== undefined)?.principal ?? principal;
  const roles = new Set<Role>(rolesFrom(claim(payload, rolesClaim)));
  for (const s of matched) for (const r of s.roles) roles.add(r);
  const expiresAt = typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  const actor = payload.act === undefined ? undefined : actorOf(payload.act);
  if (payload.act !== undefined) {
    // RFC 8693 delegation: the caller is the actor, acting for the token's subject. It may ask
    // for that person, never decide or audit as them: those need the person's own token.
    if (!actor || !id.includes('@')) throw unauthenticated('invalid or expired token');
    return {
      id: actor,
      roles: roles.has('requester') || roles.has('admin') ? ['requester'] : [],
      via: 'oidc',
      onBehalfOf: id,
      ...(expiresAt ? { expiresAt } : {}),
    };
  }
  return {
    id,
    roles: KNOWN_ROLES.filter((r) => roles.has(r)),
    via: 'oidc',
    ...(expiresAt ? { expiresAt } : {}),
  };
}

/**
 * The canonical principal a verified token names, or undefined (401). A claim that is not a
 * clean identity (a newline, an invisible character) is refused, never cleaned up; an e-mail
 * claim counts only when the issuer says it verified it.
 */
function principalOf(
  payload: JWTPayload,
  principalClaim: string,
  trustUnverifiedEmail: boolean,
): string | undefined {
  const sub = payload.sub;
  if (sub !== undefined && (typeof sub !== 'string' || !canonicalPrincipal(sub).ok)) return undefined;
  const claimed = claim(payload, principalClaim);
  if (claimed === undefined || claimed === null || claimed === '') {
    return sub === undefined ? undefined : canonicalOrUndefined(sub);
  }
  if (typeof claimed !== 'string') return undefined;
  if (principalClaim === 'email' && !trustUnverifiedEmail && !emailVerified(payload.email_verified)) {
    return undefined;
  }
  return canonicalOrUndefined(claimed);
}

/** OIDC Core 5.1: a boolean; some issuers (older Cognito) send the string "true". */
function emailVerified(value: unknown): boolean {
  return value === true || value === 'true';
}

/** The current actor of an RFC 8693 `act` claim (its outermost `sub`), canonical. */
function actorOf(act: unknown): string | undefined {
  if (typeof act !== 'object' || act === null) return undefined;
  const sub = (act as { sub?: unknown }).sub;
  return typeof sub === 'string' ? canonicalOrUndefined(sub) : undefined;
}

/** The JWKS could not be fetched or read: the identity provider's fault, not the caller's. */
function isKeySourceFailure(err: unknown): boolean {
  if (!(err instanceof joseErrors.JOSEError)) return true;
  return ['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC'].includes(err.code);
}

/** A claim by exact name (`https://x/roles`), else by dotted path (`realm_access.roles`). */
function claim(payload: JWTPayload, name: string): unknown {
  if (name in payload) return payload[name];
  let node: unknown = payload;
  for (const part of name.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function rolesFrom(value: unknown): Role[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
  return list.filter(
    (r): r is Role => typeof r === 'string' && (KNOWN_ROLES as readonly string[]).includes(r),
  );
}

/** 403 unless the principal holds one of the roles; admin holds them all. */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    const principal = req.principal;
    if (!principal) {
      next(unauthenticated('missing credentials'));
      return;
    }
    if (hasRole(principal, ...roles)) {
      next();
      return;
    }
    next(roleProblem(roles));
  };
}

/** Whether the principal holds one of the roles; admin holds them all. */
export function hasRole(principal: Principal, ...roles: Role[]): boolean {
  return principal.roles.includes('admin') || principal.roles.some((r) => roles.includes(r));
}

/** The 403 of a caller without the role a route needs. */
export function roleProblem(roles: readonly Role[]): ProblemError {
  return new ProblemError({
    status: 403,
    type: PROBLEM.forbidden,
    title: 'Forbidden',
    detail: `requires the role ${roles.join(' or ')}`,
  });
}
