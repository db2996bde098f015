import { describe, expect, it } from 'vitest';
import { WorkingCalendar, type DeadlineInput } from '../../../domain/calendar/index.js';

const calendar = new WorkingCalendar({ version: 3, overrides: [] });
const due = (from: string, amount: number, unit: DeadlineInput['unit']) =>
  calendar.computeDeadline({ from, amount, unit });

describe('workingDays — Civil Code 2015 Art 147.3, 148.1, 148.6', () => {
  it('10 working days after Tue 10 Feb 2026 skip the weekends and default Tết and end at 24:00 on Tue 3 Mar', () => {
    const r = due('2026-02-10T09:00:00+07:00', 10, 'workingDays');
    expect(r).toMatchObject({
      from: '2026-02-10T09:00:00+07:00',
      unit: 'workingDays',
      amount: 10,
      startDate: '2026-02-11',
      dueAt: '2026-03-03T16:59:59.999Z',
      dueLocal: '2026-03-03T23:59:59.999+07:00',
      calendarVersion: 3,
    });
    expect(r.rule).toContain('Civil Code 2015 Art 147');
    expect(r.explanation.countedDays).toEqual([
      '2026-02-11', '2026-02-12', '2026-02-13', '2026-02-23', '2026-02-24',
      '2026-02-25', '2026-02-26', '2026-02-27', '2026-03-02', '2026-03-03',
    ]);
    expect(r.explanation.skipped.map((s) => s.date)).toEqual([
      '2026-02-14', '2026-02-15', '2026-02-16', '2026-02-17', '2026-02-18',
      '2026-02-19', '2026-02-20', '2026-02-21', '2026-02-22', '2026-02-28', '2026-03-01',
    ]);
    expect(r.explanation.skipped[2]!.reasons[0]!.code).toBe('tet');
    expect(r.explanation.summary).toBe(
      '10 working day(s) after event day 2026-02-10: due at the end of 2026-03-03; ' +
        'skipped 2026-02-14..2026-02-22 (weekend, Tết); 2026-02-28..2026-03-01 (weekend)',
    );
    expect(r.explanation.summaryVi).toContain('10 ngày làm việc');
  });

  it('the event day is not counted (Art 147.3) and the day is the local (UTC+7) day of the instant', () => {
    // 17:30Z on Mon 2 Mar is 00:30 on Tue 3 Mar in Viet Nam: 1 working day → end of Wed 4 Mar.
    expect(due('2026-03-02T17:30:00Z', 1, 'workingDays').dueLocal).toBe('2026-03-04T23:59:59.999+07:00');
    expect(due('2026-03-02T16:59:59.999Z', 1, 'workingDays').dueLocal).toBe('2026-03-03T23:59:59.999+07:00');
  });

  it('a period crossing the year end skips New Year (Art 112.1a) and the weekend', () => {
    const r = due('2025-12-30T14:00:00+07:00', 5, 'workingDays');
    expect(r.explanation.countedDays).toEqual(['2025-12-31', '2026-01-02', '2026-01-05', '2026-01-06', '2026-01-07']);
    expect(r.dueAt).toBe('2026-01-07T16:59:59.999Z');
    expect(r.explanation.skipped.map((s) => s.reasons[0]!.code)).toEqual(['newYear', 'weekend', 'weekend']);
  });

  it('official make-up Saturday counts as a working day (override data)', () => {
    const cal = new WorkingCalendar({
      version: 9,
      overrides: [
        { date: '2025-04-26', kind: 'workingDay', name: 'Make-up day', nameVi: 'Ngày làm bù', source: 'fixture' },
        { date: '2025-05-02', kind: 'dayOff', name: 'Swapped day off', nameVi: 'Nghỉ hoán đổi', source: 'fixture' },
      ],
    });
    const r = cal.computeDeadline({ from: '2025-04-25T10:00:00+07:00', amount: 2, unit: 'workingDays' });
    expect(r.explanation.countedDays).toEqual(['2025-04-26', '2025-04-28']);
    const r2 = cal.computeDeadline({ from: '2025-04-29T10:00:00+07:00', amount: 1, unit: 'workingDays' });
    expect(r2.dueLocal).toBe('2025-05-05T23:59:59.999+07:00'); // 30/4, 1/5, swapped 2/5, weekend
    expect(r2.calendarVersion).toBe(9);
  });
});

