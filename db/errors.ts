/**
 * Classifies what PostgreSQL (through postgres.js, possibly wrapped by drizzle's
 * `DrizzleQueryError`) threw, so that the API and the activities answer alike: data PostgreSQL
 * refuses is the caller's problem, a server that cannot be reached is a transient one.
 */

/** Socket and postgres.js connection codes: the server is down, restarting or out of reach. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED',
]);
/** SQLSTATEs of a server that is shutting down, starting up or full: 57P01–57P03, 53300. */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The first `code` in the error and its causes (drizzle keeps the driver's error as `cause`). */
function codeOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** The SQLSTATE of a PostgreSQL error, if that is what was thrown. */
export function sqlStateOf(err: unknown): string | undefined {
  const code = codeOf(err);
  return code && SQLSTATE.test(code) ? code : undefined;
}

/** PostgreSQL's own message for an error it raised, without the query or its parameters. */
export function postgresMessageOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name === 'PostgresError') return e.message;
  }
  return undefined;
}

/** Class 22 "data exception": invalid byte sequence (22021), bad text for a type (22P02), out of range (22003, 22008)… */
export const isDataException = (err: unknown): boolean => sqlStateOf(err)?.startsWith('22') ?? false;

/** Data PostgreSQL will refuse however often it is sent: class 22, NOT NULL (23502) and CHECK (23514) violations. */
export const isRefusedData = (err: unknown): boolean => {
  const state = sqlStateOf(err);
  return state !== undefined && (state.startsWith('22') || state === '23502' || state === '23514');
};

/** The database cannot be reached or is not accepting work right now (class 08, shutdown, too many connections). */
export const isDatabaseUnavailable = (err: unknown): boolean => {
  const code = codeOf(err);
  if (!code) return false;
  return CONNECTION_CODES.has(code) || (code.startsWith('08') && SQLSTATE.test(code)) || UNAVAILABLE_STATES.has(code);
};
