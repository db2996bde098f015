/** `hours` are elapsed clock hours ("giờ", e.g. Art 13.1); `workingHours` count only working time ("giờ làm việc", e.g. Art 51). */
export type DeadlineUnit = 'workingDays' | 'calendarDays' | 'workingHours' | 'settlementDay' | 'hours';

export const DEADLINE_UNITS: readonly DeadlineUnit[] = Object.freeze([
  'workingDays',
  'calendarDays',
  'workingHours',
  'settlementDay',
  'hours',
]);

/** An official yearly decision (days off, make-up working days), stored as DATA in the DB. */
export interface CalendarOverride {
  /** 'YYYY-MM-DD' local date. */
  date: string;
  /** Official day off, or make-up working day (ngày làm bù). */
  kind: 'dayOff' | 'workingDay';
  name: string;
  nameVi: string;
  /** The decision/notice it comes from. */
  source: string;
}

/** 'HH:mm' local, half-open [start, end). */
export interface WorkingHoursWindow {
  start: string;
  end: string;
}

export interface CalendarData {
  /** Calendar version id (from the DB); echoed in every result. */
  version: number;
  overrides: CalendarOverride[];
  /** Default [{08:00,12:00},{13:00,17:00}]. */
  workingHours?: WorkingHoursWindow[];
  /**
   * Gregorian years whose official Tết / 2-Sep schedule is in `overrides`. For those years the
   * statutory DEFAULT Tết span, adjacent-2-Sep day and compensation days are not generated; the
   * fixed holidays (1/1, Hùng Kings, 30/4, 1/5, 2/9) always apply.
   */
  officialYears?: number[];
}

export interface DayReason {
  /** See ReasonCode. */
  code: string;
  en: string;
  vi: string;
  source: string;
}

export type ReasonCode =
  | 'weekend'
  | 'compensation'
  | 'officialDayOff'
  | 'makeUpWorkingDay'
  | HolidayCode;

export type HolidayCode =
  | 'newYear'
  | 'tet'
  | 'hungKings'
  | 'victoryDay'
  | 'labourDay'
  | 'nationalDay'
  | 'nationalDayAdjacent';

export interface DayInfo {
  date: string;
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  weekday: number;
  working: boolean;
  /** Why the day is (not) working, most specific first; empty for an ordinary working day. */
  reasons: DayReason[];
}

export interface DeadlineInput {
  /** ISO instant with offset or Z. */
  from: string;
  amount: number;
  unit: DeadlineUnit;
}

/** A deadline without its explanation: what `computeDue` returns, index look-ups only. */
export interface Deadline {
  from: string;
  unit: DeadlineUnit;
  amount: number;
  /** First local day counted (= explanation.countedDays[0]). */
  startDate: string;
  /** ISO UTC instant, e.g. '2026-03-02T16:59:59.999Z'. */
  dueAt: string;
  /** Same instant with +07:00. */
  dueLocal: string;
  calendarVersion: number;
  /** Short legal citation of the counting rule. */
  rule: string;
}

/** A deadline with its explanation: what `computeDeadline` returns (recorded in history, shown by the API). */
export interface DeadlineResult extends Deadline {
  explanation: {
    summary: string;
    summaryVi: string;
    /**
     * Rest days passed over: for workingDays/settlementDay/workingHours every rest day between the
     * start of the period and the due day; for calendarDays the rest days the end was rolled over
     * (starting with the N-th day itself when it is a rest day).
     */
    skipped: { date: string; reasons: DayInfo['reasons'] }[];
    /** Days counted: the N working/calendar days, or the working days whose hours were consumed. */
    countedDays: string[];
  };
}

export interface StatutoryHoliday {
  date: string;
  code: HolidayCode;
  en: string;
  vi: string;
  source: string;
}