describe('calendarDays — Civil Code 2015 Art 147.3, 148.1, 148.5-6', () => {
  it('9 days after Thu 26 Feb 2026 end on Sat 7 Mar, a rest day, so the period ends at the end of Mon 9 Mar', () => {
    const r = due('2026-02-26T10:00:00+07:00', 9, 'calendarDays');
    expect(r.dueAt).toBe('2026-03-09T16:59:59.999Z');
    expect(r.explanation.countedDays).toHaveLength(9);
    expect(r.explanation.countedDays.at(-1)).toBe('2026-03-07');
    expect(r.explanation.skipped.map((s) => s.date)).toEqual(['2026-03-07', '2026-03-08']);
    expect(r.explanation.summary).toContain('a rest day, so due at the end of the next working day 2026-03-09');
  });

  it('Art 44.1 style 20-day period from Mon 2 Mar 2026: day 20 is Sun 22 Mar, so due at the end of Mon 23 Mar', () => {
    expect(due('2026-03-02T08:00:00+07:00', 20, 'calendarDays').dueLocal).toBe('2026-03-23T23:59:59.999+07:00');
  });

  it('a period ending on a working day ends at 24:00 of that day, rest days inside are counted', () => {
    const r2 = due('2026-03-02T08:00:00+07:00', 3, 'calendarDays');
    expect(r2.dueLocal).toBe('2026-03-05T23:59:59.999+07:00');
    expect(r2.explanation.skipped).toEqual([]);
  });

  it('a period ending inside Tết rolls to the first working day after Tết', () => {
    expect(due('2026-02-13T09:00:00+07:00', 3, 'calendarDays').dueLocal).toBe('2026-02-23T23:59:59.999+07:00');
  });
});

describe('workingHours — Civil Code 2015 Art 147.1 with working hours 08:00-12:00, 13:00-17:00 (project rule)', () => {
  it('8 working hours from Tue 10:30 cross lunch and the night: due Wed 10:30', () => {
    const r = due('2026-03-03T10:30:00+07:00', 8, 'workingHours');
    expect(r.dueLocal).toBe('2026-03-04T10:30:00.000+07:00');
    expect(r.dueAt).toBe('2026-03-04T03:30:00.000Z');
    expect(r.explanation.countedDays).toEqual(['2026-03-03', '2026-03-04']);
  });

  it('counting from lunch time starts at 13:00; an hour ending at 12:00 is due at 12:00', () => {
    expect(due('2026-03-03T12:30:00+07:00', 1, 'workingHours').dueLocal).toBe('2026-03-03T14:00:00.000+07:00');
    expect(due('2026-03-03T11:00:00+07:00', 1, 'workingHours').dueLocal).toBe('2026-03-03T12:00:00.000+07:00');
  });

  it('an event on Friday evening starts counting on Monday 08:00 and lists the weekend as skipped', () => {
    const r = due('2026-03-06T18:00:00+07:00', 2, 'workingHours');
    expect(r.dueLocal).toBe('2026-03-09T10:00:00.000+07:00');
    expect(r.startDate).toBe('2026-03-09');
    expect(r.explanation.skipped.map((s) => s.date)).toEqual(['2026-03-07', '2026-03-08']);
  });

  it('custom working-hours windows from calendar data are used', () => {
    const cal = new WorkingCalendar({ version: 1, overrides: [], workingHours: [{ start: '07:30', end: '11:30' }, { start: '13:30', end: '16:30' }] });
    const r = cal.computeDeadline({ from: '2026-03-03T07:00:00+07:00', amount: 5, unit: 'workingHours' });
    expect(r.dueLocal).toBe('2026-03-03T14:30:00.000+07:00');
  });
});

