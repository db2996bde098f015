import { DateTime } from 'luxon';
import {
  assertYear,
  formatInstant,
  isoDate,
  localMidnightMs,
  MAX_YEAR,
  parseDate,
  parseInstant,
} from './dates.js';
import { summarize } from './explain.js';
import { DEFAULT_ONLY_CODES, statutoryHolidays } from './holidays.js';
import type {
  CalendarData,
  CalendarOverride,
  DayInfo,
  DayReason,
  DeadlineInput,
  DeadlineResult,
  DeadlineUnit,
  StatutoryHoliday,
  WorkingHoursWindow,
} from './types.js';
import { DEADLINE_UNITS } from './types.js';

export const DEFAULT_WORKING_HOURS: readonly WorkingHoursWindow[] = Object.freeze([
  { start: '08:00', end: '12:00' },
  { start: '13:00', end: '17:00' },
]);

export const MAX_LIST_DAYS = 1000;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

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
});

const WEEKEND: DayReason = Object.freeze({
  code: 'weekend',
  en: 'Weekly rest day (Saturday/Sunday)',
  vi: 'Ngày nghỉ hằng tuần (thứ Bảy/Chủ nhật)',
  source: 'Labour Code 2019 Art 111; Decision 188/1999/QĐ-TTg (40-hour week in state agencies)',
});

interface Window {
  startMin: number;
  endMin: number;
}

/** What a deadline computation consumed, before formatting. */
interface Span {
  dueMs: number;
  dueDate: string;
  countedDays: string[];
  skipped: { date: string; reasons: DayInfo['reasons'] }[];
}

/**
 * Working-day calendar of Vietnamese state agencies for 1990-2100: Mon-Fri, minus Art 112 public
 * holidays, Art 111.3 compensation days and official days off, plus official make-up working days.
 * Pure and deterministic: everything comes from the constructor data.
 */
export class WorkingCalendar {
  readonly version: number;
  private readonly overrides = new Map<string, CalendarOverride>();
  private readonly officialYears: ReadonlySet<number>;
  private readonly windows: readonly Window[];
  /** Per-year day tables, index = ordinal day - 1; built lazily, then immutable. */
  private readonly years = new Map<number, readonly DayInfo[]>();

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
  }

  day(date: string): DayInfo {
    const d = parseDate(date);
    return this.yearTable(d.year)[d.ordinal - 1]!;
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
    const out: DayInfo[] = [];
    for (const d of this.daysFrom(from)) {
      out.push(d);
      if (out.length === count) break;
    }
    return out;
  }

  /** The first working day strictly after `date`. */
  nextWorkingDay(date: string): string {
    return scan(this.daysAfter(date), (d) => (d.working ? d.date : undefined));
  }

  computeDeadline(input: DeadlineInput): DeadlineResult {
    const { from, amount, unit } = input;
    if (!DEADLINE_UNITS.includes(unit)) throw new RangeError(`unknown deadline unit '${unit}'`);
    if (!Number.isSafeInteger(amount) || amount <= 0) {
      throw new RangeError(`deadline amount must be a positive integer, got ${amount}`);
    }
    const event = parseInstant(from);
    const eventDate = isoDate(event);
    const span =
      unit === 'workingHours'
        ? this.countWorkingHours(event, amount)
        : unit === 'calendarDays'
          ? this.countCalendarDays(eventDate, amount)
          : this.countWorkingDays(eventDate, amount);
    const due = formatInstant(span.dueMs);
    const { summary, summaryVi } = summarize({
      unit,
      amount,
      eventDate,
      eventLocal: event.toISO()!,
      dueLocal: due.local,
      dueDate: span.dueDate,
      countedDays: span.countedDays,
      skipped: span.skipped,
    });
    return {
      from,
      unit,
      amount,
      startDate: span.countedDays[0]!,
      dueAt: due.utc,
      dueLocal: due.local,
      calendarVersion: this.version,
      rule: DEADLINE_RULES[unit],
      explanation: { summary, summaryVi, skipped: span.skipped, countedDays: span.countedDays },
    };
  }

  /** workingDays and settlementDay (interbank days use the same calendar). */
  private countWorkingDays(eventDate: string, n: number): Span {
    const countedDays: string[] = [];
    const skipped: Span['skipped'] = [];
    return scan(this.daysAfter(eventDate), (d) => {
      if (!d.working) skipped.push({ date: d.date, reasons: d.reasons });
      else if (countedDays.push(d.date) === n) return { dueMs: endOfDayMs(d.date), dueDate: d.date, countedDays, skipped };
      return undefined;
    });
  }

  private countCalendarDays(eventDate: string, n: number): Span {
    const countedDays: string[] = [];
    const skipped: Span['skipped'] = [];
    return scan(this.daysAfter(eventDate), (d) => {
      if (countedDays.length < n) countedDays.push(d.date);
      if (countedDays.length < n) return undefined;
      // Art 148.5: a period ending on a rest day ends with the next working day.
      if (d.working) return { dueMs: endOfDayMs(d.date), dueDate: d.date, countedDays, skipped };
      skipped.push({ date: d.date, reasons: d.reasons });
      return undefined;
    });
  }

  private countWorkingHours(event: DateTime, n: number): Span {
    const countedDays: string[] = [];
    const skipped: Span['skipped'] = [];
    let cursor = event.toMillis();
    let remaining = n * HOUR_MS;
    return scan(this.daysFrom(isoDate(event)), (d) => {
      if (!d.working) {
        skipped.push({ date: d.date, reasons: d.reasons });
        return undefined;
      }
      const midnight = localMidnightMs(d.date);
      for (const w of this.windows) {
        // Windows are half-open: an instant at a window's end continues at the next window start.
        const begin = Math.max(cursor, midnight + w.startMin * 60_000);
        const available = midnight + w.endMin * 60_000 - begin;
        if (available <= 0) continue;
        if (countedDays[countedDays.length - 1] !== d.date) countedDays.push(d.date);
        if (remaining <= available) return { dueMs: begin + remaining, dueDate: d.date, countedDays, skipped };
        remaining -= available;
        cursor = begin + available;
      }
      return undefined;
    });
  }

  /** Days from `date` (inclusive) onwards; iteration past 31 Dec MAX_YEAR throws a RangeError. */
  private *daysFrom(date: string): Generator<DayInfo, never, undefined> {
    const start = parseDate(date);
    let index = start.ordinal - 1;
    for (let year = start.year; year <= MAX_YEAR; year++, index = 0) {
      const table = this.yearTable(year);
      for (; index < table.length; index++) yield table[index]!;
    }
    throw new RangeError(`deadline runs past the supported calendar (${MAX_YEAR}-12-31)`);
  }

  private daysAfter(date: string): Generator<DayInfo, never, undefined> {
    const next = parseDate(date).plus({ days: 1 });
    if (next.year > MAX_YEAR) throw new RangeError(`deadline runs past the supported calendar (${MAX_YEAR}-12-31)`);
    return this.daysFrom(isoDate(next));
  }

  private yearTable(year: number): readonly DayInfo[] {
    let table = this.years.get(year);
    if (!table) {
      table = Object.freeze(this.buildYear(year));
      this.years.set(year, table);
    }
    return table;
  }

  private buildYear(year: number): DayInfo[] {
    // In an official year the Government's schedule (overrides) replaces the defaults (Art 112.3).
    const official = this.officialYears.has(year);
    const holidays = statutoryHolidays(year).filter((h) => !official || !DEFAULT_ONLY_CODES.has(h.code));
    const statutory = new Map<string, DayReason>();
    for (const h of holidays) statutory.set(h.date, reasonOf(h));
    if (!official) for (const [date, reason] of compensationDays(holidays)) statutory.set(date, reason);

    const days: DayInfo[] = [];
    for (let d = DateTime.utc(year, 1, 1); d.year === year; d = d.plus({ days: 1 })) {
      const date = isoDate(d);
      const override = this.overrides.get(date);
      const holiday = statutory.get(date);
      const weekend = d.weekday >= 6;
      const reasons: DayReason[] = [];
      if (override) reasons.push(overrideReason(override));
      if (holiday) reasons.push(holiday);
      if (weekend) reasons.push(WEEKEND);
      const working = override ? override.kind === 'workingDay' : !holiday && !weekend;
      days.push(Object.freeze({ date, weekday: d.weekday, working, reasons: Object.freeze(reasons) as DayReason[] }));
    }
    return days;
  }
}

