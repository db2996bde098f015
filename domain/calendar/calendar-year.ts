import { dateOfEpochDay, epochDayOf, isoDate, parseDate } from './dates.js';
import { DEFAULT_ONLY_CODES, statutoryHolidays } from './holidays.js';
import type { CalendarOverride, DayInfo, DayReason, StatutoryHoliday } from './types.js';

const WEEKEND: DayReason = Object.freeze({
  code: 'weekend',
  en: 'Weekly rest day (Saturday/Sunday)',
  vi: 'Ngày nghỉ hằng tuần (thứ Bảy/Chủ nhật)',
  source: 'Labour Code 2019 Art 111; Decision 188/1999/QĐ-TTg (40-hour week in state agencies)',
});

/**
 * One year of one calendar version, built on first use and then immutable: every day with its
 * reasons (for look-ups and explanations) and an index of the working days, so that "the k-th
 * working day after a day" is two array reads instead of a walk.
 */
export interface CalendarYear {
  year: number;
  /** Days since 1970-01-01 of 1 January. */
  firstDay: number;
  /** Index = ordinal day - 1. */
  days: readonly DayInfo[];
  /** before[i] = working days among days[0..i-1] (length days.length + 1): day i works iff before[i + 1] > before[i]. */
  before: Uint16Array;
  /** Days since 1970-01-01 of the year's working days, ascending. */
  working: Int32Array;
}

/**
 * Mon-Fri, minus Art 112 public holidays, Art 111.3 compensation days and official days off, plus
 * official make-up working days. In an official year the Government's schedule (the overrides)
 * replaces the statutory defaults (Art 112.3).
 */
export function buildCalendarYear(year: number, overrides: ReadonlyMap<string, CalendarOverride>, official: boolean): CalendarYear {
  const holidays = statutoryHolidays(year).filter((h) => !official || !DEFAULT_ONLY_CODES.has(h.code));
  const statutory = new Map<string, DayReason>();
  for (const h of holidays) statutory.set(h.date, reasonOf(h));
  if (!official) for (const [date, reason] of compensationDays(holidays)) statutory.set(date, reason);

  const firstDay = epochDayOf(year, 1, 1);
  const length = epochDayOf(year + 1, 1, 1) - firstDay;
  const days: DayInfo[] = [];
  const before = new Uint16Array(length + 1);
  const working: number[] = [];
  for (let i = 0; i < length; i++) {
    const date = dateOfEpochDay(firstDay + i);
    // ISO weekday: 1970-01-01 was a Thursday (4).
    const weekday = ((firstDay + i + 3) % 7) + 1;
    const override = overrides.get(date);
    const holiday = statutory.get(date);
    const weekend = weekday >= 6;
    const reasons: DayReason[] = [];
    if (override) reasons.push(overrideReason(override));
    if (holiday) reasons.push(holiday);
    if (weekend) reasons.push(WEEKEND);
    const isWorking = override ? override.kind === 'workingDay' : !holiday && !weekend;
    days.push(Object.freeze({ date, weekday, working: isWorking, reasons: Object.freeze(reasons) as DayReason[] }));
    if (isWorking) working.push(firstDay + i);
    before[i + 1] = working.length;
  }
  return { year, firstDay, days: Object.freeze(days), before, working: Int32Array.from(working) };
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
