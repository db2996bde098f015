import { randomUUID } from 'node:crypto';
import createHttpError from 'http-errors';
import { WorkflowNotFoundError, WorkflowUpdateRPCTimeoutOrCancelledError, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { and, eq, isNull } from 'drizzle-orm';
import { latestRun } from '../db/queries/record.js';
import { idempotencyKeys } from '../db/schema/index.js';
import { canonicalJson, sha256Hex } from '../domain/audit/export.js';
import type { Actor } from './auth.js';
import { problem } from './errors.js';

/**
 * One Idempotency-Key mechanism for every state-changing route (POST, PUT, DELETE).
 *
 * - The key is scoped per caller (role, agency/bank, user) and bound to the request it was first
 *   used for: a canonical fingerprint of method, route, path parameters, query and body.
 * - The same key again with the same request is answered with the first answer, replayed from
 *   PostgreSQL (`Idempotent-Replayed: true`), also after the case has closed and been purged.
 *   The same key with another request is `409 idempotency-key-reused`, nothing done.
 * - A key whose first request got no answer (lost response, crash, timeout) runs again under the
 *   same Temporal update id (`updateId`, derived from scope and key), so Temporal applies the
 *   action at most once and hands the retry the first outcome.
 * - 5xx, 429, 202 and `busy` answers are not stored: they say "try again".
 */

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const NOT_STORED = /urn:dvcqg:problem:busy/;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request carries an Idempotency-Key: the Temporal update id every update of this request uses. */
    idempotency?: { scope: string; key: string; updateId: string; replayed?: boolean };
  }
  interface FastifyContextConfig {
    /** The route implements the key itself (feedback submission: the key names the item). */
    ownIdempotency?: true;
  }
}

const idempotencyHeaderDoc = {
  description: 'Retry safely: the same key (per caller) returns the first answer; the same key with another request is 409 idempotency-key-reused. 1–200 visible ASCII characters, e.g. a UUID.',
};

const scopeOf = (actor: Actor) => `${actor.role}/${actor.agency ?? actor.bank ?? '-'}/${actor.userId}`;

function reused(detail: string) {
  return createHttpError(409, detail, { problemKind: 'idempotency-key-reused', expose: true });
}

export function registerIdempotency(app: FastifyInstance): void {
  // Documented (OpenAPI) and checked on every state-changing route.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((m) => STATE_CHANGING.has(m)) || !route.schema || route.schema.headers) return;
    route.schema.headers = z.looseObject({ 'idempotency-key': z.string().regex(KEY_PATTERN).optional().describe(idempotencyHeaderDoc.description) });
  });
  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!STATE_CHANGING.has(request.method) || request.routeOptions.config.ownIdempotency) return;
    const header = request.headers[IDEMPOTENCY_HEADER];
    if (header === undefined || !request.actor) return;
    if (typeof header !== 'string' || !KEY_PATTERN.test(header)) {
      throw createHttpError(400, 'Idempotency-Key: 1–200 visible ASCII characters', { problemKind: 'validation', expose: true });
    }
    const scope = scopeOf(request.actor);
    const route = request.routeOptions.url ?? request.url.split('?')[0] ?? '';
    const fingerprint = sha256Hex(canonicalJson({ method: request.method, route, params: request.params ?? {}, query: request.query ?? {}, body: request.body ?? null }));
    const updateId = `idem-${sha256Hex(`${scope}\n${header}`).slice(0, 40)}`;
    const inserted = await app.db.insert(idempotencyKeys)
      .values({ scope, key: header, fingerprint, method: request.method, route, updateId })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (inserted.length === 0) {
      const [known] = await app.db.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, header)));
      if (known && known.fingerprint !== fingerprint) {
        throw reused(`Idempotency-Key ${header} was used for another request (${known.method} ${known.route}); nothing was done`);
      }
      if (known?.responseStatus != null) {
        request.idempotency = { scope, key: header, updateId, replayed: true };
        return reply
          .header('idempotent-replayed', 'true')
          .status(known.responseStatus)
          .type(known.responseType ?? 'application/json; charset=utf-8')
          .send(known.responseBody);
      }
    }
    request.idempotency = { scope, key: header, updateId };
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const idem = request.idempotency;
    if (!idem || idem.replayed) return payload;
    const status = reply.statusCode;
    const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
    if (status >= 500 || status === 429 || status === 202 || text === undefined || NOT_STORED.test(text)) return payload;
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Stored as the text it was.
    }
    await app.db.update(idempotencyKeys)
      .set({ responseStatus: status, responseBody: body, responseType: String(reply.getHeader('content-type') ?? 'application/json'), answeredAt: new Date() })
      .where(and(eq(idempotencyKeys.scope, idem.scope), eq(idempotencyKeys.key, idem.key), isNull(idempotencyKeys.responseStatus)));
    return payload;
  });
}

/**
 * Runs a workflow update for a request: under the request's idempotency update id (so a retry is
 * applied once), waiting at most `waitMs`. If the case has not answered by then, the caller gets
 * `202 Accepted` with where to read the outcome (GET /v1/actions/{workflowId}/{updateId}).
 */
export async function runUpdate<R, A extends unknown[]>(
  request: FastifyRequest,
  handle: WorkflowHandle,
  update: UpdateDefinition<R, A>,
  args: A,
  /** A natural idempotency key of the action itself (a bank's callback id) wins over the header's. */
  naturalUpdateId?: string,
): Promise<R> {
  const updateId = naturalUpdateId ?? request.idempotency?.updateId ?? randomUUID();
  try {
    const execute = handle.executeUpdate.bind(handle) as (def: UpdateDefinition<R, A>, options: { args: A; updateId: string }) => Promise<R>;
    const outcome = await within(execute(update, { args, updateId }), request.server.config.UPDATE_WAIT_MS);
    if (outcome === undefined) throw pending(handle.workflowId, updateId);
    return outcome.value;
  } catch (err) {
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) throw pending(handle.workflowId, updateId);
    // A case Temporal no longer holds but the permanent record does has ended: no action applies.
    if (err instanceof WorkflowNotFoundError && (await latestRun(request.server.db, handle.workflowId))) {
      throw problem('case-closed', `Case ${handle.workflowId} has ended; no action applies to it any more`);
    }
    throw err;
  }
}

/**
 * A bounded wait: the promise's value (wrapped, so any value counts), or undefined once `waitMs`
 * has passed. The work goes on; the caller answers 202 and says where to read the outcome.
 */
export async function within<T>(promise: Promise<T>, waitMs: number): Promise<{ value: T } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), waitMs);
  });
  try {
    return await Promise.race([promise.then((value) => ({ value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Thrown by `runUpdate` when the bounded wait ran out: answered 202 by the error handler. */
export class UpdatePending extends Error {
  constructor(readonly workflowId: string, readonly updateId: string) {
    super(`The case has not answered within the wait; read the outcome at /v1/actions/${encodeURIComponent(workflowId)}/${encodeURIComponent(updateId)}`);
  }
}
const pending = (workflowId: string, updateId: string) => new UpdatePending(workflowId, updateId);
