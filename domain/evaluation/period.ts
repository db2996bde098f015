import { vietnamDate } from '../calendar/local-time.js';

/** An evaluation period: whole local (UTC+7) days, `from` through `to` inclusive. */
export interface EvaluationPeriod {
  from: string;
  to: string;
}

const VN_OFFSET_MS = 7 * 3_600_000;
const DAY_MS = 86_400_000;

/** The previous local calendar year of an instant: what the yearly publication covers (Art 30.3). */
export function previousYear(nowIso: string): EvaluationPeriod {
  const year = Number(vietnamDate(nowIso).slice(0, 4)) - 1;
  return { from: `${year}-01-01`, to: `${year}-12-31` };
}

/** The period as instants: [00:00 +07:00 of `from`, 00:00 +07:00 of the day after `to`). */
export function periodInstants(period: EvaluationPeriod): { start: Date; end: Date } {
  return {
    start: new Date(Date.parse(`${period.from}T00:00:00Z`) - VN_OFFSET_MS),
    end: new Date(Date.parse(`${period.to}T00:00:00Z`) - VN_OFFSET_MS + DAY_MS),
  };
}
