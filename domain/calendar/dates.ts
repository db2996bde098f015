import { DateTime, FixedOffsetZone } from 'luxon';

// Asia/Ho_Chi_Minh has been UTC+7 without DST since 1975, so a fixed offset is exact for the
// supported years and keeps results independent of the host's tz database.
export const VN_ZONE = FixedOffsetZone.instance(7 * 60);
export const MIN_YEAR = 1990;
export const MAX_YEAR = 2100;

export const DAY_MS = 86_400_000;
const VN_OFFSET_MS = 7 * 3_600_000;
/** Days since 1970-01-01 of the first and the last supported local day. */
export const FIRST_DAY = epochDayOf(MIN_YEAR, 1, 1);
export const LAST_DAY = epochDayOf(MAX_YEAR, 12, 31);

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
// An instant must carry its offset: a bare local time would be ambiguous for an audit trail.
const ISO_INSTANT_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T[\d:.,]+(Z|[+-]\d{2}(:?\d{2})?)$/i;

export function assertYear(year: number): void {
  if (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR) {
    throw new RangeError(`year ${year} outside supported range ${MIN_YEAR}-${MAX_YEAR}`);
  }
}

/** Parses a 'YYYY-MM-DD' local date (as a UTC-zoned DateTime: pure date arithmetic). */
export function parseDate(date: string): DateTime {
  const d = ISO_DATE.test(date) ? DateTime.fromISO(date, { zone: 'utc' }) : null;
  if (!d?.isValid) throw new RangeError(`invalid date '${date}', expected YYYY-MM-DD`);
  assertYear(d.year);
  return d;
}

/** Parses an ISO instant with offset into Viet Nam local time. */
export function parseInstant(instant: string): DateTime {
  const t = ISO_INSTANT_WITH_OFFSET.test(instant) ? DateTime.fromISO(instant, { setZone: true }) : null;
  if (!t?.isValid) throw new RangeError(`invalid instant '${instant}', expected ISO 8601 with offset or Z`);
  const local = t.setZone(VN_ZONE);
  assertYear(local.year);
  return local;
}

/**
 * Epoch milliseconds of an ISO instant with offset: parseInstant's instant and errors. The shape
 * the system writes (`YYYY-MM-DDTHH:mm[:ss[.fff]](Z|±HH:mm)`, as toISOString and the API do) is
 * read by hand, because luxon costs microseconds a call; anything else goes through parseInstant.
 */
export function parseInstantMs(instant: string): number {
  const ms = plainInstantMs(instant);
  if (ms === undefined) return parseInstant(instant).toMillis();
  const day = localEpochDay(ms);
  if (day < FIRST_DAY || day > LAST_DAY) assertYear(new Date(ms + VN_OFFSET_MS).getUTCFullYear());
  return ms;
}

/** The instant of a plain ISO string, or undefined when the string or a field is anything but plain. */
function plainInstantMs(s: string): number | undefined {
  if (s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':') return undefined;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  let end = 16;
  let second = 0;
  let millis = 0;
  if (s[end] === ':') {
    second = digits(s, 17, 2);
    end = 19;
    if (s[end] === '.') {
      const from = ++end;
      while (isDigit(s.charCodeAt(end))) end++;
      if (end === from || end - from > 30) return undefined;
      // Luxon reads a fraction as the floor of its float value in ms, which equals the digits
      // themselves for up to 3 of them (checked for all 1,110 such fractions).
      const count = end - from;
      millis = count <= 3 ? digits(s, from, count) * 10 ** (3 - count) : Math.floor(parseFloat(`0.${s.slice(from, end)}`) * 1000);
    }
  }
  const offset = offsetMinutesAt(s, end);
  // Written so that NaN (a non-digit) fails every test.
  const plain =
    offset !== undefined && year >= 1000 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) &&
    hour <= 23 && minute <= 59 && second <= 59;
  if (!plain) return undefined;
  return epochDayOf(year, month, day) * DAY_MS + ((hour * 60 + minute - offset) * 60 + second) * 1000 + millis;
}

