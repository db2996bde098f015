import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  WorkingCalendar,
  type CalendarOverride,
  type DeadlineResult,
  type DeadlineUnit,
} from '../../../domain/calendar/index.js';

const DAY_UNITS: DeadlineUnit[] = ['workingDays', 'calendarDays', 'settlementDay'];
const HOUR = 3_600_000;

const instantIn = (fromYear: number, toYear: number) =>
  fc
    .integer({ min: Date.UTC(fromYear, 0, 1) - 7 * HOUR, max: Date.UTC(toYear, 0, 1) - 7 * HOUR - 1 })
    .map((ms) => new Date(ms).toISOString());

/** Random official data for 2025-2027: days off and make-up days, some years marked official. */
const calendarData = fc
  .record({
    overrides: fc.uniqueArray(
      fc.record({ dayIndex: fc.integer({ min: 0, max: 3 * 365 }), dayOff: fc.boolean() }),
      { selector: (o) => o.dayIndex, maxLength: 40 },
    ),
    officialYears: fc.subarray([2025, 2026, 2027]),
  })
  .map(({ overrides, officialYears }) => ({
    version: 1,
    officialYears,
    overrides: overrides.map(
      ({ dayIndex, dayOff }): CalendarOverride => ({
        date: DateTime.utc(2025, 1, 1).plus({ days: dayIndex }).toISODate()!,
        kind: dayOff ? 'dayOff' : 'workingDay',
        name: 'generated',
        nameVi: 'sinh ngẫu nhiên',
        source: 'property test',
      }),
    ),
  }));

const defaultCalendar = new WorkingCalendar({ version: 1, overrides: [] });
const localDate = (r: DeadlineResult) => r.dueLocal.slice(0, 10);
const ms = (iso: string) => Date.parse(iso);
const eventDay = (from: string) => DateTime.fromISO(from).setZone('UTC+7').toISODate()!;