/** Feeds days to `visit` until it returns a result (the day source throws past its range). */
function scan<T>(days: Iterator<DayInfo, never, undefined>, visit: (d: DayInfo) => T | undefined): T {
  for (;;) {
    const result = visit(days.next().value);
    if (result !== undefined) return result;
  }
}

function reasonOf(h: StatutoryHoliday): DayReason {
  return Object.freeze({ code: h.code, en: h.en, vi: h.vi, source: h.source });
}

function overrideReason(o: CalendarOverride): DayReason {
  return Object.freeze({
    code: o.kind === 'dayOff' ? 'officialDayOff' : 'makeUpWorkingDay',
    en: o.name,
    vi: o.nameVi,
    source: o.source,
  });
}

/**
 * Labour Code 2019 Art 111.3: a holiday on a weekly rest day gives a day off on the next working
 * day. Holidays are taken in date order, so two weekend days of Tết yield the two weekdays after
 * the span. Computed on the statutory calendar only (overrides are applied afterwards).
 */
function compensationDays(holidays: readonly StatutoryHoliday[]): Map<string, DayReason> {
  const holidayDates = new Set(holidays.map((h) => h.date));
  const result = new Map<string, DayReason>();
  for (const h of holidays) {
    let d = parseDate(h.date);
    if (d.weekday < 6) continue;
    do d = d.plus({ days: 1 });
    while (d.weekday >= 6 || holidayDates.has(isoDate(d)) || result.has(isoDate(d)));
    result.set(
      isoDate(d),
      Object.freeze({
        code: 'compensation',
        en: `Compensation day for ${h.en} on ${h.date} (a weekly rest day)`,
        vi: `Nghỉ bù cho ${h.vi} ngày ${h.date} (trùng ngày nghỉ hằng tuần)`,
        source: 'Labour Code 2019 Art 111.3',
      }),
    );
  }
  return result;
}

function endOfDayMs(date: string): number {
  return localMidnightMs(date) + DAY_MS - 1;
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
  return parsed;
}
