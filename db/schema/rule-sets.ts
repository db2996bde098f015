import { date, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { Period, PeriodId, ValueSet, ValueSetId } from '../../domain/rules/types.js';

/**
 * Rule sets (domain/rules): each row one immutable version of the regulated periods and value sets.
 * A change is a new row (a new id, `based_on` the one it changes); rows are never updated, so the
 * id every case and clock records always reads back the exact values that applied.
 */
export const ruleSets = pgTable(
  'rule_sets',
  {
    id: text().primaryKey(),
    title: text().notNull(),
    titleVi: text().notNull(),
    legalSource: text().notNull(),
    /** First local day new cases start under it; null: not in force (only where VPCP names it). */
    inForceFrom: date({ mode: 'string' }),
    inForceTo: date({ mode: 'string' }),
    basedOn: text(),
    periods: jsonb().$type<Record<PeriodId, Period>>().notNull(),
    values: jsonb().$type<Record<ValueSetId, ValueSet>>().notNull(),
    /** Why this version exists, in words. */
    reason: text().notNull(),
    createdBy: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('rule_sets_in_force_idx').on(t.inForceFrom)],
);
