import { stdSerializers, type LoggerOptions, type SerializedError } from 'pino';

/**
 * What never reaches a log line (personal data, Decree 13/2023/NĐ-CP; credentials): the pino
 * options shared by the API's Fastify logger and the worker's logger.
 *
 * - Citizens' contact data wherever it sits in a logged object, up to three levels deep: a
 *   feedback sender as a whole (with the address), any `phone`, `email`, `name`, and a
 *   notification's `recipient` (an SMS number or e-mail address). Not plain `address`: that is
 *   how the worker names the Temporal server it connects to.
 * - Authorization and cookie headers.
 * - Database errors without the query's values (see `withoutValues`).
 */
const PERSONAL_FIELDS = ['sender', 'phone', 'email', 'name', 'recipient', 'senderName', 'senderAddress', 'senderPhone', 'senderEmail'];
const CREDENTIAL_HEADERS = ['authorization', 'cookie'];

export const REDACTED = '[redacted]';

export const REDACT_PATHS = [
  ...PERSONAL_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
  ...CREDENTIAL_HEADERS.flatMap((h) => [`headers.${h}`, `*.headers.${h}`]),
];

/** Fields of an error that carry the values of a query: drizzle's `params`, postgres.js's `parameters`/`args`, PostgreSQL's `detail` ("Key (id)=(…)"). */
const VALUE_FIELDS = ['params', 'parameters', 'args', 'detail'];

/** PostgreSQL's "data exception" messages quote the refused value: `invalid input syntax for type integer: "…"`. */
const isDataException = (err: Error) => err.name === 'PostgresError' && String((err as { code?: unknown }).code).startsWith('22');

/**
 * A copy of `err` (and its causes) without the values it was thrown with. drizzle's
 * `DrizzleQueryError` says "Failed query: <sql>\nparams: <values>": the SQL stays, the values go.
 */
function withoutValues(err: Error, depth = 0): Error {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(err) as object) as Error, err) as Error & Record<string, unknown>;
  const params = (err as { params?: unknown }).params;
  let message = params === undefined ? err.message : err.message.replace(`\nparams: ${String(params)}`, `\nparams: ${REDACTED}`);
  if (isDataException(err)) message = message.replace(/"(?:[^"]|"")*"/g, `"${REDACTED}"`);
  Object.defineProperty(copy, 'message', { value: message, enumerable: false, writable: true });
  Object.defineProperty(copy, 'stack', { value: err.stack?.replace(err.message, message), enumerable: false, writable: true });
  for (const field of VALUE_FIELDS) delete copy[field];
  if (err.cause instanceof Error && depth < 5) Object.defineProperty(copy, 'cause', { value: withoutValues(err.cause, depth + 1), enumerable: false, writable: true });
  return copy;
}

/** pino's error serializer, applied to the error stripped of query values. */
export const serializeError = (err: Error): SerializedError => stdSerializers.err(err instanceof Error ? withoutValues(err) : err);

/** Query parameters that carry a credential (audit view tokens, `?token=`): masked where a URL is logged. */
export const redactUrl = (url: string): string => url.replace(/([?&]token=)[^&#]*/gi, `$1${REDACTED}`);

/** Redaction and error serializer for every pino logger of the system. */
export const privateLogOptions = {
  redact: { paths: REDACT_PATHS, censor: REDACTED },
  serializers: { err: serializeError },
} satisfies LoggerOptions;
