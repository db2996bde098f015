import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema/index.js';

export type Database = PostgresJsDatabase<typeof schema>;
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
/** A database handle or an open transaction: query functions accept either. */
export type Executor = Database | Transaction;

export interface DatabaseHandle {
  db: Database;
  sql: postgres.Sql;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  max?: number;
  /** Sees every statement sent with its parameters (tests: the query-plan check). */
  debug?: (query: string, parameters: unknown[]) => void;
}

export function createDatabase(url: string, options: DatabaseOptions = {}): DatabaseHandle {
  const { debug } = options;
  const sql = postgres(url, {
    max: options.max ?? 10,
    ...(debug ? { debug: (_connection: number, query: string, parameters: unknown[]) => debug(query, parameters) } : {}),
    onnotice: () => undefined,
    // Timestamps are stored as timestamptz and always handled as UTC instants.
    connection: { TimeZone: 'UTC' },
    // Reconnect at most a second apart: postgres.js's default backoff (3^n / 100 s, up to 20 s, the
    // count shared by the pool) leaves the API and the activities waiting up to 20 s after a
    // restarted PostgreSQL is back (measured by the chaos suite).
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
  });
  const db = drizzleOver(sql);
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

/** The drizzle handle over a postgres.js client or reserved connection: the schema and casing of every handle. */
function drizzleOver(sql: postgres.Sql): Database {
  return drizzle(sql, { schema, casing: 'snake_case' });
}

/** The postgres.js client under a handle made by `createDatabase` (streams and reserved connections need it). */
export function postgresClientOf(db: Database, use: string): postgres.Sql {
  const client = (db as Database & { $client?: postgres.Sql }).$client;
  if (!client) throw new Error(`${use} needs a database made by createDatabase (postgres.js client)`);
  return client;
}

/**
 * Runs `use` on one connection set aside from `db`'s pool (what a session-level setting or lock
 * needs: every statement in the same session), as a drizzle handle and as postgres.js; the
 * connection goes back to the pool afterwards. Drizzle sets its date parsers on `options`, which a
 * reserved connection lacks but shares with its pool.
 */
export async function withReservedConnection<T>(db: Database, use: (reserved: { db: Database; sql: postgres.ReservedSql }) => Promise<T>): Promise<T> {
  const client = postgresClientOf(db, 'withReservedConnection');
  const reserved = await client.reserve();
  try {
    return await use({ db: drizzleOver(Object.assign(reserved, { options: client.options })), sql: reserved });
  } finally {
    reserved.release();
  }
}
