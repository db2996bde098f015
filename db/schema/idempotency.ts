import { integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Idempotency-Key of every state-changing request, per caller: the request it was first used for
 * (a canonical fingerprint of method, route, parameters and body) and, once answered, the answer —
 * replayed to a retry with the same key, also after the case closed and Temporal purged it.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    /** Who used the key: role, organisation (agency/bank) and user. */
    scope: text().notNull(),
    key: text().notNull(),
    fingerprint: text().notNull(),
    method: text().notNull(),
    route: text().notNull(),
    /** The Temporal update id derived from scope and key (Temporal dedups the update itself). */
    updateId: text().notNull(),
    /** Null while the first request is in flight (or died): a retry executes it again under the same update id. */
    responseStatus: integer(),
    responseBody: jsonb(),
    responseType: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    answeredAt: timestamp({ withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] })],
);
