import { WorkingCalendar, type DeadlineResult, type DeadlineUnit } from '../domain/calendar/index.js';
import type { Database } from '../db/client.js';
import { loadCalendarVersion } from '../db/queries/calendar.js';
import { upsertSlaClock } from '../db/queries/sla.js';
import type { SlaClock } from '../workflows/sla.definitions.js';

/** Working calendars by version: versions are immutable, so a cached one never goes stale. */
export function createCalendarCache(db: Database) {
  const byVersion = new Map<number, WorkingCalendar>();
  return {
    async get(version?: number): Promise<WorkingCalendar> {
      if (version !== undefined && byVersion.has(version)) return byVersion.get(version) as WorkingCalendar;
      const row = await loadCalendarVersion(db, version);
      if (!row) throw new Error(version === undefined ? 'no calendar version exists (run the migrator)' : `calendar version ${version} not found`);
      let calendar = byVersion.get(row.version);
      if (!calendar) {
        calendar = new WorkingCalendar(row);
        byVersion.set(row.version, calendar);
      }
      return calendar;
    },
  };
}
export type CalendarCache = ReturnType<typeof createCalendarCache>;

export interface ComputeDeadlineInput {
  from: string;
  amount: number;
  unit: DeadlineUnit;
  /** Recorded with the input in history, so the event says which clock it is for. */
  clock: string;
  article: string;
  owner: string;
}

export function createSlaActivities(db: Database, calendars: CalendarCache) {
  return {
    /** Pure computation on the current calendar version; the result (with its explanation) lands in history. */
    async computeDeadline(input: ComputeDeadlineInput): Promise<DeadlineResult> {
      const calendar = await calendars.get();
      return calendar.computeDeadline({ from: input.from, amount: input.amount, unit: input.unit });
    },

    /** Idempotent: one row per (workflow, clock), replaced only by a newer revision. */
    async projectSlaClock(input: { workflowId: string; process: string; caseAgency: string; stage: string; clock: SlaClock }): Promise<void> {
      await upsertSlaClock(db, input);
    },
  };
}