describe('settlementDay — Regulation Art 33.4a (T+1, interbank working days)', () => {
  it('T+1 for a debit on Friday is due at the end of Monday', () => {
    const r = due('2026-03-06T15:00:00+07:00', 1, 'settlementDay');
    expect(r.dueLocal).toBe('2026-03-09T23:59:59.999+07:00');
    expect(r.rule).toContain('Art 33.4a');
    expect(r.rule).toContain('project rule');
  });

  it('T is the local day: 18:00Z Thursday is already Friday in Viet Nam', () => {
    expect(due('2026-03-05T18:00:00Z', 1, 'settlementDay').dueLocal).toBe('2026-03-09T23:59:59.999+07:00');
  });

  it('T+1 before Tết: a debit on Fri 13 Feb 2026 settles by the end of Mon 23 Feb', () => {
    const r = due('2026-02-13T10:00:00+07:00', 1, 'settlementDay');
    expect(r.dueLocal).toBe('2026-02-23T23:59:59.999+07:00');
    expect(r.explanation.summary).toBe(
      'T+1 with T = 2026-02-13: due at the end of interbank working day 2026-02-23; skipped 2026-02-14..2026-02-22 (weekend, Tết)',
    );
  });

  it('project rule: a debit on a rest day keeps that day as T (Saturday → end of Monday)', () => {
    expect(due('2026-03-07T10:00:00+07:00', 1, 'settlementDay').dueLocal).toBe('2026-03-09T23:59:59.999+07:00');
  });
});

describe('computeDue — the due instant without the explanation (the fast path)', () => {
  it('gives the due instant, rule and calendar version of computeDeadline, and no explanation', () => {
    const input: DeadlineInput = { from: '2026-02-10T09:00:00+07:00', amount: 10, unit: 'workingDays' };
    const { explanation, ...deadline } = calendar.computeDeadline(input);
    expect(explanation.countedDays).toHaveLength(10);
    expect(calendar.computeDue(input)).toStrictEqual(deadline);
    expect(deadline).toMatchObject({ startDate: '2026-02-11', dueAt: '2026-03-03T16:59:59.999Z', calendarVersion: 3 });
  });

  it('rejects what computeDeadline rejects', () => {
    expect(() => calendar.computeDue({ from: '2100-12-29T08:00:00+07:00', amount: 5, unit: 'workingDays' })).toThrow(RangeError);
    expect(() => calendar.computeDue({ from: '2026-02-30T08:00:00Z', amount: 1, unit: 'workingHours' })).toThrow(RangeError);
  });
});

describe('computeDeadline input validation', () => {
  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects amount %s with RangeError', (amount) => {
    expect(() => due('2026-03-02T08:00:00+07:00', amount, 'workingDays')).toThrow(RangeError);
    expect(() => due('2026-03-02T08:00:00+07:00', amount, 'workingHours')).toThrow(RangeError);
  });

  it.each(['2026-03-02', '2026-03-02T08:00:00', 'yesterday', '2026-02-30T08:00:00Z', '1989-12-31T12:00:00Z', '2101-01-01T00:00:00+07:00'])(
    'rejects from=%s with RangeError',
    (from) => {
      expect(() => due(from, 1, 'workingDays')).toThrow(RangeError);
    },
  );

  it('rejects an unknown unit and a deadline running past 2100-12-31', () => {
    expect(() => due('2026-03-02T08:00:00Z', 1, 'weeks' as DeadlineInput['unit'])).toThrow(RangeError);
    expect(() => due('2100-12-29T08:00:00+07:00', 5, 'workingDays')).toThrow(RangeError);
    expect(() => due('2100-12-31T08:00:00+07:00', 1, 'calendarDays')).toThrow(RangeError);
  });

  it('accepts the 1990 and 2100 edges (event on 31 Dec 1989 UTC that is 1 Jan 1990 local)', () => {
    expect(due('1989-12-31T17:00:00Z', 1, 'workingDays').dueLocal).toBe('1990-01-02T23:59:59.999+07:00');
    expect(due('2100-12-28T08:00:00+07:00', 1, 'workingDays').dueLocal).toBe('2100-12-29T23:59:59.999+07:00');
  });
});
