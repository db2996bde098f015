import { buildCalendarYear, type CalendarYear } from './calendar-year.js';
import {
  assertYear,
  dateOfEpochDay,
  epochDay,
  epochDayOf,
  FIRST_DAY,
  formatInstant,
  LAST_DAY,
  localEpochDay,
  localMidnightOf,
  MAX_YEAR,
  MIN_YEAR,
  parseDate,
  parseInstantMs,
} from './dates.js';
import { summarize } from './explain.js';
import type {
  CalendarData,
  CalendarOverride,
  DayInfo,
  Deadline,
  DeadlineInput,
  DeadlineResult,
  DeadlineUnit,
  WorkingHoursWindow,
} from './types.js';
import { DEADLINE_UNITS } from './types.js';

export const DEFAULT_WORKING_HOURS: readonly WorkingHoursWindow[] = Object.freeze([
  { start: '08:00', end: '12:00' },
  { start: '13:00', end: '17:00' },
]);

export const MAX_LIST_DAYS = 1000;

const HOUR_MS = 3_600_000;
const PAST_RANGE = `deadline runs past the supported calendar (${MAX_YEAR}-12-31)`;

export const DEADLINE_RULES: Readonly<Record<DeadlineUnit, string>> = Object.freeze({
  workingDays:
    'Civil Code 2015 Art 147.3, 148.1, 148.6: N working days, counted from the day after the event day; ' +
    'ends at the end (24:00) of the N-th working day after the event day',
  calendarDays:
    'Civil Code 2015 Art 147.3, 148.1, 148.5-6: N calendar days, counted from the day after the event day; ' +
    'ends at the end of the N-th day, or at the end of the next working day if that day is a rest day',
  workingHours:
    'Civil Code 2015 Art 147.1: counted from the event instant within working hours on working days ' +
    '(project rule, default 08:00-12:00 and 13:00-17:00); ends when the N-th working hour is used up',
  settlementDay:
    'Regulation Art 33.4a: T+N, T = local day of the debit; ends at the end of the N-th interbank working day ' +
    'after T (interbank days = this working-day calendar); a debit on a rest day keeps that day as T (project rule)',
  hours:
    'Civil Code 2015 Art 147.1: N hours counted from the event instant, every hour of every day (rest days included); ' +
    'ends when the N-th hour has passed',
});

/** Year - MIN_YEAR of every supported day (by days since FIRST_DAY): finding a day's year is one read. */
const YEAR_OF_DAY = new Uint8Array(LAST_DAY - FIRST_DAY + 1);
for (let year = MIN_YEAR; year <= MAX_YEAR; year++) {
  YEAR_OF_DAY.fill(year - MIN_YEAR, epochDayOf(year, 1, 1) - FIRST_DAY, epochDayOf(year + 1, 1, 1) - FIRST_DAY);
}

/** A working-hours window in milliseconds after local midnight, half-open [startMs, endMs). */
interface Window {
  startMs: number;
  endMs: number;
}

/** Where a count starts and ends, as local days (days since 1970-01-01): enough to format or explain it. */
interface Located {
  eventMs: number;
  eventDay: number;
  /** First day counted. */
  startDay: number;
  dueDay: number;
  dueMs: number;
}

/**
 * Working-day calendar of Vietnamese state agencies for 1990-2100 (Mon-Fri, minus holidays and
 * official days off, plus make-up working days; see calendar-year.ts). Pure and deterministic:
 * everything comes from the constructor data. Each year is built on first use with an index of
 * its working days, so a deadline is a few array reads (`computeDue`); the explanation walks the
 * days only when asked for (`computeDeadline`).
 */
export class WorkingCalendar {
  readonly version: number;
  private readonly overrides = new Map<string, CalendarOverride>();
  private readonly officialYears: ReadonlySet<number>;
  private readonly windows: readonly Window[];
  /** Working milliseconds of a working day (every working day has the same windows). */
  private readonly workingDayMs: number;
  /** Built years, index = year - MIN_YEAR. */
  private readonly years: (CalendarYear | undefined)[] = [];

  constructor(data: CalendarData) {
    if (!Number.isSafeInteger(data.version)) throw new RangeError(`invalid calendar version ${data.version}`);
    this.version = data.version;
    for (const o of data.overrides) {
      parseDate(o.date);
      if (o.kind !== 'dayOff' && o.kind !== 'workingDay') throw new RangeError(`invalid override kind '${o.kind}'`);
      if (this.overrides.has(o.date)) throw new RangeError(`duplicate override for ${o.date}`);
      this.overrides.set(o.date, { ...o });
    }
    const officialYears = data.officialYears ?? [];
    officialYears.forEach(assertYear);
    this.officialYears = new Set(officialYears);
    this.windows = parseWindows(data.workingHours ?? DEFAULT_WORKING_HOURS);
    this.workingDayMs = this.windows.reduce((sum, w) => sum + w.endMs - w.startMs, 0);
  }

