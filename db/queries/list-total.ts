import { sql, type SQLWrapper } from 'drizzle-orm';
import type { Executor } from '../client.js';

/**
 * Totals are exact up to this many matching rows (counting them is an index range of at most this
 * many entries, a few milliseconds); beyond it the total is PostgreSQL's estimate, flagged
 * (`totalEstimated`): an exact count of 146,000 breaches at 1,000,000 clocks reads every one of them
 * and took 50–160 ms on the shared machine, past the 50 ms the lists must answer in (issue 18.3).
 */
export const TOTAL_EXACT_UP_TO = 10_000;

/** The planner's row estimate of a statement (EXPLAIN, no execution). */
export async function plannedRows(db: Executor, query: SQLWrapper): Promise<number> {
  const rows = (await db.execute(sql`explain (format json) ${query}`)) as unknown as { 'QUERY PLAN': { Plan: { 'Plan Rows': number } }[] }[];
  return Math.round(rows[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0);
}

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
  return { total: Math.max(await plannedRows(db, matching), n), totalEstimated: true };
}
