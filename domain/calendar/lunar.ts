import { CalendarVietnamese } from 'date-chinese';
import { DateTime } from 'luxon';

// Vietnamese lunar calendar (âm lịch): same rules as the Chinese one but computed at UTC+7, so
// a new moon close to midnight can move a month start by one day (Tết 1985: 21 Jan in Viet Nam,
// 20 Feb in China; Tết 2007: 17 Feb vs 18 Feb).

export interface LunarYearDates {
  /** Mùng 1 Tết: lunar 1/1 of the lunar year starting in this Gregorian year. */
  newYearDay: string;
  /** Giỗ Tổ Hùng Vương: 10th day of the (non-leap) 3rd lunar month. */
  hungKingsDay: string;
}

const cache = new Map<number, LunarYearDates>();

function toIsoDate(g: { year: number; month: number; day: number }): string {
  return DateTime.utc(g.year, g.month, g.day).toISODate()!;
}

function lunarToIso(gregorianYear: number, month: number, day: number): string {
  // leap=false selects the regular month, never a leap month (tháng nhuận) with the same number.
  return toIsoDate(new CalendarVietnamese(0, 0, month, false, day).toGregorian(gregorianYear));
}

/** Lunar dates for a Gregorian year; every lunar new year falls between 21 Jan and 20 Feb. */
export function lunarYearDates(year: number): LunarYearDates {
  let dates = cache.get(year);
  if (!dates) {
    dates = { newYearDay: lunarToIso(year, 1, 1), hungKingsDay: lunarToIso(year, 3, 10) };
    cache.set(year, dates);
  }
  return dates;
}

/** Lunar date of a Gregorian date, for checks: [month, leap, day]. */
export function toLunar(date: string): { month: number; leap: boolean; day: number } {
  const d = DateTime.fromISO(date, { zone: 'utc' });
  const [, , month, leap, day] = new CalendarVietnamese().fromGregorian(d.year, d.month, d.day).get();
  return { month, leap, day };
}
