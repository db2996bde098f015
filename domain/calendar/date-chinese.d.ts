// Minimal typings for the part of `date-chinese` we use. The package ships an ambient
// declaration file that NodeNext resolution does not pick up (its `exports` map has no types);
// this file is part of the program through tsconfig "include".
declare module 'date-chinese' {
  export interface GregorianDate {
    year: number;
    month: number;
    day: number;
  }

  export class CalendarChinese {
    /** cycle and year are ignored when a Gregorian year is passed to toGregorian(). */
    constructor(cycle?: number, year?: number, month?: number, leap?: boolean, day?: number);
    fromGregorian(year: number, month: number, day: number): this;
    get(): [cycle: number, year: number, month: number, leap: boolean, day: number];
    /** Converts the lunar date of the lunar year that starts in Gregorian year `gyear`. */
    toGregorian(gyear: number): GregorianDate;
  }

  /** Same algorithm as the Chinese calendar, with new moons and solar terms at UTC+7. */
  export class CalendarVietnamese extends CalendarChinese {}
}
