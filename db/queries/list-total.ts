import { sql, type SQLWrapper } from 'drizzle-orm';
import type { Executor } from '../client.js';
import { TOTAL_EXACT_UP_TO } from './sla.js';

/**
 * The `total` of a public list's first page, by the supervision lists' rule (issue 18.3): exact up to
 * `TOTAL_EXACT_UP_TO` matching rows (a count capped at one more than that, a few milliseconds),
 * beyond it PostgreSQL's row estimate of `matching`, flagged `totalEstimated`. An exact count of a
 * whole table read every row on every page (published answers 50 ms, published decisions 75 ms at
 * 200,000 / 100,000 rows), past the 50 ms the lists must answer in.
 */
export async function cappedTotal(db: Executor, matching: SQLWrapper): Promise<{ total: number; totalEstimated: boolean }> {
  const [row] = (await db.execute(sql`select count(*)::int as n from (${matching} limit ${TOTAL_EXACT_UP_TO + 1}) capped`)) as unknown as { n: number }[];
  const n = Number(row?.n ?? 0);
  if (n <= TOTAL_EXACT_UP_TO) return { total: n, totalEstimated: false };
  const plan = (await db.execute(sql`explain (format json) ${matching}`)) as unknown as { 'QUERY PLAN': { Plan: { 'Plan Rows': number } }[] }[];
  return { total: Math.max(Math.round(plan[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0), n), totalEstimated: true };
}
