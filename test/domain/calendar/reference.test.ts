import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { officialSchedules } from '../../../db/seed-data/calendar-schedules.js';
import {
  DEADLINE_UNITS,
  WorkingCalendar,
  type CalendarData,
  type CalendarOverride,
  type DeadlineInput,
  type DeadlineUnit,
} from '../../../domain/calendar/index.js';
import { ReferenceCalendar } from './reference-engine.js';

// The indexed engine (working-day look-ups, explanation on demand) must give exactly what the
// day-by-day engine gave: same due instants, same errors, same explanations, for every unit.

const MINUTE = 60_000;
const DAY = 86_400_000;
const VN = 7 * 60 * MINUTE;
const utcMs = (year: number) => Date.UTC(year, 0, 1);

/** Local (UTC+7) instants from 1 Jan `fromYear` 00:00 to the end of `toYear`. */
const instantMs = (fromYear: number, toYear: number) => fc.integer({ min: utcMs(fromYear) - VN, max: utcMs(toYear + 1) - VN - 1 });

/** The ways instants are written: what the system writes (the fast parser) and what only luxon reads. */
const STYLES = ['utc', 'local', 'localSeconds', 'localMinutes', 'offset', 'micros', 'basicOffset', 'commaFraction'] as const;
type Style = (typeof STYLES)[number];

function render(ms: number, style: Style, offsetMinutes: number): string {
  if (style === 'utc') return new Date(ms).toISOString();
  const offset = style === 'local' || style === 'localSeconds' || style === 'localMinutes' ? 7 * 60 : offsetMinutes;
  const wall = new Date(ms + offset * MINUTE).toISOString().slice(0, 23);
  const sign = offset < 0 ? '-' : '+';
  const hh = String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0');
  const mm = String(Math.abs(offset) % 60).padStart(2, '0');
  switch (style) {
    case 'localSeconds':
      return `${wall.slice(0, 19)}${sign}${hh}:${mm}`;
    case 'localMinutes':
      return `${wall.slice(0, 16)}${sign}${hh}:${mm}`;
    case 'micros':
      return `${wall}417${sign}${hh}:${mm}`;
    case 'basicOffset':
      return `${wall}${sign}${hh}${mm}`;
    case 'commaFraction':
      return `${wall.replace('.', ',')}${sign}${hh}:${mm}`;
    default:
      return `${wall}${sign}${hh}:${mm}`;
  }
}

const instant = (fromYear: number, toYear: number) =>
  fc
    .tuple(instantMs(fromYear, toYear), fc.constantFrom(...STYLES), fc.constantFrom(0, 7 * 60, -5 * 60, 5 * 60 + 30, -30, 14 * 60, -12 * 60))
    .map(([ms, style, offset]) => render(ms, style, offset));

/** Mostly the periods processes use, sometimes long ones (a long count walks many days in the reference). */
const amountFor = (max: number) => fc.oneof({ arbitrary: fc.integer({ min: 1, max: 60 }), weight: 4 }, { arbitrary: fc.integer({ min: 1, max }), weight: 1 });

// The reference walks day by day with luxon and builds its years slowly: allow for a loaded machine.
const SLOW = 120_000;

