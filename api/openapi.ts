/**
 * Completes the generated OpenAPI document with what every route shares, so that each answer the
 * API can give is documented where it is given (checked by the schemathesis suite):
 * - every 4xx/5xx body is a problem document, `application/problem+json` (RFC 9457);
 * - the answers any route may give: 400 (input), 404 (unknown id), 429 (rate limit), 431 (URL and
 *   headers over Node's 16 KiB, answered by the HTTP parser through `clientError`), 503
 *   (a dependency unreachable, with Retry-After); for authenticated routes 401 (with
 *   WWW-Authenticate) and 403; for routes with a body 413 and 415; for state-changing routes 409
 *   (busy, case closed, Idempotency-Key reused) and 202 (the bounded wait ran out);
 * - routes that also render HTML (audit pages) or CSV (report downloads) say so.
 */

type Json = Record<string, unknown>;
type Operation = { responses?: Record<string, Json>; security?: unknown[]; requestBody?: unknown; parameters?: Json[] };

const PROBLEM = 'application/problem+json';
const problemRef = { $ref: '#/components/schemas/Problem' };
const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'string' } } };

const generic: Record<string, { description: string; headers?: Json }> = {
  400: { description: 'Invalid input (problem `validation` or `malformed-json`)' },
  401: { description: 'No or invalid bearer token', headers: { 'WWW-Authenticate': { description: 'Bearer realm', schema: { type: 'string' } } } },
  403: { description: 'Role or scope not allowed' },
  404: { description: 'No such resource or case' },
  409: { description: 'Conflict: busy (Retry-After), case closed, already exists, invalid transition, Idempotency-Key reused', headers: retryAfter },
  413: { description: 'Body too large' },
  415: { description: 'Unsupported content type' },
  422: { description: 'Refused by a rule' },
  429: { description: 'Too many requests', headers: retryAfter },
  431: { description: 'Request line and headers too large (over 16 KiB, a long query string included)' },
  503: { description: 'A dependency is unreachable', headers: retryAfter },
};

const accepted = {
  description: 'Accepted: the case did not answer within the bounded wait; read the outcome at Location',
  headers: { Location: { schema: { type: 'string' } }, ...retryAfter },
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['status', 'workflowId', 'updateId'],
        properties: { status: { const: 'pending' }, workflowId: { type: 'string' }, updateId: { type: 'string' }, outcome: { type: 'string' }, detail: { type: 'string' } },
      },
    },
  },
};

/** Routes whose 200 may also be HTML or CSV (content negotiation / ?format=). */
const ALTERNATE_200: { path: RegExp; type: string }[] = [
  { path: /^\/v1\/audit\/(workflows\/\{id\}\/timeline|supervisor)$/, type: 'text/html' },
  { path: /^\/v1\/supervision\/dashboard$/, type: 'text/html' },
  { path: /^\/v1\/reconciliation\/reports\//, type: 'text/csv' },
];

export function completeOpenApi<T>(document: T): T {
  const doc = document as unknown as { paths?: Record<string, Record<string, Operation>>; security?: unknown[] };
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      if (!op || typeof op !== 'object' || !['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const responses = (op.responses ??= {});
      const secured = !(Array.isArray(op.security) && op.security.length === 0);
      const hasBody = op.requestBody !== undefined || method === 'post' || method === 'put' || method === 'patch';
      const codes = ['400', '404', '429', '431', '503'];
      if (secured) codes.push('401', '403');
      if (hasBody) codes.push('413', '415');
      if (method !== 'get') codes.push('409', '422');
      for (const code of codes) responses[code] ??= { description: generic[code]!.description };
      if (method !== 'get' && !responses['202']) responses['202'] = accepted;
      for (const [code, response] of Object.entries(responses)) {
        if (Number(code) < 400) continue;
        const schema = ((response.content as Record<string, { schema?: unknown }> | undefined)?.['application/json']?.schema) ?? problemRef;
        response.content = { [PROBLEM]: { schema } };
        const extra = generic[code]?.headers;
        if (extra) response.headers = { ...extra, ...(response.headers as Json | undefined) };
      }
      const alternate = ALTERNATE_200.find((a) => a.path.test(path));
      const ok = responses['200'] as { content?: Record<string, unknown> } | undefined;
      if (alternate && ok) ok.content = { ...ok.content, [alternate.type]: { schema: { type: 'string' } } };
    }
  }
  return document;
}
