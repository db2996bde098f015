import { sql, type Column, type SQL } from 'drizzle-orm';

/**
 * Keyset paging (issue 18.3): the rows of a list after the last one of the previous page, as one row
 * comparison over its sort key and id — `(a, b, c) < (x, y, z)` when every column sorts descending
 * (newest first), `>` when every column sorts ascending — which PostgreSQL answers as one range of
 * an index on those columns. Values are cast to their column's type (`casts`, e.g. `timestamptz`),
 * so that the comparison never depends on how a driver types a parameter.
 */
export function keysetAfter(direction: 'asc' | 'desc', columns: Column[], values: readonly unknown[], casts: readonly (string | undefined)[] = []): SQL {
  const parameters = values.map((v, i) => (casts[i] ? sql`${v}::${sql.raw(casts[i])}` : sql`${v}`));
  return sql`(${sql.join(columns, sql`, `)}) ${sql.raw(direction === 'desc' ? '<' : '>')} (${sql.join(parameters, sql`, `)})`;
}

/**
 * A timestamp column as an ISO instant to the microsecond, for a cursor: a column PostgreSQL fills
 * (`defaultNow()`) carries microseconds, which a JavaScript Date drops, and a cursor cut to the
 * millisecond would skip the rows between the cut and the true value. Columns written from
 * JavaScript instants (milliseconds) need none.
 */
export const exactInstant = (column: Column) =>
  sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
