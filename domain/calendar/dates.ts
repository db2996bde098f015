import { DateTime, FixedOffsetZone } from 'luxon';

// Asia/Ho_Chi_Minh has been UTC+7 without DST since 1975, so a fixed offset is exact for the
// supported years and keeps results independent of the host's tz database.
export const VN_ZONE = FixedOffsetZone.instance(7 * 60);
export const MIN_YEAR = 1990;
export const MAX_YEAR = 2100;

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

export function isoDate(d: DateTime): string {
  return d.toISODate()!;
}

/** Epoch milliseconds of local midnight (00:00 +07:00) of a 'YYYY-MM-DD' date. */
export function localMidnightMs(date: string): number {
  return DateTime.fromISO(date, { zone: VN_ZONE }).toMillis();
}

export function formatInstant(ms: number): { utc: string; local: string } {
  const t = DateTime.fromMillis(ms, { zone: 'utc' });
  return { utc: t.toISO()!, local: t.setZone(VN_ZONE).toISO()! };
}

/** Days since 1970-01-01 of a valid 'YYYY-MM-DD' date; cheap, for adjacency checks in hot paths. */
export function epochDay(date: string): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / 86_400_000;
}