/** Minutes east of UTC of the 'Z' or '±HH:mm' that ends the string at `at`. */
function offsetMinutesAt(s: string, at: number): number | undefined {
  const sign = s[at];
  if (sign === 'Z') return at === s.length - 1 ? 0 : undefined;
  if ((sign !== '+' && sign !== '-') || at !== s.length - 6 || s[at + 3] !== ':') return undefined;
  const hours = digits(s, at + 1, 2);
  const minutes = digits(s, at + 4, 2);
  if (!(hours >= 0 && minutes <= 59)) return undefined;
  return (sign === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** The number written by `count` digits at `at`, NaN if one is not a digit. */
function digits(s: string, at: number, count: number): number {
  let value = 0;
  for (let k = at; k < at + count; k++) {
    const c = s.charCodeAt(k);
    if (!isDigit(c)) return NaN;
    value = value * 10 + c - 48;
  }
  return value;
}

const isDigit = (charCode: number) => charCode >= 48 && charCode <= 57;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export function isoDate(d: DateTime): string {
  return d.toISODate()!;
}

/** Epoch milliseconds of local midnight (00:00 +07:00) of a 'YYYY-MM-DD' date. */
export function localMidnightMs(date: string): number {
  return DateTime.fromISO(date, { zone: VN_ZONE }).toMillis();
}

// Instants and dates are written by hand from small tables: Date#toISOString and luxon each cost
// more than a whole deadline look-up.
const pad = (n: number, width: number) => String(n).padStart(width, '0');
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => pad(i, 2));
/** 'HH:mm:' of every minute of a day. */
const MINUTES = Array.from({ length: 1440 }, (_, m) => `${pad(Math.floor(m / 60), 2)}:${pad(m % 60, 2)}:`);
const MILLIS = Array.from({ length: 1000 }, (_, i) => pad(i, 3));
/** Date strings of the supported days and the day on either side (UTC dates of local instants), filled on use. */
const DATES: (string | undefined)[] = new Array(LAST_DAY - FIRST_DAY + 3);

/**
 * The instant in UTC and in Viet Nam time, with milliseconds, as luxon's toISO() writes them:
 * '2026-03-03T16:59:59.999Z' and '2026-03-03T23:59:59.999+07:00' (years 1000-9999).
 */
export function formatInstant(ms: number): { utc: string; local: string } {
  const utcDay = Math.floor(ms / DAY_MS);
  const utcTime = ms - utcDay * DAY_MS;
  const nextDay = utcTime + VN_OFFSET_MS >= DAY_MS;
  const localTime = utcTime + VN_OFFSET_MS - (nextDay ? DAY_MS : 0);
  // Seconds and milliseconds read the same in both (a whole-hour offset).
  const seconds = `${TWO_DIGITS[Math.floor(utcTime / 1000) % 60]}.${MILLIS[utcTime % 1000]}`;
  return {
    utc: `${dateOfEpochDay(utcDay)}T${MINUTES[Math.floor(utcTime / 60_000)]}${seconds}Z`,
    local: `${dateOfEpochDay(nextDay ? utcDay + 1 : utcDay)}T${MINUTES[Math.floor(localTime / 60_000)]}${seconds}+07:00`,
  };
}

/** Days since 1970-01-01 of a valid 'YYYY-MM-DD' date; cheap, for adjacency checks in hot paths. */
export function epochDay(date: string): number {
  return epochDayOf(Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10)));
}

/** Days since 1970-01-01 of a Gregorian date, month 1-12 (H. Hinnant's days_from_civil: Date.UTC without its cost). */
export function epochDayOf(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear - 719_468;
}

/** 'YYYY-MM-DD' of a day since 1970-01-01 (years 1000-9999). */
export function dateOfEpochDay(day: number): string {
  const i = day - FIRST_DAY + 1;
  if (!(i >= 0 && i < DATES.length)) return civilDate(day);
  return (DATES[i] ??= civilDate(day));
}

/** H. Hinnant's civil_from_days. */
function civilDate(day: number): string {
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${year}-${TWO_DIGITS[month]}-${TWO_DIGITS[dayOfYear - Math.floor((153 * mp + 2) / 5) + 1]}`;
}

/** The Viet Nam local day (days since 1970-01-01) of an instant. */
export function localEpochDay(ms: number): number {
  return Math.floor((ms + VN_OFFSET_MS) / DAY_MS);
}

/** Epoch milliseconds of 00:00 +07:00 of a local day. */
export function localMidnightOf(day: number): number {
  return day * DAY_MS - VN_OFFSET_MS;
}
