/**
 * The day-by-day deadline engine as it was before the working-day index (issue 18 item 4), kept
 * only as the oracle of the equivalence properties: it walks the days one by one with luxon and
 * builds the explanation on every call. Its holidays, lunar dates and summaries come from the
 * domain (unchanged); the classification of days, the counting and the formatting are its own.
 */
import { DateTime } from 'luxon';
import { isoDate, localMidnightMs, MAX_YEAR, parseDate, parseInstant, VN_ZONE } from '../../../domain/calendar/dates.js';
import { summarize } from '../../../domain/calendar/explain.js';
import { DEFAULT_ONLY_CODES, statutoryHolidays } from '../../../domain/calendar/holidays.js';
import {
  DEADLINE_RULES,
  DEADLINE_UNITS,
  DEFAULT_WORKING_HOURS,
  type CalendarData,
  type CalendarOverride,
  type DayInfo,
  type DayReason,
  type DeadlineInput,
  type DeadlineResult,
  type StatutoryHoliday,
} from '../../../domain/calendar/index.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const PAST_RANGE = `deadline runs past the supported calendar (${MAX_YEAR}-12-31)`;

const WEEKEND: DayReason = Object.freeze({
  code: 'weekend',
  en: 'Weekly rest day (Saturday/Sunday)',
  vi: 'Ngày nghỉ hằng tuần (thứ Bảy/Chủ nhật)',
  source: 'Labour Code 2019 Art 111; Decision 188/1999/QĐ-TTg (40-hour week in state agencies)',
});

interface Span {
  dueMs: number;
  dueDate: string;
  countedDays: string[];
  skipped: { date: string; reasons: DayInfo['reasons'] }[];
}

export class ReferenceCalendar {
  private readonly overrides = new Map<string, CalendarOverride>();
  private readonly officialYears: ReadonlySet<number>;
  private readonly windows: { startMin: number; endMin: number }[];
  private readonly years = new Map<number, readonly DayInfo[]>();

  constructor(private readonly data: CalendarData) {
    for (const o of data.overrides) this.overrides.set(o.date, { ...o });
    this.officialYears = new Set(data.officialYears ?? []);
    const toMin = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
    this.windows = (data.workingHours ?? DEFAULT_WORKING_HOURS).map((w) => ({ startMin: toMin(w.start), endMin: toMin(w.end) }));
  }

  day(date: string): DayInfo {
    const d = parseDate(date);
    return this.yearTable(d.year)[d.ordinal - 1]!;
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
      unit === 'hours'
        ? this.countHours(event, amount)
        : unit === 'workingHours'
        ? this.countWorkingHours(event, amount)
        : unit === 'calendarDays'
          ? this.countCalendarDays(eventDate, amount)
          : this.countWorkingDays(eventDate, amount);
    const dueUtc = DateTime.fromMillis(span.dueMs, { zone: 'utc' });
    const dueLocal = dueUtc.setZone(VN_ZONE).toISO()!;
    const { summary, summaryVi } = summarize({
      unit,
      amount,
      eventDate,
      eventLocal: event.toISO()!,
      dueLocal,
      dueDate: span.dueDate,
      countedDays: span.countedDays,
      skipped: span.skipped,
    });
    return {
      from,
      unit,
      amount,
      startDate: span.countedDays[0]!,
      dueAt: dueUtc.toISO()!,
      dueLocal,
      calendarVersion: this.data.version,
      rule: DEADLINE_RULES[unit],
      explanation: { summary, summaryVi, skipped: span.skipped, countedDays: span.countedDays },
    };
  }

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
      if (d.working) return { dueMs: endOfDayMs(d.date), dueDate: d.date, countedDays, skipped };
      skipped.push({ date: d.date, reasons: d.reasons });
      return undefined;
    });
  }

  /** Elapsed hours: every day from the event's to the due instant's is counted, none skipped. */
  private countHours(event: DateTime, n: number): Span {
    const dueMs = event.toMillis() + n * HOUR_MS;
    const dueDate = isoDate(DateTime.fromMillis(dueMs, { zone: VN_ZONE }));
    const countedDays: string[] = [];
    return scan(this.daysFrom(isoDate(event)), (d) => {
      countedDays.push(d.date);
      return d.date === dueDate ? { dueMs, dueDate, countedDays, skipped: [] } : undefined;
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

  private *daysFrom(date: string): Generator<DayInfo, never, undefined> {
    const start = parseDate(date);
    let index = start.ordinal - 1;
    for (let year = start.year; year <= MAX_YEAR; year++, index = 0) {
      const table = this.yearTable(year);
      for (; index < table.length; index++) yield table[index]!;
    }
    throw new RangeError(PAST_RANGE);
  }

  private daysAfter(date: string): Generator<DayInfo, never, undefined> {
    const next = parseDate(date).plus({ days: 1 });
    if (next.year > MAX_YEAR) throw new RangeError(PAST_RANGE);
    return this.daysFrom(isoDate(next));
  }

  private yearTable(year: number): readonly DayInfo[] {
    let table = this.years.get(year);
    if (!table) {
      table = this.buildYear(year);
      this.years.set(year, table);
    }
    return table;
  }

  private buildYear(year: number): DayInfo[] {
    const official = this.officialYears.has(year);
    const holidays = statutoryHolidays(year).filter((h) => !official || !DEFAULT_ONLY_CODES.has(h.code));
    const statutory = new Map<string, DayReason>();
    for (const h of holidays) statutory.set(h.date, { code: h.code, en: h.en, vi: h.vi, source: h.source });
    if (!official) for (const [date, reason] of compensationDays(holidays)) statutory.set(date, reason);

    const days: DayInfo[] = [];
    for (let d = DateTime.utc(year, 1, 1); d.year === year; d = d.plus({ days: 1 })) {
      const date = isoDate(d);
      const override = this.overrides.get(date);
      const holiday = statutory.get(date);
      const weekend = d.weekday >= 6;
      const reasons: DayReason[] = [];
      if (override) {
        reasons.push({ code: override.kind === 'dayOff' ? 'officialDayOff' : 'makeUpWorkingDay', en: override.name, vi: override.nameVi, source: override.source });
      }
      if (holiday) reasons.push(holiday);
      if (weekend) reasons.push(WEEKEND);
      const working = override ? override.kind === 'workingDay' : !holiday && !weekend;
      days.push({ date, weekday: d.weekday, working, reasons });
    }
    return days;
  }
}

function scan<T>(days: Iterator<DayInfo, never, undefined>, visit: (d: DayInfo) => T | undefined): T {
  for (;;) {
    const result = visit(days.next().value);
    if (result !== undefined) return result;
  }
}

function compensationDays(holidays: readonly StatutoryHoliday[]): Map<string, DayReason> {
  const holidayDates = new Set(holidays.map((h) => h.date));
  const result = new Map<string, DayReason>();
  for (const h of holidays) {
    let d = parseDate(h.date);
    if (d.weekday < 6) continue;
    do d = d.plus({ days: 1 });
    while (d.weekday >= 6 || holidayDates.has(isoDate(d)) || result.has(isoDate(d)));
    result.set(isoDate(d), {
      code: 'compensation',
      en: `Compensation day for ${h.en} on ${h.date} (a weekly rest day)`,
      vi: `Nghỉ bù cho ${h.vi} ngày ${h.date} (trùng ngày nghỉ hằng tuần)`,
      source: 'Labour Code 2019 Art 111.3',
    });
  }
  return result;
}

function endOfDayMs(date: string): number {
  return localMidnightMs(date) + DAY_MS - 1;
}
