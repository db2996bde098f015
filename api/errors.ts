import createHttpError, { isHttpError, type HttpError } from 'http-errors';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import {
  isGrpcServiceError,
  QueryNotRegisteredError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { Duplex } from 'node:stream';
import { UpdatePending } from './idempotency.js';
import { isDataException, isDatabaseUnavailable, sqlStateOf } from '../db/errors.js';
import { MAX_ID_LENGTH } from './schemas.js';

/**
 * The one error body of the API (RFC 9457 problem details), for every 4xx and 5xx:
 * `type` is a stable URN per kind of problem, `title` its English name, `detail` says what
 * happened in this request, `errors[]` lists field-level issues.
 */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof problemSchema>;

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Problem kinds with their HTTP status: the `type` URN is `urn:dvcqg:problem:<kind>`. */
const kinds = {
  'validation': 400,
  'malformed-json': 400,
  /** Node's HTTP parser could not read the request (bad request line, bad framing). */
  'malformed-http': 400,
  'unauthenticated': 401,
  'forbidden': 403,
  'wrong-role': 403,
  'wrong-scope': 403,
  'not-found': 404,
  'conflict': 409,
  'already-exists': 409,
  'invalid-transition': 409,
  /** Another action of the same case is under way: retry after `Retry-After` seconds. */
  'busy': 409,
  /** The case has ended: no action applies to it any more. */
  'case-closed': 409,
  /** The client did not send a whole request in time (Node's `requestTimeout`). */
  'request-timeout': 408,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  'unprocessable': 422,
  'refused': 422,
  /** Too many requests from one token or address: retry after `Retry-After`. */
  'rate-limited': 429,
  /** The request line and headers exceed Node's header limit (16 KiB; a long URL counts). */
  'headers-too-large': 431,
  'unavailable': 503,
  'internal': 500,
} as const;
export type ProblemKind = keyof typeof kinds;

/** Raise a problem from anywhere in the API: `throw problem('wrong-scope', 'agency BTP …')`. */
export function problem(kind: ProblemKind, detail: string, errors?: Problem['errors']): HttpError {
  return createHttpError(kinds[kind], detail, { problemKind: kind, problemErrors: errors, expose: true });
}

const typeOf = (kind: string) => `urn:dvcqg:problem:${kind}`;

function send(reply: FastifyReply, request: FastifyRequest, status: number, kind: string, detail: string, errors?: Problem['errors']) {
  const body: Problem = {
    type: typeOf(kind),
    title: titles[status] ?? (status >= 500 ? 'Server Error' : 'Client Error'),
    status,
    detail,
    instance: request.url,
    requestId: request.id,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
  // RFC 6750 §3: every 401 names the scheme; transient refusals say when to try again.
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="dvcqg"');
  if (kind === 'busy') reply.header('retry-after', '1');
  if (kind === 'unavailable') reply.header('retry-after', String(UNAVAILABLE_RETRY_AFTER_S));
  return reply.status(status).type('application/problem+json').send(body);
}

/** Seconds a client should wait before retrying while Temporal or PostgreSQL is unreachable. */
const UNAVAILABLE_RETRY_AFTER_S = 5;
/** gRPC status UNAVAILABLE: the Temporal frontend cannot be reached. */
const GRPC_UNAVAILABLE = 14;
/** gRPC status DEADLINE_EXCEEDED: Temporal (or the case's worker, for a query) did not answer within the API's bound. */
const GRPC_DEADLINE_EXCEEDED = 4;

/**
 * Rejections raised by workflow update validators and handlers. Workflows throw
 * `ApplicationFailure.create({ type: 'InvalidTransition' | 'Busy' | 'Forbidden' | 'NotFound' | 'Refused', message })`;
 * the type picks the HTTP status.
 */
const failureKinds: Record<string, ProblemKind> = {
  InvalidTransition: 'invalid-transition',
  Busy: 'busy',
  Forbidden: 'wrong-scope',
  NotFound: 'not-found',
  Refused: 'refused',
  Validation: 'validation',
};

function fromTemporal(err: unknown): { kind: ProblemKind; detail: string } | undefined {
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return { kind: 'already-exists', detail: `A case with id ${err.workflowId} already exists` };
  }
  if (err instanceof WorkflowNotFoundError) {
    // An update or signal sent to a case that has ended: the server answers NOT_FOUND "workflow execution already completed".
    if (/already completed/i.test(err.message)) return { kind: 'case-closed', detail: `Case ${err.workflowId} has ended; no action applies to it any more` };
    return { kind: 'not-found', detail: `No case with id ${err.workflowId ?? 'unknown'}` };
  }
  // The id names a case of another process (POST /v1/payments/dvctt-…/cancel): it has no such query or action.
  if (err instanceof QueryNotRegisteredError) return { kind: 'not-found', detail: 'No case of this kind with that id' };
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure && cause.type && failureKinds[cause.type]) {
      return { kind: failureKinds[cause.type] as ProblemKind, detail: cause.message };
    }
    if (cause instanceof ApplicationFailure && cause.message.startsWith('No registered handler for update')) {
      return { kind: 'not-found', detail: 'No case of this kind with that id' };
    }
    // Anything else (an activity timeout, a bug in a handler) is the server's fault, not the caller's.
    return undefined;
  }
  if (err instanceof ApplicationFailure && err.type && failureKinds[err.type]) {
    return { kind: failureKinds[err.type] as ProblemKind, detail: err.message };
  }
  return undefined;
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) =>
    send(reply, request, 404, 'not-found', `No route ${request.method} ${request.url.split('?')[0]}`),
  );

  app.setErrorHandler((err: FastifyError | Error, request, reply) => {
    if (err instanceof UpdatePending) {
      // The bounded wait ran out: not an error, the action is under way (or queued for the worker).
      const location = `/v1/actions/${encodeURIComponent(err.workflowId)}/${encodeURIComponent(err.updateId)}`;
      return reply.status(202).header('location', location).header('retry-after', '2')
        .send({ status: 'pending', workflowId: err.workflowId, updateId: err.updateId, outcome: location, detail: err.message });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const errors = err.validation.map((v) => ({
        path: `${err.validationContext ?? 'request'}${v.instancePath ? v.instancePath.replaceAll('/', '.') : ''}`,
        message: v.message ?? 'invalid',
      }));
      return send(reply, request, 400, 'validation', `Invalid request ${err.validationContext ?? 'input'}: see errors[]`, errors);
    }
    if (isResponseSerializationError(err)) {
      request.log.error({ err, issues: err.cause.issues }, 'response does not match its schema');
      return send(reply, request, 500, 'internal', 'The server could not produce a valid response');
    }
    if (isHttpError(err) && err.expose) {
      const kind = (err as HttpError & { problemKind?: string }).problemKind ?? statusKind(err.status);
      const errors = (err as HttpError & { problemErrors?: Problem['errors'] }).problemErrors;
      if (err.status >= 500) request.log.error({ err }, 'request failed');
      return send(reply, request, err.status, kind, err.message, errors);
    }
    const temporal = fromTemporal(err);
    if (temporal) return send(reply, request, kinds[temporal.kind], temporal.kind, temporal.detail);

    if (isDatabaseUnavailable(err) || isTemporalUnavailable(err)) {
      request.log.warn({ err }, 'a dependency is unreachable');
      return send(reply, request, 503, 'unavailable', 'A service this request needs is unreachable; retry after the Retry-After delay');
    }
    if (isDataException(err)) {
      // PostgreSQL refused a value (SQLSTATE class 22): the request's fault. Its parameters are neither logged nor echoed.
      request.log.warn({ sqlState: sqlStateOf(err) }, 'PostgreSQL refused a value of the request');
      return send(reply, request, 400, 'validation', 'A value of the request is out of range or cannot be stored');
    }

    const fastifyError = err as FastifyError;
    const status = fastifyError.statusCode ?? 500;
    if (fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (status === 400 && err instanceof SyntaxError)) {
      return send(reply, request, 400, 'malformed-json', 'The request body is not valid JSON');
    }
    if (status >= 400 && status < 500) {
      return send(reply, request, status, statusKind(status), err.message);
    }
    // 5xx: log everything, reveal nothing internal.
    request.log.error({ err }, 'request failed');
    return send(reply, request, status, status === 503 ? 'unavailable' : 'internal', 'An internal error occurred; it has been logged with the request id');
  });
}

