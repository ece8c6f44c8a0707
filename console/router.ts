// The approver console (SPEC 12) at /console: sign-in (an API key where allowed, OIDC with PKCE
// where configured), server-side sessions, the inbox, all requests, a request's page and its audit
// trail, approve and deny through the API's own decision path, and live updates. Every answer is
// an HTML page, refusals and errors included: never a stack trace, never JSON to a person.
import { readFileSync } from 'node:fs';
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import { decideAction, listActions, readActionFor, reviewAction } from '../api/actions.js';
import { exportHandler } from '../api/audit-routes.js';
import { hasRole, type Principal } from '../api/auth.js';
import { delegationService } from '../api/delegation-routes.js';
import type { ApiDeps } from '../api/deps.js';
import { presentAction, previewForRequester } from '../api/present.js';
import { PROBLEM, ProblemError, toProblem } from '../api/problem.js';
import {
  decisionSchema,
  delegationSchema,
  idParamSchema,
  listQuerySchema,
  reviewSchema,
  standingIdParamSchema,
} from '../api/schemas.js';
import { DelegationStore } from '../audit/delegation-store.js';
import { buildApprovalCard } from '../bots/card.js';
import { canonicalOrUndefined, sameForSelfApproval, sameIdentity } from '../policy/identity.js';
import {
  type DelegatedVerdict,
  eligibleApprovers,
  judgeDecision,
  judgeDelegatedDecision,
  requesterIdentities,
  type Verdict,
} from '../workflows/rules.js';
import type { ActionState } from '../workflows/types.js';
import { DURATIONS, delegationsPage } from './delegations.js';
import { inboxFor, inboxVersion, requestVersion } from './inbox.js';
import { LiveStreams } from './live.js';
import type { ConsoleOidc } from './oidc.js';
import {
  auditPage,
  errorPage,
  inboxPage,
  type ListFilters,
  listPage,
  type RequestPageModel,
  requestPage,
  signInPage,
  type Who,
} from './pages.js';
import {
  clearCookie,
  consoleKey,
  cookiesOf,
  newPreSession,
  PRE_SESSION_COOKIE,
  preSessionToken,
  preSessionValid,
  SESSION_COOKIE,
  safeReturnTo,
  securityHeaders,
  setCookie,
} from './security.js';
import { type ConsoleSession, DEFAULT_SESSION_TTL_MS, SessionStore, sameToken } from './sessions.js';

export interface ConsoleOptions {
  /** Sign-in with an API key (demo mode, or AIRLOCK_CONSOLE_KEY_SIGNIN=true). */
  keySignIn: boolean;
  /** Sign-in with the configured OpenID provider (authorization code + PKCE). */
  oidc?: ConsoleOidc;
  sessionTtlMs?: number;
  /** Open live streams, closed on shutdown. */
  live?: LiveStreams;
}

const STATIC = {
  'console.js': {
    type: 'text/javascript; charset=utf-8',
    body: readFileSync(new URL('./static/console.js', import.meta.url)),
  },
  'console.css': {
    type: 'text/css; charset=utf-8',
    body: readFileSync(new URL('./static/console.css', import.meta.url)),
  },
  'favicon.svg': {
    type: 'image/svg+xml',
    body: readFileSync(new URL('./static/favicon.svg', import.meta.url)),
  },
} as const;

const SIGN_IN_MESSAGES: Record<string, string> = {
  ended: 'Your session has ended. Sign in again.',
  invalid: 'That session is not one this console issued. Sign in again.',
  'signed-out': 'You are signed out.',
  required: 'Sign in to continue.',
};

interface Signed {
  id: string;
  session: ConsoleSession;
}

