import type { Executor } from '../client.js';

/**
 * A statement every case start runs, prepared once per database handle: drizzle builds its SQL
 * once instead of per request, and postgres.js keeps it as a named prepared statement per
 * connection, so PostgreSQL parses and plans it once per connection instead of per execution.
 * Values go in through `sql.placeholder`.
 */
export function preparedPer<P>(prepare: (db: Executor) => P): (db: Executor) => P {
  const prepared = new WeakMap<Executor, P>();
  return (db) => {
    let statement = prepared.get(db);
    if (!statement) {
      statement = prepare(db);
      prepared.set(db, statement);
    }
    return statement;
  };
}
