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
