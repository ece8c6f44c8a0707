// A small typed client for Airlock's API on openapi-fetch: the types come from the served
// /openapi.json (sdk/openapi.ts), every refusal is an AirlockProblem, and waiting is the API's
// own long poll (`?wait=`), never a busy loop.
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './openapi.js';
import { AirlockUnreachable, problemFrom } from './problem.js';

type Schemas = components['schemas'];
export type Action = Schemas['Action'];
export type ActionStatus = Action['status'];
export type Submitted = Schemas['Submitted'];
export type ActionRequest = Schemas['ActionRequest'];
export type Decision = Schemas['Decision'];
export type DecisionResult = Schemas['DecisionResult'];
export type CancelBody = Schemas['Cancel'];
export type RedeemBody = Schemas['Redeem'];
export type CompleteBody = Schemas['Complete'];
export type ActionPage = Schemas['ActionPage'];
export type ListQuery = NonNullable<paths['/v1/actions']['get']['parameters']['query']>;

/** Statuses after which nothing more can happen to a request (as workflows/types.ts: the SDK stands alone). */
export const FINAL_STATUSES: readonly ActionStatus[] = [
  'succeeded',
  'failed',
  'denied',
  'expired',
  'cancelled',
  'revoked',
];

/**
 * Whether nothing more happens to a request until someone acts: a final status, an active JIT
 * grant, or an approved gate-mode request whose token is ready (the server's `?wait=` rule).
 */
export function isSettled(action: Pick<Action, 'status' | 'gate'>): boolean {
  if (FINAL_STATUSES.includes(action.status) || action.status === 'active') return true;
  return action.status === 'approved' && action.gate !== undefined;
}

/** The longest `?wait=` the API accepts, in seconds. */
export const MAX_WAIT_SECONDS = 60;

export interface AirlockClientOptions {
  /** Airlock's base URL, e.g. http://localhost:8080 (AIRLOCK_URL). */
  baseUrl: string;
  /** An API key or a JWT (AIRLOCK_TOKEN); a function is called for every request (short-lived tokens). */
  token?: string | (() => string | Promise<string>);
  /** Another fetch (tests, proxies); defaults to the global one. */
  fetch?: typeof globalThis.fetch;
  /** Sent as User-Agent, e.g. `airlock-cli/1`. */
  userAgent?: string;
}

export interface WaitOptions {
  /** Give up after this many seconds and return the request as it stands (default: no limit). */
  timeoutSeconds?: number;
  /** Called with each state the long poll returns (progress output). */
  onUpdate?: (action: Action) => void;
  signal?: AbortSignal;
}

export class AirlockClient {
  /** The underlying openapi-fetch client, for routes without a method here. */
  readonly raw: Client<paths>;
  readonly baseUrl: string;

  constructor(options: AirlockClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    const baseFetch = options.fetch ?? globalThis.fetch;
    // Network failures become AirlockUnreachable; openapi-fetch handles everything with a status.
    const fetchOrUnreachable = async (input: Request): Promise<Response> => {
      try {
        return await baseFetch(input);
      } catch (err) {
        if (input.signal?.aborted) throw err;
        throw new AirlockUnreachable(this.baseUrl, err);
      }
    };
    this.raw = createClient<paths>({ baseUrl: this.baseUrl, fetch: fetchOrUnreachable });
    const { token, userAgent } = options;
    this.raw.use({
      async onRequest({ request }) {
        const value = typeof token === 'function' ? await token() : token;
        if (value) request.headers.set('authorization', `Bearer ${value}`);
        if (userAgent) request.headers.set('user-agent', userAgent);
        return request;
      },
    });
  }

  /** Submits a request; with `wait`, the answer holds until it settles or `wait` seconds pass. */
  async submit(
    request: ActionRequest,
    options: { wait?: number; idempotencyKey?: string; signal?: AbortSignal } = {},
  ): Promise<Submitted> {
    const result = await this.raw.POST('/v1/actions', {
      params: {
        query: options.wait ? { wait: clampWait(options.wait) } : {},
        header: options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : {},
      },
      body: request,
      ...signalOf(options.signal),
    });
    return unwrap(result);
  }

  /** A request and its state; with `wait`, held until it settles or `wait` seconds pass. */
  async get(id: string, options: { wait?: number; signal?: AbortSignal } = {}): Promise<Action> {
    const result = await this.raw.GET('/v1/actions/{id}', {
      params: { path: { id }, query: options.wait ? { wait: clampWait(options.wait) } : {} },
      ...signalOf(options.signal),
    });
    return unwrap(result);
  }

  /**
   * Waits until the request settles (isSettled), one long poll of up to a minute after another.
   * Returns the request as it stands when `timeoutSeconds` passes first: check isSettled().
   */
  async waitFor(id: string, options: WaitOptions = {}): Promise<Action> {
    const deadline =
      options.timeoutSeconds === undefined ? Infinity : Date.now() + options.timeoutSeconds * 1000;
    for (;;) {
      const left = Math.ceil((deadline - Date.now()) / 1000);
      const wait = Math.max(0, Math.min(MAX_WAIT_SECONDS, left));
      const action = await this.get(id, { wait, ...(options.signal ? { signal: options.signal } : {}) });
      options.onUpdate?.(action);
      if (isSettled(action) || wait === 0) return action;
    }
  }

  async decide(id: string, decision: Decision): Promise<DecisionResult> {
    return unwrap(
      await this.raw.POST('/v1/actions/{id}/decisions', { params: { path: { id } }, body: decision }),
    );
  }

  approve(id: string, reason?: string): Promise<DecisionResult> {
    return this.decide(id, reason === undefined ? { decision: 'approve' } : { decision: 'approve', reason });
  }

  deny(id: string, reason: string): Promise<DecisionResult> {
    return this.decide(id, { decision: 'deny', reason });
  }

  async cancel(id: string, body: CancelBody = {}): Promise<Action> {
    return unwrap(await this.raw.POST('/v1/actions/{id}/cancel', { params: { path: { id } }, body }));
  }

  /** Gate mode: redeems the approval token once, optionally checking what is about to run. */
  async redeem(id: string, body: RedeemBody): Promise<Action> {
    return unwrap(await this.raw.POST('/v1/actions/{id}/redeem', { params: { path: { id } }, body }));
  }

  /** Gate mode: reports the outcome (or releases a JIT grant early). */
  async complete(id: string, body: CompleteBody): Promise<Action> {
    return unwrap(await this.raw.POST('/v1/actions/{id}/complete', { params: { path: { id } }, body }));
  }

  async list(query: ListQuery = {}): Promise<ActionPage> {
    return unwrap(await this.raw.GET('/v1/actions', { params: { query } }));
  }
}

export function createAirlockClient(options: AirlockClientOptions): AirlockClient {
  return new AirlockClient(options);
}

function clampWait(seconds: number): number {
  return Math.max(0, Math.min(MAX_WAIT_SECONDS, Math.ceil(seconds)));
}

function signalOf(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}

/** The data of a 2xx, or the AirlockProblem of anything else. */
function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok && result.data !== undefined) return result.data;
  throw problemFrom(result.response, result.error);
}
