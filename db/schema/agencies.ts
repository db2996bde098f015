import { pgEnum, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const agencyKind = pgEnum('agency_kind', ['ministry', 'sector', 'province', 'government-office']);

/** Reference table of agencies (bộ, ngành, địa phương) that act on the Portal; codes are stable ids. */
export const agencies = pgTable('agencies', {
  code: text().primaryKey(),
  name: text().notNull(),
  nameVi: text().notNull(),
  kind: agencyKind().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
