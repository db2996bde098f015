import createHttpError, { isHttpError, type HttpError } from 'http-errors';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';

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
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Problem kinds with their HTTP status: the `type` URN is `urn:dvcqg:problem:<kind>`. */
const kinds = {
  'validation': 400,
  'malformed-json': 400,
  'unauthenticated': 401,
  'forbidden': 403,
  'wrong-role': 403,
  'wrong-scope': 403,
  'not-found': 404,
  'conflict': 409,
  'already-exists': 409,
  'invalid-transition': 409,
  'unprocessable': 422,
  'refused': 422,
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
  return reply.status(status).type('application/problem+json').send(body);
}

/**
 * Rejections raised by workflow update validators and handlers. Workflows throw
 * `ApplicationFailure.create({ type: 'InvalidTransition' | 'Forbidden' | 'NotFound' | 'Refused', message })`;
 * the type picks the HTTP status.
 */
const failureKinds: Record<string, ProblemKind> = {
  InvalidTransition: 'invalid-transition',
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
    return { kind: 'not-found', detail: `No case with id ${err.workflowId ?? 'unknown'}` };
  }
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure && cause.type && failureKinds[cause.type]) {
      return { kind: failureKinds[cause.type] as ProblemKind, detail: cause.message };
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

function statusKind(status: number): string {
  const found = Object.entries(kinds).find(([, s]) => s === status);
  return found ? found[0] : 'error';
}