/** The result, or the error it throws (class and message): both engines must agree on either. */
function outcome(compute: () => unknown): unknown {
  try {
    return compute();
  } catch (err) {
    return { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

/** Compared as JSON, so the key order (the shape recorded in workflow histories) must match too. */
function expectSameAsReference(cal: WorkingCalendar, ref: ReferenceCalendar, input: DeadlineInput): void {
  const expected = outcome(() => ref.computeDeadline(input));
  expect(JSON.stringify(outcome(() => cal.computeDeadline(input)))).toBe(JSON.stringify(expected));
  const withoutExplanation = expected && typeof expected === 'object' && 'explanation' in expected ? { ...expected, explanation: undefined } : expected;
  expect(JSON.stringify(outcome(() => cal.computeDue(input)))).toBe(JSON.stringify(withoutExplanation));
}

const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** 1-3 ascending, non-overlapping windows anywhere in the day (some start before 07:00, i.e. the previous UTC day). */
const workingHours = fc
  .uniqueArray(fc.integer({ min: 0, max: 23 * 60 + 59 }), { minLength: 2, maxLength: 6 })
  .map((minutes) => {
    const sorted = [...minutes].sort((a, b) => a - b);
    const windows = [];
    for (let i = 0; i + 1 < sorted.length; i += 2) windows.push({ start: hhmm(sorted[i]!), end: hhmm(sorted[i + 1]!) });
    return windows;
  });

/**
 * Calendar versions around a random year of 1990-2100: official days off (extra days off, or a
 * declared Tết span), make-up working days (on Saturdays and Sundays too), official years
 * replacing the statutory defaults, and their own working hours.
 */
const aroundYear = fc.integer({ min: 1991, max: 2099 }).chain((year) =>
  fc.record({
    year: fc.constant(year),
    data: fc.record({
      version: fc.integer({ min: 1, max: 1000 }),
      overrides: fc
        .uniqueArray(fc.record({ dayIndex: fc.integer({ min: 0, max: 3 * 366 }), dayOff: fc.boolean() }), { selector: (o) => o.dayIndex, maxLength: 50 })
        .map((list) =>
          list.map(
            ({ dayIndex, dayOff }): CalendarOverride => ({
              date: new Date(utcMs(year - 1) + dayIndex * DAY).toISOString().slice(0, 10),
              kind: dayOff ? 'dayOff' : 'workingDay',
              name: dayOff ? 'Official day off' : 'Make-up working day',
              nameVi: dayOff ? 'Ngày nghỉ theo thông báo' : 'Ngày làm bù',
              source: 'property test',
            }),
          ),
        )
        .map((overrides) => overrides.filter((o) => o.date <= '2100-12-31')),
      officialYears: fc.subarray([year - 1, year, year + 1]),
      workingHours: fc.option(workingHours, { nil: undefined }),
    }),
  }),
);

const seeded: CalendarData = {
  version: 1,
  overrides: officialSchedules.flatMap((y) => y.entries),
  officialYears: officialSchedules.map((y) => y.year),
};
const fixedCalendars: [string, CalendarData][] = [
  ['the statutory calendar', { version: 1, overrides: [] }],
  ['the seeded official 2025/2026 schedules', seeded],
  ['custom working hours 07:30-11:30, 13:30-16:30', { ...seeded, version: 2, workingHours: [{ start: '07:30', end: '11:30' }, { start: '13:30', end: '16:30' }] }],
];

describe('property: the indexed engine gives the results of the day-by-day engine (issue 18 item 4)', () => {
  it.each(fixedCalendars)('%s: every unit, any start 1990-2100, amounts up to 2,000 (same due instant, explanation and errors)', (_, data) => {
    const cal = new WorkingCalendar(data);
    const ref = new ReferenceCalendar(data);
    fc.assert(
      fc.property(instant(1990, 2100), amountFor(2000), fc.constantFrom(...DEADLINE_UNITS), (from, amount, unit) => {
        expectSameAsReference(cal, ref, { from, amount, unit });
      }),
      { numRuns: 1000 },
    );
  }, SLOW);

  it('official schedules, make-up working days, extra days off and working hours of random calendar versions', () => {
    // Several starts per calendar version: building the reference's years dominates the run time.
    const versionWithStarts = aroundYear.chain(({ year, data }) =>
      fc.record({ data: fc.constant(data), starts: fc.array(instant(year - 1, year + 1), { minLength: 1, maxLength: 8 }) }),
    );
    fc.assert(
      fc.property(versionWithStarts, amountFor(400), fc.constantFrom(...DEADLINE_UNITS), ({ data, starts }, amount, unit) => {
        const cal = new WorkingCalendar(data);
        const ref = new ReferenceCalendar(data);
        for (const from of starts) expectSameAsReference(cal, ref, { from, amount: unit === 'workingHours' ? Math.min(amount, 120) : amount, unit });
      }),
      { numRuns: 200 },
    );
  }, SLOW);

  it('the end of the supported range: both engines refuse a deadline past 2100-12-31 alike', () => {
    const cal = new WorkingCalendar(seeded);
    const ref = new ReferenceCalendar(seeded);
    fc.assert(
      fc.property(instant(2100, 2100), fc.integer({ min: 1, max: 400 }), fc.constantFrom<DeadlineUnit>(...DEADLINE_UNITS), (from, amount, unit) => {
        expectSameAsReference(cal, ref, { from, amount, unit });
      }),
      { numRuns: 500 },
    );
  }, SLOW);

  it('the days themselves (working or not, reasons) are the reference days for 1990-2100', () => {
    for (const [, data] of fixedCalendars.slice(0, 2)) {
      const cal = new WorkingCalendar(data);
      const ref = new ReferenceCalendar(data);
      for (let year = 1990; year <= 2100; year++) {
        const days = cal.listDays(`${year}-01-01`, `${year}-12-31`);
        expect(days).toEqual(days.map((d) => ref.day(d.date)));
      }
    }
  }, SLOW);

  it('random calendar versions classify their days like the reference', () => {
    fc.assert(
      fc.property(aroundYear, ({ year, data }) => {
        const cal = new WorkingCalendar(data);
        const ref = new ReferenceCalendar(data);
        const days = cal.listDays(`${year - 1}-06-01`, `${year + 1}-06-30`);
        expect(days).toEqual(days.map((d) => ref.day(d.date)));
      }),
      { numRuns: 40 },
    );
  }, SLOW);
});
