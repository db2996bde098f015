// Vietnamese working-time calendar and deadline engine (SPEC §2). Pure: no I/O, no clock.
export * from './types.js';
export { statutoryHolidays, nationalDayAdjacent } from './holidays.js';
export { lunarYearDates, toLunar, type LunarYearDates } from './lunar.js';
export { VN_ZONE, MIN_YEAR, MAX_YEAR } from './dates.js';
export { WorkingCalendar, DEFAULT_WORKING_HOURS, DEADLINE_RULES, MAX_LIST_DAYS } from './working-calendar.js';