export function consoleRouter(deps: ApiDeps, opts: ConsoleOptions): Router {
  const router = Router();
  const sessions = new SessionStore(deps.audit.db, opts.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS);
  const delegationStore = new DelegationStore(deps.audit.db);
  const delegations = delegationService(deps);
  const ttlSeconds = Math.floor((opts.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS) / 1000);
  const key = consoleKey(deps.masterKey);
  const secure = deps.publicUrl.startsWith('https:');
  const live = opts.live ?? new LiveStreams();
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });

  router.use('/console', (_req, res, next) => {
    securityHeaders(res);
    res.setHeader('cache-control', 'no-store');
    next();
  });

  router.get('/console/static/:file', (req, res, next) => {
    const file = STATIC[req.params.file as keyof typeof STATIC];
    if (!file) return next();
    res.setHeader('content-type', file.type);
    res.setHeader('cache-control', 'no-cache');
    res.send(file.body);
  });

  router.get(['/console', '/console/'], async (req, res) => {
    const signed = await currentSession(req);
    res.redirect(303, signed ? '/console/inbox' : '/console/sign-in');
  });

  router.get('/console/sign-in', async (req, res) => {
    const signed = await currentSession(req);
    const returnTo = safeReturnTo(req.query.returnTo);
    if (signed) {
      res.redirect(303, returnTo ?? '/console/inbox');
      return;
    }
    const why = typeof req.query.why === 'string' ? SIGN_IN_MESSAGES[req.query.why] : undefined;
    sendSignIn(req, res, 200, why, returnTo);
  });

  router.post('/console/sign-in', form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const returnTo = safeReturnTo(body.returnTo);
    if (!opts.keySignIn) throw new ProblemError({ status: 404, type: PROBLEM.notFound, detail: 'not found' });
    if (!preSessionValid(key, cookiesOf(req)[PRE_SESSION_COOKIE], body.csrf)) {
      deps.logger.warn({ path: req.path }, 'console sign-in without a valid form token');
      sendSignIn(req, res, 403, 'The form had expired or was not sent by this console. Try again.', returnTo);
      return;
    }
    const apiKey = typeof body.key === 'string' ? body.key.trim() : '';
    let principal: Principal | undefined;
    if (apiKey !== '' && apiKey.length <= 4096) {
      principal = await deps.authenticate.authenticate({ 'x-api-key': apiKey }).catch(() => undefined);
    }
    if (principal?.via !== 'api-key') {
      sendSignIn(req, res, 401, 'That key is not valid.', returnTo);
      return;
    }
    await startSession(res, principal);
    res.redirect(303, returnTo ?? '/console/inbox');
  });

  if (opts.oidc) {
    const oidc = opts.oidc;
    router.get('/console/oidc/start', async (req, res) => {
      try {
        await oidc.start(req, res, safeReturnTo(req.query.returnTo));
      } catch (err) {
        deps.logger.warn({ err: String(err) }, 'console OIDC: the identity provider could not be reached');
        sendSignIn(req, res, 503, 'The identity provider could not be reached. Try again shortly.');
      }
    });
    router.get('/console/oidc/callback', async (req, res) => {
      const outcome = await oidc.finish(req, res);
      if (!outcome.ok) {
        deps.logger.warn({ reason: outcome.reason }, 'console OIDC sign-in refused');
        sendSignIn(req, res, outcome.status, outcome.message);
        return;
      }
      await startSession(res, outcome.principal);
      res.redirect(303, outcome.returnTo ?? '/console/inbox');
    });
  }

  router.post('/console/sign-out', form, async (req, res) => {
    const id = cookiesOf(req)[SESSION_COOKIE];
    const signed = id ? await sessions.find(id) : undefined;
    if (
      signed?.ok &&
      !sameToken((req.body as Record<string, unknown> | undefined)?.csrf, signed.session.csrf)
    ) {
      refuseCsrf(req, res, { id: id!, session: signed.session });
      return;
    }
    if (id) await sessions.end(id);
    clearCookie(res, SESSION_COOKIE, secure);
    res.redirect(303, '/console/sign-in?why=signed-out');
  });

  router.get('/console/inbox', requireSession, async (_req, res) => {
    const s = signedOf(res);
    // The version first: a change while the page renders makes its stream refresh it at once.
    const version = await inboxVersion(deps.audit.db, s.session.principal.id);
    // Only an approver decides (as over the API): a requester listed in a policy group sees no
    // one else's pending requests here.
    const inbox = hasRole(s.session.principal, 'approver')
      ? await inboxFor(deps.audit.db, s.session.principal.id)
      : { items: [], total: 0 };
    res.type('html').send(inboxPage(whoOf(s), inbox, version));
  });

  router.get('/console/inbox/events', requireSession, async (req, res) => {
    const s = signedOf(res);
    await live.follow(
      req,
      res,
      () => inboxVersion(deps.audit.db, s.session.principal.id),
      async () => (await sessions.find(s.id)).ok,
      sinceOf(req),
    );
  });

  router.get('/console/requests', requireSession, async (req, res) => {
    const s = signedOf(res);
    const raw = Object.fromEntries(
      Object.entries(req.query).filter(([, v]) => typeof v === 'string' && v !== ''),
    ) as Record<string, string>;
    const q = listQuerySchema.parse(raw);
    const page = await listActions(deps, s.session.principal, q);
    const filters: ListFilters = {
      ...(q.status ? { status: q.status } : {}),
      ...(q.requester ? { requester: q.requester } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(q.environment ? { environment: q.environment } : {}),
    };
    res.type('html').send(listPage(whoOf(s), filters, page));
  });

  router.get('/console/requests/:id', requireSession, async (req, res) => {
    const s = signedOf(res);
    const { id } = idParamSchema.parse(req.params);
    const version = await requestVersion(deps.audit.db, id);
    const state = await readActionFor(deps, s.session.principal, id);
    const done = req.query.done;
    const flash =
      done === 'approve' || done === 'deny'
        ? { kind: 'ok' as const, text: `your ${done === 'approve' ? 'approval' : 'denial'} was recorded.` }
        : done === 'review'
          ? { kind: 'ok' as const, text: 'your review was recorded.' }
          : undefined;
    res
      .type('html')
      .send(requestPage(whoOf(s), { ...(await pageModel(state, s.session.principal, flash)), version }));
  });

  router.get('/console/requests/:id/events', requireSession, async (req, res) => {
    const s = signedOf(res);
    const { id } = idParamSchema.parse(req.params);
    await readActionFor(deps, s.session.principal, id);
    await live.follow(
      req,
      res,
      () => requestVersion(deps.audit.db, id),
      async () => (await sessions.find(s.id)).ok,
      sinceOf(req),
    );
  });

  router.post('/console/requests/:id/decision', form, requireSession, requireCsrf, async (req, res) => {
    const s = signedOf(res);
    const { id } = idParamSchema.parse(req.params);
    const raw = (req.body ?? {}) as Record<string, unknown>;
    const reason = typeof raw.reason === 'string' && raw.reason.trim() !== '' ? raw.reason.trim() : undefined;
    // "Approve + same again" posts its TTL beside it; the workflow bounds it by the rule's maxTtl.
    const standing =
      raw.decision === 'approve-standing' && typeof raw.standing_ttl === 'string'
        ? { standing: { ttl: raw.standing_ttl } }
        : {};
    const decision = raw.decision === 'approve-standing' ? 'approve' : raw.decision;
    const body = decisionSchema.parse({ decision, ...(reason ? { reason } : {}), ...standing });
    await changeRequest(res, s, id, body.decision, () => decideAction(deps, s.session.principal, id, body));
  });

  router.post('/console/requests/:id/review', form, requireSession, requireCsrf, async (req, res) => {
    const s = signedOf(res);
    const { id } = idParamSchema.parse(req.params);
    const raw = (req.body ?? {}) as Record<string, unknown>;
    const reason = typeof raw.reason === 'string' && raw.reason.trim() !== '' ? raw.reason.trim() : undefined;
    const body = reviewSchema.parse({ outcome: raw.outcome, ...(reason ? { reason } : {}) });
    await changeRequest(res, s, id, 'review', () => reviewAction(deps, s.session.principal, id, body));
  });

  router.get('/console/delegations', requireSession, async (req, res) => {
    const s = signedOf(res);
    requireDelegationRole(s.session.principal);
    const done = req.query.done;
    const flash =
      done === 'created' || done === 'ended'
        ? { kind: 'ok' as const, text: `the delegation was ${done}.` }
        : undefined;
    res.type('html').send(delegationsPage(whoOf(s), await delegations.list(s.session.principal), flash));
  });

  router.post('/console/delegations', form, requireSession, requireCsrf, async (req, res) => {
    const s = signedOf(res);
    const principal = s.session.principal;
    requireDelegationRole(principal, true);
    const raw = (req.body ?? {}) as Record<string, unknown>;
    const days = DURATIONS.find(([d]) => String(d) === raw.days)?.[0] ?? 1;
    await changeDelegations(res, s, 'created', () =>
      delegations.create(
        principal,
        delegationSchema.parse({
          delegate: typeof raw.delegate === 'string' ? raw.delegate.trim() : raw.delegate,
          end: new Date(Date.now() + days * 86_400_000).toISOString(),
          reason: typeof raw.reason === 'string' ? raw.reason.trim() : raw.reason,
        }),
      ),
    );
  });

  router.post('/console/delegations/:id/end', form, requireSession, requireCsrf, async (req, res) => {
    const s = signedOf(res);
    const principal = s.session.principal;
    requireDelegationRole(principal, true);
    const { id } = standingIdParamSchema.parse(req.params);
    await changeDelegations(res, s, 'ended', () => delegations.end(principal, id));
  });

  router.get('/console/requests/:id/audit', requireSession, async (req, res) => {
    const s = signedOf(res);
    const { id } = idParamSchema.parse(req.params);
    if (!hasRole(s.session.principal, 'auditor')) {
      throw new ProblemError({
        status: 403,
        type: PROBLEM.forbidden,
        detail: 'the audit trail is for auditors (and admins)',
      });
    }
    const events = await deps.audit.eventsFor(id);
    if (events.length === 0) {
      throw new ProblemError({ status: 404, type: PROBLEM.notFound, detail: 'no such request' });
    }
    const verification = await deps.audit.verifyRequest(id);
    res.type('html').send(auditPage(whoOf(s), id, events, verification, s.session.csrf));
  });

  if (deps.evidence) {
    // The export is the API's own (GET /v1/audit/export): the same pack, the same record in the
    // chain of who took evidence out; only the form and the session are the console's.
    const exportPack = exportHandler(deps, deps.evidence);
    router.post('/console/audit/export', form, requireSession, requireCsrf, async (req, res) => {
      if (!hasRole(signedOf(res).session.principal, 'auditor')) {
        throw new ProblemError({
          status: 403,
          type: PROBLEM.forbidden,
          detail: 'the export is for auditors (and admins)',
        });
      }
      const body = (req.body ?? {}) as Record<string, unknown>;
      const q = new URLSearchParams();
      const day = (v: unknown, end: boolean) =>
        typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)
          ? end
            ? new Date(Date.parse(`${v}T00:00:00Z`) + 86_400_000).toISOString()
            : `${v}T00:00:00.000Z`
          : undefined;
      const from = day(body.from, false);
      const to = day(body.to, true);
      if (from) q.set('from', from);
      if (to) q.set('to', to);
      q.set('format', body.format === 'csv' ? 'csv' : 'jsonl');
      // The API's handler reads its query: the form's fields become it.
      req.url = `/v1/audit/export?${q.toString()}`;
      await exportPack(req, res);
    });
  }

  router.use('/console', (_req, _res, next) => {
    next(
      new ProblemError({
        status: 404,
        type: PROBLEM.notFound,
        detail: 'there is no such page in the console',
      }),
    );
  });

  router.use('/console', (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const problem = toProblem(err);
    if (!problem) deps.logger.error({ err, path: req.path }, 'console error');
    const status = problem?.status ?? 500;
    const title = problem?.title ?? 'Something went wrong';
    const detail = problem
      ? problem.status === 400 && problem.errors?.length
        ? problem.errors.map((e) => `${e.field}: ${e.detail}`).join('; ')
        : problem.detail
      : 'The console could not answer this time. Try again; if it persists, the service log has the details.';
    const s = res.locals.signed as Signed | undefined;
    res
      .status(status)
      .type('html')
      .send(errorPage(status, title, detail, s ? whoOf(s) : undefined));
  });

  return router;

  async function startSession(res: Response, principal: Principal): Promise<void> {
    const { id } = await sessions.create(principal);
    // Ended and expired rows go at sign-in time: no timer, and the table stays small.
    void sessions
      .sweep()
      .catch((err: unknown) => deps.logger.warn({ err: String(err) }, 'console session sweep'));
    setCookie(res, SESSION_COOKIE, id, { secure, maxAgeSeconds: ttlSeconds });
    clearCookie(res, PRE_SESSION_COOKIE, secure);
    deps.logger.info({ principal: principal.id, via: principal.via }, 'console sign-in');
  }

  async function currentSession(req: Request): Promise<Signed | undefined> {
    const id = cookiesOf(req)[SESSION_COOKIE];
    if (!id) return undefined;
    const found = await sessions.find(id);
    return found.ok ? { id, session: found.session } : undefined;
  }

  function sendSignIn(req: Request, res: Response, status: number, message?: string, returnTo?: string) {
    let pre = cookiesOf(req)[PRE_SESSION_COOKIE];
    if (!pre || pre.length > 64) {
      pre = newPreSession();
      setCookie(res, PRE_SESSION_COOKIE, pre, { secure, maxAgeSeconds: 3600 });
    }
    res
      .status(status)
      .type('html')
      .send(
        signInPage({
          keySignIn: opts.keySignIn,
          oidc: opts.oidc !== undefined,
          csrf: preSessionToken(key, pre),
          ...(message ? { message } : {}),
          ...(returnTo ? { returnTo } : {}),
        }),
      );
  }

  /** Runs a decision or review; a refusal is answered on the request's own page, with the rules' reason. */
  async function changeRequest(
    res: Response,
    s: Signed,
    id: string,
    done: string,
    change: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await change();
    } catch (err) {
      const problem = toProblem(err);
      if (!problem || problem.status >= 500 || problem.status === 404) throw err;
      const principal = s.session.principal;
      const state = await readActionFor(deps, principal, id);
      const model = await pageModel(state, principal, { kind: 'error', text: problem.detail });
      res
        .status(problem.status)
        .type('html')
        .send(requestPage(whoOf(s), model));
      return;
    }
    res.redirect(303, `/console/requests/${id}?done=${done}`);
  }

  /** Runs a delegation change; a refusal is answered on the delegations page with the API's reason. */
  async function changeDelegations(
    res: Response,
    s: Signed,
    done: 'created' | 'ended',
    change: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await change();
    } catch (err) {
      const problem = toProblem(err);
      if (!problem || problem.status >= 500 || problem.status === 404) throw err;
      const items = await delegations.list(s.session.principal);
      res
        .status(problem.status)
        .type('html')
        .send(delegationsPage(whoOf(s), items, { kind: 'error', text: problem.detail }));
      return;
    }
    res.redirect(303, `/console/delegations?done=${done}`);
  }

  /** As /v1/delegations: approvers give and end theirs, auditors and admins see all. */
  function requireDelegationRole(principal: Principal, change = false): void {
    if (!(change ? hasRole(principal, 'approver') : hasRole(principal, 'approver', 'auditor')))
      throw new ProblemError({
        status: 403,
        type: PROBLEM.forbidden,
        detail: change
          ? 'only approvers give and end delegations'
          : 'delegations are for approvers (auditors and admins see them)',
      });
  }

  function keyStillGrants(principal: Principal): boolean {
    if (principal.via !== 'api-key') return true;
    const keys = deps.config.apiKeys.filter((k) => sameIdentity(k.principal, principal.id));
    const roles = new Set<string>(keys.flatMap((k) => k.roles));
    return keys.length > 0 && principal.roles.every((r) => roles.has(r));
  }

  /** A page or stream behind sign-in: a missing, forged or ended session goes back to sign-in. */
  async function requireSession(req: Request, res: Response, next: NextFunction): Promise<void> {
    const id = cookiesOf(req)[SESSION_COOKIE];
    let found = id ? await sessions.find(id) : undefined;
    // A session signed in with a key lasts only while a key for that principal still grants its roles.
    if (id && found?.ok && !keyStillGrants(found.session.principal)) {
      await sessions.end(id);
      deps.logger.warn(
        { principal: found.session.principal.id },
        'console session ended: its key no longer grants it',
      );
      found = { ok: false, reason: 'ended' };
    }
    if (id && found?.ok) {
      res.locals.signed = { id, session: found.session } satisfies Signed;
      req.principal = found.session.principal;
      next();
      return;
    }
    const why = !id ? 'required' : found && !found.ok ? found.reason : 'invalid';
    if (id) {
      clearCookie(res, SESSION_COOKIE, secure);
      if (why === 'invalid')
        deps.logger.warn({ path: req.path }, 'console request with a session cookie it never issued');
    }
    if (req.method === 'GET' && !req.path.endsWith('/events')) {
      const returnTo = safeReturnTo(req.originalUrl);
      res.redirect(
        303,
        `/console/sign-in?why=${why}${returnTo ? `&returnTo=${encodeURIComponent(returnTo)}` : ''}`,
      );
      return;
    }
    res
      .status(401)
      .type('html')
      .send(errorPage(401, 'Signed out', SIGN_IN_MESSAGES[why] ?? SIGN_IN_MESSAGES.required!));
  }

  /** Every state-changing form carries its session's token; one without is refused, not acted on. */
  function requireCsrf(req: Request, res: Response, next: NextFunction): void {
    const s = signedOf(res);
    if (sameToken((req.body as Record<string, unknown> | undefined)?.csrf, s.session.csrf)) {
      next();
      return;
    }
    refuseCsrf(req, res, s);
  }

  function refuseCsrf(req: Request, res: Response, s: Signed): void {
    deps.logger.warn(
      { path: req.path, principal: s.session.principal.id },
      'console form refused: missing or wrong CSRF token',
    );
    res
      .status(403)
      .type('html')
      .send(
        errorPage(
          403,
          'Refused',
          'This form did not carry its security token (or carried a wrong one), so nothing was done. Reload the page and try again.',
          whoOf(s),
        ),
      );
  }

  async function pageModel(
    state: ActionState,
    principal: Principal,
    flash?: RequestPageModel['flash'],
  ): Promise<RequestPageModel> {
    const isRequester = sameIdentity(state.requester, principal.id);
    const view = presentAction(state, { id: principal.id, isRequester }, deps.masterKey);
    const preview = state.preview && isRequester ? previewForRequester(state.preview) : state.preview;
    const card = buildApprovalCard({ ...state, ...(preview ? { preview } : {}) });
    const pending = state.status === 'pending_approval' && state.policy !== undefined;
    let others: string[] = [];
    let wouldRefuse: string | undefined;
    let asDelegateOf: string | undefined;
    if (pending && state.policy) {
      const me = canonicalOrUndefined(principal.id);
      const selves = requesterIdentities(state.requester, state.request.agent);
      others = [...eligibleApprovers(state.policy.stages, state.stageIndex)].filter(
        (id) =>
          id !== me &&
          !selves.some((self) => sameForSelfApproval(self, id)) &&
          !state.decisions.some((d) => sameIdentity(d.approver.id, id)),
      );
      const ctx = {
        status: state.status,
        requester: state.requester,
        agent: state.request.agent,
        stages: state.policy.stages,
        stageIndex: state.stageIndex,
        decisions: state.decisions,
        denyReasonRequired: false,
      };
      const input = { decision: 'approve' as const, approver: { id: principal.id, channel: 'api' as const } };
      let verdict: Verdict | DelegatedVerdict = judgeDecision(ctx, input);
      // As the workflow judges it: no approver here, but maybe the delegate of one right now.
      if (!verdict.ok && verdict.code === 'not_an_approver') {
        const now = new Date().toISOString();
        const held = await delegationStore.heldBy(principal.id, now);
        if (held.length > 0) verdict = judgeDelegatedDecision(ctx, input, held, now);
      }
      if (!verdict.ok) wouldRefuse = verdict.detail;
      else if ('asDelegateOf' in verdict) asDelegateOf = verdict.asDelegateOf;
    }
    return {
      view,
      state,
      card,
      othersWhoMayDecide: others,
      ...(wouldRefuse ? { wouldRefuse } : {}),
      ...(asDelegateOf ? { asDelegateOf } : {}),
      mayTry: pending && hasRole(principal, 'approver', 'requester'),
      // A break-glass request waits for its review after it ran; the workflow judges who may.
      mayReview: state.breakGlass !== undefined && !state.breakGlass.review && hasRole(principal, 'approver'),
      isAuditor: hasRole(principal, 'auditor'),
      ...(flash ? { flash } : {}),
    };
  }
}

/** The version a page was rendered at (`?since=` on its stream). */
function sinceOf(req: Request): string | undefined {
  const v = req.query.since;
  return typeof v === 'string' && v.length <= 64 ? v : undefined;
}

function signedOf(res: Response): Signed {
  return res.locals.signed as Signed;
}

function whoOf(s: Signed): Who {
  return { id: s.session.principal.id, roles: s.session.principal.roles, csrf: s.session.csrf };
}
