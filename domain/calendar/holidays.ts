import { DateTime } from 'luxon';
import { assertYear, isoDate } from './dates.js';
import { lunarYearDates } from './lunar.js';
import type { HolidayCode, StatutoryHoliday } from './types.js';

// Public holidays of Labour Code 2019 Art 112.1, applied uniformly to 1990-2100 (earlier law had
// fewer days; historical schedules belong in the calendar data as overrides).
const ART_112 = 'Labour Code 2019 Art 112.1';

/** Codes whose exact days the Prime Minister decides each year (Art 112.3): defaults only. */
export const DEFAULT_ONLY_CODES: ReadonlySet<HolidayCode> = new Set(['tet', 'nationalDayAdjacent']);

/**
 * Statutory default for the day adjacent to National Day (Art 112.1đ: "2 Sep and one adjacent day
 * before or after"). Project rule: 1 Sep when 2 Sep is a Tuesday, Friday or Saturday, otherwise
 * 3 Sep, so the holiday joins a weekend where it can. This reproduces the official schedules of
 * 2021 (Thu → 3 Sep), 2022 (Fri → 1 Sep), 2023 (Sat → 1 Sep), 2024 (Mon → 3 Sep) and
 * 2025 (Tue → 1 Sep); Wednesday and Sunday fall back to 3 Sep.
 */
export function nationalDayAdjacent(year: number): string {
  const sep2 = DateTime.utc(year, 9, 2);
  const before = sep2.weekday === 2 || sep2.weekday === 5 || sep2.weekday === 6;
  return isoDate(sep2.plus({ days: before ? -1 : 1 }));
}

const cache = new Map<number, readonly StatutoryHoliday[]>();

/**
 * Art 112.1 public holidays of a Gregorian year, sorted by date. Tết and the adjacent National Day
 * day are the statutory defaults (Tết = last day of the old lunar year + days 1-4 of the new one).
 * Compensation days (Art 111.3) are not holidays and are not listed here.
 */
export function statutoryHolidays(year: number): StatutoryHoliday[] {
  assertYear(year);
  let list = cache.get(year);
  if (!list) {
    list = Object.freeze(buildHolidays(year).map((h) => Object.freeze(h)));
    cache.set(year, list);
  }
  return [...list];
}

function buildHolidays(year: number): StatutoryHoliday[] {
  const fixed = (month: number, day: number) => isoDate(DateTime.utc(year, month, day));
  const { newYearDay, hungKingsDay } = lunarYearDates(year);
  const tet1 = DateTime.fromISO(newYearDay, { zone: 'utc' });
  const tetLabels = ['last day of the lunar year', 'lunar 1/1', 'lunar 1/2', 'lunar 1/3', 'lunar 1/4'];
  const tetLabelsVi = ['ngày cuối năm âm lịch', 'mùng 1 Tết', 'mùng 2 Tết', 'mùng 3 Tết', 'mùng 4 Tết'];

  const holiday = (date: string, code: HolidayCode, en: string, vi: string, point: string, extra?: string) => ({
    date,
    code,
    en,
    vi,
    source: `${ART_112}(${point})${extra ? `; ${extra}` : ''}`,
  });

  const list: StatutoryHoliday[] = [
    holiday(fixed(1, 1), 'newYear', "New Year's Day", 'Tết Dương lịch', 'a'),
    ...tetLabels.map((label, i) =>
      holiday(
        isoDate(tet1.plus({ days: i - 1 })),
        'tet',
        `Lunar New Year (Tết Nguyên Đán, statutory default span: ${label})`,
        `Tết Âm lịch (mặc định theo luật: ${tetLabelsVi[i]})`,
        'b',
        'Art 112.3 default span',
      ),
    ),
    holiday(hungKingsDay, 'hungKings', "Hùng Kings' Commemoration Day (lunar 3/10)", 'Giỗ Tổ Hùng Vương (10/3 âm lịch)', 'e'),
    holiday(fixed(4, 30), 'victoryDay', 'Victory Day (Reunification Day)', 'Ngày Chiến thắng', 'c'),
    holiday(fixed(5, 1), 'labourDay', "International Workers' Day", 'Ngày Quốc tế lao động', 'd'),
    holiday(fixed(9, 2), 'nationalDay', 'National Day', 'Quốc khánh', 'đ'),
    holiday(
      nationalDayAdjacent(year),
      'nationalDayAdjacent',
      'National Day (adjacent day, statutory default)',
      'Quốc khánh (ngày liền kề, mặc định)',
      'đ',
      'Art 112.3 default adjacent day',
    ),
  ];
  return list.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}
