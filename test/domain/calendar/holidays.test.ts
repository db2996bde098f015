import { CalendarChinese } from 'date-chinese';
import { describe, expect, it } from 'vitest';
import {
  lunarYearDates,
  nationalDayAdjacent,
  statutoryHolidays,
  toLunar,
  WorkingCalendar,
  type CalendarOverride,
} from '../../../domain/calendar/index.js';

const calendar = new WorkingCalendar({ version: 1, overrides: [] });
const codes = (date: string) => calendar.day(date).reasons.map((r) => r.code);

describe('Vietnamese lunar calendar (UTC+7) for Labour Code 2019 Art 112.1(b, e)', () => {
  it.each([
    [1985, '1985-01-21'],
    [2007, '2007-02-17'],
    [2020, '2020-01-25'],
    [2021, '2021-02-12'],
    [2022, '2022-02-01'],
    [2023, '2023-01-22'],
    [2024, '2024-02-10'],
    [2025, '2025-01-29'],
    [2026, '2026-02-17'],
    [2027, '2027-02-06'],
  ])('Tết Nguyên Đán (lunar 1/1) of %i is %s', (year, date) => {
    expect(lunarYearDates(year).newYearDay).toBe(date);
  });

  it('Tết 1985 and 2007 differ from the Chinese calendar (UTC+8): 20 Feb 1985 and 18 Feb 2007 in China', () => {
    const chinese = (y: number) => new CalendarChinese(0, 0, 1, false, 1).toGregorian(y);
    expect(chinese(1985)).toEqual({ year: 1985, month: 2, day: 20 });
    expect(chinese(2007)).toEqual({ year: 2007, month: 2, day: 18 });
  });

  it.each([
    [2004, '2004-04-28'], // leap 2nd month
    [2012, '2012-03-31'],
    [2020, '2020-04-02'],
    [2021, '2021-04-21'],
    [2022, '2022-04-10'],
    [2023, '2023-04-29'], // leap 2nd month
    [2024, '2024-04-18'],
    [2025, '2025-04-07'],
    [2026, '2026-04-26'],
  ])("Hùng Kings' day (10th of the non-leap 3rd lunar month) of %i is %s", (year, date) => {
    expect(lunarYearDates(year).hungKingsDay).toBe(date);
  });

  it('every Tết and Hùng Kings day 1990-2100 converts back to lunar 1/1 and 3/10 (never a leap month)', () => {
    for (let year = 1990; year <= 2100; year++) {
      const { newYearDay, hungKingsDay } = lunarYearDates(year);
      expect(toLunar(newYearDay)).toEqual({ month: 1, leap: false, day: 1 });
      expect(toLunar(hungKingsDay)).toEqual({ month: 3, leap: false, day: 10 });
    }
  });
});

describe('statutory public holidays, Labour Code 2019 Art 112.1', () => {
  it('2026 defaults: 1/1, Tết = last day of the lunar year + lunar 1/1-1/4, Hùng Kings, 30/4, 1/5, 2/9 + 3/9', () => {
    expect(statutoryHolidays(2026).map((h) => `${h.date} ${h.code}`)).toEqual([
      '2026-01-01 newYear',
      '2026-02-16 tet',
      '2026-02-17 tet',
      '2026-02-18 tet',
      '2026-02-19 tet',
      '2026-02-20 tet',
      '2026-04-26 hungKings',
      '2026-04-30 victoryDay',
      '2026-05-01 labourDay',
      '2026-09-02 nationalDay',
      '2026-09-03 nationalDayAdjacent',
    ]);
  });

  it('every year 1990-2100 has 11 holiday days on distinct dates with an Art 112 source', () => {
    for (let year = 1990; year <= 2100; year++) {
      const list = statutoryHolidays(year);
      expect(list).toHaveLength(11);
      expect(new Set(list.map((h) => h.date)).size).toBe(11);
      expect(list.every((h) => h.source.startsWith('Labour Code 2019 Art 112.1'))).toBe(true);
    }
  });

  it.each([
    [2021, '2021-09-03'], // Thu → Fri (official 2021)
    [2022, '2022-09-01'], // Fri → Thu (official 2022)
    [2023, '2023-09-01'], // Sat → Fri (official 2023)
    [2024, '2024-09-03'], // Mon → Tue (official 2024)
    [2025, '2025-09-01'], // Tue → Mon (official 2025)
    [2026, '2026-09-03'], // Wed → Thu (fallback)
    [2029, '2029-09-03'], // Sun → Mon (fallback)
  ])('Art 112.1(đ) default adjacent National Day day of %i is %s', (year, date) => {
    expect(nationalDayAdjacent(year)).toBe(date);
  });

  it('throws RangeError for years outside 1990-2100', () => {
    expect(() => statutoryHolidays(1989)).toThrow(RangeError);
    expect(() => statutoryHolidays(2101)).toThrow(RangeError);
  });
});

