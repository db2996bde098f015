import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Rows written by the diagnostic workflow behind `/readyz?deep=1`: proof that the whole path
 * HTTP → Temporal → worker → activity → PostgreSQL works. Keyed by workflow id (idempotent).
 */
export const diagnosticProbes = pgTable('diagnostic_probes', {
  workflowId: text().primaryKey(),
  requestedBy: text().notNull(),
  writtenAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
