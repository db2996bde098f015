import { integer, jsonb, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';
import type { CalendarOverride, WorkingHoursWindow } from '../../domain/calendar/index.js';

/**
 * Every change to the official calendar data (yearly schedules, ad-hoc days off, make-up days,
 * working hours) creates a new immutable version holding the complete data, so any past version
 * can be read back exactly and every deadline names the version it was computed with.
 */
export const calendarVersions = pgTable('calendar_versions', {
  version: serial().primaryKey(),
  overrides: jsonb().$type<CalendarOverride[]>().notNull(),
  officialYears: integer().array().notNull(),
  workingHours: jsonb().$type<WorkingHoursWindow[]>().notNull(),
  /** What changed, in words, e.g. 'official schedule 2027 (Thông báo …)'. */
  change: text().notNull(),
  createdBy: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