describe('property: day-unit deadlines (Civil Code 2015 Art 147.3, 148; Regulation Art 33.4a)', () => {
  it('end at 24:00 local of a working day strictly after the event day', () => {
    fc.assert(
      fc.property(instantIn(1990, 2100), fc.integer({ min: 1, max: 60 }), fc.constantFrom(...DAY_UNITS), (from, amount, unit) => {
        const r = defaultCalendar.computeDeadline({ from, amount, unit });
        expect(r.dueLocal.endsWith('T23:59:59.999+07:00')).toBe(true);
        expect(defaultCalendar.isWorkingDay(localDate(r))).toBe(true);
        expect(localDate(r) > eventDay(from)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('working days: exactly N counted working days, every day in between is a skipped rest day', () => {
    fc.assert(
      fc.property(calendarData, instantIn(2025, 2027), fc.integer({ min: 1, max: 40 }), (data, from, amount) => {
        const cal = new WorkingCalendar(data);
        const r = cal.computeDeadline({ from, amount, unit: 'workingDays' });
        const { countedDays, skipped } = r.explanation;
        expect(countedDays).toHaveLength(amount);
        expect(countedDays.at(-1)).toBe(localDate(r));
        expect(r.startDate).toBe(countedDays[0]);
        expect(countedDays.every((d) => cal.isWorkingDay(d))).toBe(true);
        expect(skipped.every((s) => !cal.isWorkingDay(s.date) && s.reasons.length > 0)).toBe(true);
        // counted ∪ skipped is exactly the run of days after the event day up to the due day
        const all = cal.listDays(eventDay(from), localDate(r)).slice(1).map((d) => d.date);
        expect([...countedDays, ...skipped.map((s) => s.date)].sort()).toEqual(all);
      }),
      { numRuns: 150 },
    );
  });

  it('settlementDay T+N equals N working days (interbank days = working-day calendar)', () => {
    fc.assert(
      fc.property(instantIn(2024, 2028), fc.integer({ min: 1, max: 5 }), (from, amount) => {
        const t = defaultCalendar.computeDeadline({ from, amount, unit: 'settlementDay' });
        const w = defaultCalendar.computeDeadline({ from, amount, unit: 'workingDays' });
        expect(t.dueAt).toBe(w.dueAt);
      }),
    );
  });

  it('workingDays(N+1) ends strictly after workingDays(N)', () => {
    fc.assert(
      fc.property(calendarData, instantIn(2025, 2027), fc.integer({ min: 1, max: 40 }), (data, from, amount) => {
        const cal = new WorkingCalendar(data);
        const a = cal.computeDeadline({ from, amount, unit: 'workingDays' });
        const b = cal.computeDeadline({ from, amount: amount + 1, unit: 'workingDays' });
        expect(ms(b.dueAt)).toBeGreaterThan(ms(a.dueAt));
      }),
      { numRuns: 100 },
    );
  });

  it('calendar days: N counted days; the end rolls only over rest days (Art 148.5)', () => {
    fc.assert(
      fc.property(calendarData, instantIn(2025, 2027), fc.integer({ min: 1, max: 60 }), (data, from, amount) => {
        const cal = new WorkingCalendar(data);
        const r = cal.computeDeadline({ from, amount, unit: 'calendarDays' });
        const { countedDays, skipped } = r.explanation;
        expect(countedDays).toHaveLength(amount);
        const last = countedDays.at(-1)!;
        const rolledOver = cal.listDays(last, localDate(r)).slice(0, -1);
        expect(rolledOver.every((d) => !d.working)).toBe(true);
        expect(skipped.map((s) => s.date)).toEqual(rolledOver.map((d) => d.date));
      }),
      { numRuns: 150 },
    );
  });

  it('the time of day within the same local day does not change a day-unit deadline', () => {
    fc.assert(
      fc.property(
        instantIn(1990, 2100),
        fc.integer({ min: 0, max: 24 * HOUR - 1 }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom(...DAY_UNITS),
        (from, offsetInDay, amount, unit) => {
          const local = DateTime.fromISO(from).setZone('UTC+7').startOf('day').plus({ milliseconds: offsetInDay });
          const a = defaultCalendar.computeDeadline({ from, amount, unit });
          const b = defaultCalendar.computeDeadline({ from: local.toISO()!, amount, unit });
          expect(b.dueAt).toBe(a.dueAt);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('deadlines are monotone in the event instant (all units)', () => {
    fc.assert(
      fc.property(
        calendarData,
        instantIn(2025, 2027),
        fc.integer({ min: 0, max: 20 * 24 * HOUR }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom<DeadlineUnit>('workingDays', 'calendarDays', 'settlementDay', 'workingHours'),
        (data, from, delta, amount, unit) => {
          const cal = new WorkingCalendar(data);
          const later = new Date(ms(from) + delta).toISOString();
          const a = cal.computeDeadline({ from, amount, unit });
          const b = cal.computeDeadline({ from: later, amount, unit });
          expect(ms(b.dueAt)).toBeGreaterThanOrEqual(ms(a.dueAt));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('property: working hours (Civil Code 2015 Art 147.1; 08:00-12:00, 13:00-17:00)', () => {
  const minutesOfDay = (r: DeadlineResult) => {
    const t = DateTime.fromISO(r.dueLocal, { setZone: true });
    return t.hour * 60 + t.minute + (t.second || t.millisecond ? 0.5 : 0);
  };

  it('the due instant lies inside a working window of a working day (a window end counts)', () => {
    fc.assert(
      fc.property(calendarData, instantIn(2025, 2027), fc.integer({ min: 1, max: 80 }), (data, from, amount) => {
        const cal = new WorkingCalendar(data);
        const r = cal.computeDeadline({ from, amount, unit: 'workingHours' });
        const m = minutesOfDay(r);
        expect((m > 8 * 60 && m <= 12 * 60) || (m > 13 * 60 && m <= 17 * 60)).toBe(true);
        expect(cal.isWorkingDay(localDate(r))).toBe(true);
        expect(ms(r.dueAt) - ms(from)).toBeGreaterThanOrEqual(amount * HOUR);
      }),
      { numRuns: 200 },
    );
  });

  it('hours add up: workingHours(a+b) from x = workingHours(b) from the due instant of workingHours(a) from x', () => {
    // Windows are half-open, so a due instant on a window end (12:00, 17:00) continues at the next
    // window start exactly like an uninterrupted count: the identity holds without exceptions.
    fc.assert(
      fc.property(
        calendarData,
        instantIn(2025, 2027),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        (data, from, a, b) => {
          const cal = new WorkingCalendar(data);
          const first = cal.computeDeadline({ from, amount: a, unit: 'workingHours' });
          const chained = cal.computeDeadline({ from: first.dueAt, amount: b, unit: 'workingHours' });
          const direct = cal.computeDeadline({ from, amount: a + b, unit: 'workingHours' });
          expect(chained.dueAt).toBe(direct.dueAt);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('8k hours from 08:00 of a working day end at 17:00 of its k-th working day (that day included)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 1, max: 15 }), (dayIndex, k) => {
        const day = defaultCalendar.nextWorkingDay(DateTime.utc(2020, 1, 1).plus({ days: dayIndex }).toISODate()!);
        const r = defaultCalendar.computeDeadline({ from: `${day}T08:00:00+07:00`, amount: 8 * k, unit: 'workingHours' });
        let expected = day;
        for (let i = 1; i < k; i++) expected = defaultCalendar.nextWorkingDay(expected);
        expect(r.dueLocal).toBe(`${expected}T17:00:00.000+07:00`);
        expect(r.explanation.countedDays).toHaveLength(k);
      }),
      { numRuns: 100 },
    );
  });
});

describe('property: calendar days (Labour Code 2019 Art 111, 112)', () => {
  it('nextWorkingDay is the first working day after the date; days in between are rest days with reasons', () => {
    fc.assert(
      fc.property(calendarData, fc.integer({ min: 0, max: 3 * 365 - 30 }), (data, dayIndex) => {
        const cal = new WorkingCalendar(data);
        const date = DateTime.utc(2025, 1, 1).plus({ days: dayIndex }).toISODate()!;
        const next = cal.nextWorkingDay(date);
        const between = cal.listDays(date, next).slice(1);
        expect(between.at(-1)!.working).toBe(true);
        expect(between.slice(0, -1).every((d) => !d.working && d.reasons.length > 0)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('default calendar 1990-2100: no working weekend day, and exactly 11 weekdays off a year (one compensation per holiday on a weekend, Art 111.3)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1990, max: 2100 }), (year) => {
        const days = defaultCalendar.listDays(`${year}-01-01`, `${year}-12-31`);
        expect(days.filter((d) => d.weekday >= 6).every((d) => !d.working)).toBe(true);
        const weekdaysOff = days.filter((d) => d.weekday < 6 && !d.working);
        const holidaysOnWeekends = days.filter((d) => d.weekday >= 6 && d.reasons.length > 1).length;
        // Art 111.3: each holiday on a weekly rest day adds exactly one weekday off.
        expect(weekdaysOff).toHaveLength(11);
        expect(weekdaysOff.filter((d) => d.reasons[0]!.code === 'compensation')).toHaveLength(holidaysOnWeekends);
      }),
      { numRuns: 60 },
    );
  });
});
