/**
 * The chaos suite's HTTP clients: every request is retried, with the SAME Idempotency-Key, on a
 * network error, a 5xx, a 429, a `busy` 409, or a 202 whose outcome is still pending (polled at its
 * `Location`, then the request is sent again to get the route's own answer). Anything else is the
 * final answer. Each case records when it moved (a final 2xx to an action, or a state it waited
 * for appearing), which is what the recovery figure is measured from.
 */
import { randomUUID } from 'node:crypto';
import { authConfigOf, mintToken, type Actor } from '../../api/auth.js';
import { loadConfig } from '../../config/index.js';

export type { Actor };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Clients here retry at most this far apart (they do not wait out a 5 s Retry-After in full): the recovery figure measures the server, not client politeness. */
const MAX_BACKOFF_MS = 1_000;
const ATTEMPT_TIMEOUT_MS = 20_000;

export class StuckError extends Error {
  constructor(readonly step: string, detail: string) {
    super(`${step}: ${detail}`);
  }
}

/** An answer the case did not expect (a 4xx that is not a retry signal): the case cannot go on. */
export class UnexpectedAnswer extends Error {
  constructor(readonly step: string, readonly status: number, readonly body: unknown) {
    super(`${step}: unexpected ${status} ${JSON.stringify(body).slice(0, 300)}`);
  }
}

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
  /** Attempts of this request (1 = answered the first time). */
  attempts: number;
  firstAttemptAt: number;
  answeredAt: number;
}

/** Counters of what the clients went through, for the report. */
export interface ClientStats {
  requests: number;
  retries: number;
  networkErrors: number;
  serverErrors: number;
  busy: number;
  rateLimited: number;
  pending202: number;
  /** 202 outcomes whose Location answered 404 to the caller that got them (read by sending again). */
  locationNotFound: number;
}

export function newStats(): ClientStats {
  return { requests: 0, retries: 0, networkErrors: 0, serverErrors: 0, busy: 0, rateLimited: 0, pending202: 0, locationNotFound: 0 };
}

export interface RequestSpec {
  actor?: Actor;
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  body?: unknown;
  contentType?: string;
  /** The Idempotency-Key, fixed for every attempt; `undefined` on a state-changing request = a fresh one. */
  key?: string | false;
  /** Told of every attempt's answer (the case's trace). */
  onAttempt?: (at: number, answer: string) => void;
}

export class Api {
  private readonly tokens = new Map<string, Promise<string>>();
  private readonly auth;

  constructor(readonly baseUrl: string, env: Record<string, string>, readonly stats: ClientStats = newStats()) {
    this.auth = authConfigOf(loadConfig(env));
  }

  private token(actor: Actor): Promise<string> {
    const id = JSON.stringify(actor);
    let token = this.tokens.get(id);
    if (!token) {
      token = mintToken(this.auth, actor);
      this.tokens.set(id, token);
    }
    return token;
  }

  /** One attempt: the answer, or undefined on a network error. */
  private async once<T>(spec: RequestSpec, key: string | undefined): Promise<{ status: number; body: T; headers: Headers } | undefined> {
    this.stats.requests += 1;
    const headers: Record<string, string> = {};
    if (spec.actor) headers.authorization = `Bearer ${await this.token(spec.actor)}`;
    if (key) headers['idempotency-key'] = key;
    if (spec.body !== undefined) headers['content-type'] = spec.contentType ?? 'application/json';
    try {
      const res = await fetch(`${this.baseUrl}${spec.path}`, {
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : typeof spec.body === 'string' ? spec.body : JSON.stringify(spec.body),
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
      const text = await res.text();
      let body: unknown = text;
      if ((res.headers.get('content-type') ?? '').includes('json') && text) {
        try {
          body = JSON.parse(text);
        } catch {
          // A truncated body from a dying server: treated as a network error below.
          return undefined;
        }
      }
      return { status: res.status, body: body as T, headers: res.headers };
    } catch {
      this.stats.networkErrors += 1;
      return undefined;
    }
  }

  /**
   * Sends until a final answer or `deadline` (then StuckError). The same Idempotency-Key on every
   * attempt of a state-changing request.
   */
  async send<T = Record<string, unknown>>(step: string, spec: RequestSpec, deadline: number): Promise<Answer<T>> {
    const key = spec.method === 'GET' || spec.key === false ? undefined : spec.key ?? randomUUID();
    const firstAttemptAt = Date.now();
    let delay = 200;
    let last = 'no answer';
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) this.stats.retries += 1;
      const answer = await this.once<T>(spec, key);
      spec.onAttempt?.(Date.now(), answer ? `${answer.status} ${(answer.body as { type?: string } | undefined)?.type?.replace('urn:dvcqg:problem:', '') ?? ''}`.trim() : 'network error');
      let wait = delay;
      if (answer) {
        const { status, headers } = answer;
        const type = (answer.body as { type?: string } | undefined)?.type;
        const location = headers.get('location');
        if (status === 202 && location?.startsWith('/v1/actions/')) {
          this.stats.pending202 += 1;
          await this.awaitOutcome(spec.actor, location, deadline);
          last = `202 pending at ${location}`;
          wait = 0;
        } else if (status >= 500 || status === 429 || (status === 409 && type === 'urn:dvcqg:problem:busy')) {
          if (status >= 500) this.stats.serverErrors += 1;
          else if (status === 429) this.stats.rateLimited += 1;
          else this.stats.busy += 1;
          last = `${status} ${type ?? ''}`;
          const retryAfter = Number(headers.get('retry-after'));
          if (retryAfter > 0) wait = Math.min(retryAfter * 1000, MAX_BACKOFF_MS);
        } else {
          return { ...answer, attempts: attempt, firstAttemptAt, answeredAt: Date.now() };
        }
      } else {
        last = 'network error';
      }
      if (Date.now() + wait > deadline) throw new StuckError(step, `no final answer before the deadline (last: ${last}, ${attempt} attempts)`);
      await sleep(wait);
      delay = Math.min(delay * 1.5, MAX_BACKOFF_MS);
    }
  }

  /** Polls a 202's Location until the outcome is there (or the route says it cannot tell). */
  private async awaitOutcome(actor: Actor | undefined, location: string, deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      const polled = await this.once(actorless(actor, location), undefined);
      if (polled && polled.status !== 202 && polled.status < 500) {
        if (polled.status === 404) this.stats.locationNotFound += 1;
        return;
      }
      await sleep(polled ? 250 : 500);
    }
  }
}

const actorless = (actor: Actor | undefined, path: string): RequestSpec => ({ actor, method: 'GET', path });
