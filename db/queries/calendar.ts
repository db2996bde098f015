import { desc, eq, sql } from 'drizzle-orm';
import { DEFAULT_WORKING_HOURS, WorkingCalendar, type CalendarData, type CalendarOverride, type WorkingHoursWindow } from '../../domain/calendar/index.js';
import type { Database, Executor } from '../client.js';
import { calendarVersions } from '../schema/index.js';
import { officialSchedules } from '../seed-data/calendar-schedules.js';

export interface CalendarVersionRow extends Required<CalendarData> {
  change: string;
  createdBy: string;
  createdAt: Date;
}

const columns = {
  version: calendarVersions.version,
  overrides: calendarVersions.overrides,
  officialYears: calendarVersions.officialYears,
  workingHours: calendarVersions.workingHours,
  change: calendarVersions.change,
  createdBy: calendarVersions.createdBy,
  createdAt: calendarVersions.createdAt,
};

/** The given calendar version, or the current (latest) one. */
export async function loadCalendarVersion(db: Executor, version?: number): Promise<CalendarVersionRow | undefined> {
  const query = db.select(columns).from(calendarVersions);
  const [row] = await (version === undefined
    ? query.orderBy(desc(calendarVersions.version)).limit(1)
    : query.where(eq(calendarVersions.version, version)));
  return row;
}

export function listCalendarVersions(db: Executor) {
  return db
    .select({ version: calendarVersions.version, change: calendarVersions.change, createdBy: calendarVersions.createdBy, createdAt: calendarVersions.createdAt })
    .from(calendarVersions)
    .orderBy(desc(calendarVersions.version));
}

export type CalendarChange = (current: Omit<Required<CalendarData>, 'version'>) => Omit<Required<CalendarData>, 'version'>;

/**
 * Applies a change to the current calendar data and stores the result as a new version.
 * Serialized by a transaction-scoped advisory lock, so concurrent edits never lose each other.
 */
export async function createCalendarVersion(db: Database, change: CalendarChange, description: string, createdBy: string): Promise<CalendarVersionRow> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('calendar_versions'))`);
    const current = await loadCalendarVersion(tx);
    const base = current
      ? { overrides: current.overrides, officialYears: current.officialYears, workingHours: current.workingHours }
      : { overrides: [], officialYears: [], workingHours: [...DEFAULT_WORKING_HOURS] };
    const next = change(base);
    const overrides = [...next.overrides].sort((a, b) => a.date.localeCompare(b.date));
    const officialYears = [...new Set(next.officialYears)].sort((a, b) => a - b);
    const [row] = await tx
      .insert(calendarVersions)
      .values({ overrides, officialYears, workingHours: next.workingHours, change: description, createdBy })
      .returning(columns);
    if (!row) throw new Error('calendar version insert returned nothing');
    return row;
  });
}

/** Version 1: the official schedules confirmed from public sources (db/seed-data), if none exists. */
export async function seedCalendar(db: Database): Promise<void> {
  if (await loadCalendarVersion(db)) return;
  const overrides: CalendarOverride[] = officialSchedules.flatMap((y) => y.entries);
  await createCalendarVersion(
    db,
    () => ({ overrides, officialYears: officialSchedules.map((y) => y.year), workingHours: [...DEFAULT_WORKING_HOURS] as WorkingHoursWindow[] }),
    `seed: official schedules ${officialSchedules.map((y) => y.year).join(', ')}`,
    'system',
  );
}

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