describe('working days: weekly rest days, holidays and Art 111.3 compensation', () => {
  it('Saturday and Sunday are weekly rest days of state agencies, Monday is a working day', () => {
    expect(calendar.day('2026-03-07')).toMatchObject({ weekday: 6, working: false });
    expect(codes('2026-03-08')).toEqual(['weekend']);
    expect(calendar.day('2026-03-09')).toEqual({ date: '2026-03-09', weekday: 1, working: true, reasons: [] });
  });

  it("Art 111.3: Hùng Kings' day 2026 falls on Sunday 26 Apr, so Monday 27 Apr is a compensation day off", () => {
    expect(codes('2026-04-26')).toEqual(['hungKings', 'weekend']);
    expect(calendar.day('2026-04-27').working).toBe(false);
    expect(calendar.day('2026-04-27').reasons[0]).toMatchObject({
      code: 'compensation',
      source: 'Labour Code 2019 Art 111.3',
    });
    expect(calendar.day('2026-04-27').reasons[0]!.en).toContain('2026-04-26');
    expect(calendar.isWorkingDay('2026-04-28')).toBe(true);
  });

  it('Art 112.1(c, d): 30/4 and 1/5 2026 (Thu, Fri) are days off', () => {
    expect(codes('2026-04-30')).toEqual(['victoryDay']);
    expect(codes('2026-05-01')).toEqual(['labourDay']);
    expect(calendar.isWorkingDay('2026-04-29')).toBe(true);
  });

  it('Art 111.3: 30/4 and 1/5 2022 on Sat/Sun are compensated on Mon 2 May and Tue 3 May', () => {
    expect(calendar.listDays('2022-04-30', '2022-05-04').map((d) => [d.date, d.working, d.reasons[0]?.code])).toEqual([
      ['2022-04-30', false, 'victoryDay'],
      ['2022-05-01', false, 'labourDay'],
      ['2022-05-02', false, 'compensation'],
      ['2022-05-03', false, 'compensation'],
      ['2022-05-04', true, undefined],
    ]);
  });

  it('Art 112.1(đ) + 111.3: National Day 2023 (Sat) gives Fri 1 Sep off and Mon 4 Sep as compensation', () => {
    expect(calendar.listDays('2023-09-01', '2023-09-05').map((d) => d.working)).toEqual([false, false, false, false, true]);
    expect(codes('2023-09-04')).toEqual(['compensation']);
  });

  it('Art 112.1(b) + 111.3: default Tết 2027 (Fri 5 Feb - Tue 9 Feb) compensates its weekend days on Wed 10 and Thu 11 Feb', () => {
    const days = calendar.listDays('2027-02-05', '2027-02-12');
    expect(days.map((d) => d.reasons[0]?.code ?? 'working')).toEqual([
      'tet', 'tet', 'tet', 'tet', 'tet', 'compensation', 'compensation', 'working',
    ]);
  });

  it('official make-up working day (ngày làm bù) on a Saturday and official swapped day off (overrides are data)', () => {
    const overrides: CalendarOverride[] = [
      { date: '2025-04-26', kind: 'workingDay', name: 'Make-up working day for 2 May', nameVi: 'Làm bù cho ngày 2/5', source: 'MoHA notice (fixture)' },
      { date: '2025-05-02', kind: 'dayOff', name: 'Day off swapped with 26 Apr', nameVi: 'Nghỉ hoán đổi', source: 'MoHA notice (fixture)' },
    ];
    const cal = new WorkingCalendar({ version: 7, overrides });
    expect(cal.day('2025-04-26')).toMatchObject({ weekday: 6, working: true });
    expect(cal.day('2025-04-26').reasons.map((r) => r.code)).toEqual(['makeUpWorkingDay', 'weekend']);
    expect(cal.day('2025-05-02').working).toBe(false);
    expect(cal.day('2025-05-02').reasons[0]).toMatchObject({ code: 'officialDayOff', source: 'MoHA notice (fixture)' });
    expect(cal.version).toBe(7);
  });

  it('officialYears: the official Tết schedule replaces the default span and compensation; fixed holidays stay', () => {
    const tetOff = ['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20'].map(
      (date): CalendarOverride => ({ date, kind: 'dayOff', name: 'Lunar New Year (official span)', nameVi: 'Nghỉ Tết Nguyên đán', source: 'MoHA notice (fixture)' }),
    );
    const cal = new WorkingCalendar({ version: 2, overrides: tetOff, officialYears: [2026] });
    expect(cal.day('2026-02-16').reasons.map((r) => r.code)).toEqual(['officialDayOff']);
    expect(cal.day('2026-04-26').reasons.map((r) => r.code)).toEqual(['hungKings', 'weekend']);
    expect(cal.isWorkingDay('2026-04-27')).toBe(true); // no default compensation in an official year
    expect(cal.isWorkingDay('2026-09-03')).toBe(true); // no default adjacent day either
    expect(cal.isWorkingDay('2026-09-02')).toBe(false);
    expect(cal.isWorkingDay('2027-02-08')).toBe(false); // other years keep the defaults
  });

  it('nextWorkingDay skips weekends, Tết and compensation days', () => {
    expect(calendar.nextWorkingDay('2026-02-13')).toBe('2026-02-23');
    expect(calendar.nextWorkingDay('2026-04-24')).toBe('2026-04-28');
    expect(calendar.nextWorkingDay('2026-03-09')).toBe('2026-03-10');
  });

  it('rejects bad dates, years outside 1990-2100, ranges over 1000 days and inconsistent data', () => {
    expect(() => calendar.day('2026-02-30')).toThrow(RangeError);
    expect(() => calendar.day('26-02-01')).toThrow(RangeError);
    expect(() => calendar.day('1989-12-31')).toThrow(RangeError);
    expect(() => calendar.day('2101-01-01')).toThrow(RangeError);
    expect(calendar.listDays('2024-01-01', '2026-09-26')).toHaveLength(1000);
    expect(() => calendar.listDays('2024-01-01', '2026-09-27')).toThrow(RangeError);
    expect(() => calendar.listDays('2026-01-02', '2026-01-01')).toThrow(RangeError);
    const off: CalendarOverride = { date: '2026-01-02', kind: 'dayOff', name: 'x', nameVi: 'x', source: 'x' };
    expect(() => new WorkingCalendar({ version: 1, overrides: [off, off] })).toThrow(RangeError);
    expect(() => new WorkingCalendar({ version: 1, overrides: [], workingHours: [{ start: '13:00', end: '12:00' }] })).toThrow(RangeError);
    expect(() => new WorkingCalendar({ version: 1, overrides: [], officialYears: [1980] })).toThrow(RangeError);
  });
});