  day(date: string): DayInfo {
    const d = parseDate(date);
    return this.yearOf(d.year).days[d.ordinal - 1]!;
  }

  isWorkingDay(date: string): boolean {
    return this.day(date).working;
  }

  /** Inclusive range of local dates, at most MAX_LIST_DAYS days. */
  listDays(from: string, to: string): DayInfo[] {
    const count = parseDate(to).diff(parseDate(from), 'days').days + 1;
    if (count < 1 || count > MAX_LIST_DAYS) {
      throw new RangeError(`listDays needs 1..${MAX_LIST_DAYS} days, got ${count} (${from}..${to})`);
    }
    const first = epochDay(from);
    return Array.from({ length: count }, (_, i) => this.dayAt(first + i));
  }

  /** The first working day strictly after `date`. */
  nextWorkingDay(date: string): string {
    parseDate(date);
    return this.dayAt(this.workingDayAfter(epochDay(date), 1)).date;
  }

  /** The due instant, rule and calendar version, without the explanation: the fast path. */
  computeDue(input: DeadlineInput): Deadline {
    return this.format(input, this.locate(input));
  }

  /** The deadline with its explanation in English and Vietnamese (the days counted and skipped). */
  computeDeadline(input: DeadlineInput): DeadlineResult {
    const located = this.locate(input);
    const deadline = this.format(input, located);
    return { ...deadline, explanation: this.explain(deadline, located) };
  }

  private locate({ from, amount, unit }: DeadlineInput): Located {
    if (!DEADLINE_UNITS.includes(unit)) throw new RangeError(`unknown deadline unit '${unit}'`);
    if (!Number.isSafeInteger(amount) || amount <= 0) {
      throw new RangeError(`deadline amount must be a positive integer, got ${amount}`);
    }
    const eventMs = parseInstantMs(from);
    const eventDay = localEpochDay(eventMs);
    if (unit === 'workingHours') return this.locateWorkingHours(eventMs, eventDay, amount);
    if (unit === 'hours') {
      const dueMs = eventMs + amount * HOUR_MS;
      return { eventMs, eventDay, startDay: eventDay, dueDay: localEpochDay(dueMs), dueMs };
    }
    let dueDay: number;
    if (unit === 'calendarDays') {
      // Art 148.5: a period ending on a rest day ends with the next working day.
      const last = eventDay + amount;
      dueDay = this.dayIsWorking(last) ? last : this.workingDayAfter(last, 1);
    } else {
      // workingDays and settlementDay (interbank days use the same calendar).
      dueDay = this.workingDayAfter(eventDay, amount);
    }
    const startDay = unit === 'calendarDays' ? eventDay + 1 : this.workingDayAfter(eventDay, 1);
    return { eventMs, eventDay, startDay, dueDay, dueMs: localMidnightOf(dueDay + 1) - 1 };
  }

  private locateWorkingHours(eventMs: number, eventDay: number, hours: number): Located {
    let remaining = hours * HOUR_MS;
    let startDay: number | undefined;
    if (this.dayIsWorking(eventDay)) {
      const midnight = localMidnightOf(eventDay);
      for (const w of this.windows) {
        // Windows are half-open: an instant at a window's end continues at the next window start.
        const begin = Math.max(eventMs - midnight, w.startMs);
        const available = w.endMs - begin;
        if (available <= 0) continue;
        startDay = eventDay;
        if (remaining <= available) return { eventMs, eventDay, startDay, dueDay: eventDay, dueMs: midnight + begin + remaining };
        remaining -= available;
      }
    }
    // Every later working day offers the same hours, so the due day is the k-th working day after.
    const k = Math.ceil(remaining / this.workingDayMs);
    const dueDay = this.workingDayAfter(eventDay, k);
    let rest = remaining - (k - 1) * this.workingDayMs;
    let dueMs = localMidnightOf(dueDay);
    for (const w of this.windows) {
      if (rest <= w.endMs - w.startMs) {
        dueMs += w.startMs + rest;
        break;
      }
      rest -= w.endMs - w.startMs;
    }
    return { eventMs, eventDay, startDay: startDay ?? this.workingDayAfter(eventDay, 1), dueDay, dueMs };
  }

