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
  const db = drizzle(sql, { schema, casing: 'snake_case' });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}
