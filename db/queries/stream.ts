import { postgresClientOf, type Database } from '../client.js';

/** A built drizzle select: its SQL text and parameters. */
interface BuiltQuery {
  toSQL(): { sql: string; params: unknown[] };
}

/**
 * Streams the rows of a drizzle select in batches through a PostgreSQL cursor (postgres.js
 * `cursor`), so a download of any size holds one batch in memory, never the whole result.
 * Rows come back as objects keyed by `columns`, which name the selected fields in their order
 * (raw driver values: bigint as text, timestamps as Date).
 */
export async function* streamRows<Row extends Record<string, unknown>>(
  db: Database,
  query: BuiltQuery,
  columns: readonly (keyof Row & string)[],
  batchSize = 1000,
): AsyncGenerator<Row[]> {
  const client = postgresClientOf(db, 'streamRows');
  const { sql: text, params } = query.toSQL();
  const cursor = client.unsafe(text, params as never[]).values().cursor(batchSize) as AsyncIterable<unknown[][]>;
  for await (const batch of cursor) {
    yield batch.map((values) => Object.fromEntries(columns.map((column, i) => [column, values[i]])) as Row);
  }
}