/** Temporal cannot be reached: gRPC UNAVAILABLE, as thrown or as the cause of the client's `ServiceError`. */
function isTemporalUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (isGrpcServiceError(e) && (e.code === GRPC_UNAVAILABLE || e.code === GRPC_DEADLINE_EXCEEDED)) return true;
  }
  return false;
}

/**
 * Errors the router raises before any route runs (Fastify's `frameworkErrors`): a path segment
 * longer than the router accepts, or one that is not valid percent-encoding.
 */
export function frameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  // No route matched, so no route hook (the one that echoes the request id) runs.
  reply.header('x-request-id', request.id);
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return send(reply, request, 400, 'validation', `A path segment is longer than ${MAX_ID_LENGTH} characters`, [{ path: 'params', message: `at most ${MAX_ID_LENGTH} characters` }]);
  }
  return send(reply, request, 400, 'validation', 'The URL is not valid (malformed percent-encoding)', [{ path: 'url', message: err.message }]);
}

/**
 * Fastify's `clientErrorHandler`: Node's HTTP parser refused the request before Fastify saw it
 * (no route, no request object), so the answer is written on the socket, in the problem shape.
 */
export function clientError(this: FastifyInstance, err: Error & { code?: string }, socket: Duplex): void {
  // The peer is gone: nothing to answer (https://nodejs.org/api/http.html#event-clienterror).
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [kind, detail]: [ProblemKind, string] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? ['request-timeout', 'The request was not received in time']
      : err.code === 'HPE_HEADER_OVERFLOW' ? ['headers-too-large', 'The request line and headers exceed 16 KiB (a long query string counts)']
        : ['malformed-http', 'The request is not valid HTTP'];
  const status = kinds[kind];
  this.log.debug({ code: err.code, status }, 'the HTTP parser refused a request');
  if (socket.writable) {
    const body = JSON.stringify({ type: typeOf(kind), title: titles[status]!, status, detail } satisfies Problem);
    socket.write(`HTTP/1.1 ${status} ${titles[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

function statusKind(status: number): string {
  const found = Object.entries(kinds).find(([, s]) => s === status);
  return found ? found[0] : 'error';
}