  private format({ from, unit, amount }: DeadlineInput, at: Located): Deadline {
    // A day-unit period ends at 24:00 local of its due day: 23:59:59.999 +07:00, 16:59:59.999Z.
    const endOfDay = this.dayAt(at.dueDay).date;
    const due = unit === 'workingHours' || unit === 'hours' ? formatInstant(at.dueMs) : { utc: `${endOfDay}T16:59:59.999Z`, local: `${endOfDay}T23:59:59.999+07:00` };
    return {
      from,
      unit,
      amount,
      startDate: this.dayAt(at.startDay).date,
      dueAt: due.utc,
      dueLocal: due.local,
      calendarVersion: this.version,
      rule: DEADLINE_RULES[unit],
    };
  }

  /**
   * The days the count went through: counted days (working days from the start, or every day of a
   * calendar-day period) and the rest days passed over on the way to the due day.
   */
  private explain({ unit, amount, dueLocal }: Deadline, at: Located): DeadlineResult['explanation'] {
    const lastCounted = unit === 'calendarDays' ? at.eventDay + amount : at.dueDay;
    // Calendar days skip only the rest days the end rolls over; working hours may skip the event day itself; hours skip nothing.
    const skipFrom = unit === 'calendarDays' ? lastCounted : unit === 'workingHours' ? at.eventDay : unit === 'hours' ? at.dueDay + 1 : at.eventDay + 1;
    const countedDays: string[] = [];
    const skipped: DeadlineResult['explanation']['skipped'] = [];
    for (let day = Math.min(skipFrom, at.startDay); day <= at.dueDay; day++) {
      const d = this.dayAt(day);
      if (unit === 'hours' || (unit === 'calendarDays' ? day <= lastCounted : d.working && day >= at.startDay)) countedDays.push(d.date);
      if (!d.working && day >= skipFrom) skipped.push({ date: d.date, reasons: d.reasons });
    }
    const { summary, summaryVi } = summarize({
      unit,
      amount,
      eventDate: dateOfEpochDay(at.eventDay),
      eventLocal: formatInstant(at.eventMs).local,
      dueLocal,
      dueDate: dateOfEpochDay(at.dueDay),
      countedDays,
      skipped,
    });
    return { summary, summaryVi, skipped, countedDays };
  }

  /** The `n`-th working day strictly after local day `day` (n >= 1), read from the year indexes. */
  private workingDayAfter(day: number, n: number): number {
    let year = this.yearOfDay(day);
    let k = year.before[day - year.firstDay + 1]! + n - 1;
    while (k >= year.working.length) {
      k -= year.working.length;
      year = this.yearOf(year.year + 1);
    }
    return year.working[k]!;
  }

  private dayIsWorking(day: number): boolean {
    const year = this.yearOfDay(day);
    const i = day - year.firstDay;
    return year.before[i + 1]! > year.before[i]!;
  }

  private dayAt(day: number): DayInfo {
    const year = this.yearOfDay(day);
    return year.days[day - year.firstDay]!;
  }

  private yearOfDay(day: number): CalendarYear {
    if (day > LAST_DAY) throw new RangeError(PAST_RANGE);
    return this.yearOf(MIN_YEAR + YEAR_OF_DAY[day - FIRST_DAY]!);
  }

  private yearOf(year: number): CalendarYear {
    if (year > MAX_YEAR) throw new RangeError(PAST_RANGE);
    let built = this.years[year - MIN_YEAR];
    if (!built) {
      built = buildCalendarYear(year, this.overrides, this.officialYears.has(year));
      this.years[year - MIN_YEAR] = built;
    }
    return built;
  }
}

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

function parseWindows(windows: readonly WorkingHoursWindow[]): Window[] {
  const toMin = (hhmm: string): number => {
    const m = HH_MM.exec(hhmm);
    if (!m) throw new RangeError(`invalid working-hours time '${hhmm}', expected HH:mm`);
    return Number(m[1]) * 60 + Number(m[2]);
  };
  const parsed = windows.map((w) => ({ startMin: toMin(w.start), endMin: toMin(w.end) }));
  if (parsed.length === 0) throw new RangeError('workingHours needs at least one window');
  parsed.forEach((w, i) => {
    const prevEnd = i === 0 ? 0 : parsed[i - 1]!.endMin;
    if (w.startMin >= w.endMin || w.startMin < prevEnd) {
      throw new RangeError('workingHours windows must be non-empty, ascending and non-overlapping');
    }
  });
  return parsed.map((w) => ({ startMs: w.startMin * 60_000, endMs: w.endMin * 60_000 }));
}
