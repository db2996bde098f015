/**
 * Read-back checks that are neither lost actions nor duplicates but show a process out of step
 * with its own record: reported with the figures, not counted against the run.
 */
import type postgres from 'postgres';

export interface Oddity {
  what: string;
  key: string;
}

const ODDITY_QUERIES: { what: string; sql: string }[] = [
  {
    // A case that closes with a clock still pending: the sweeper cancels it, so a step that was done
    // (and should count as met) never counts.
    what: 'clock left pending by a closed case (cancelled by the sweeper)',
    sql: `select concat_ws(' ', workflow_id, clock_key) as key from sla_clocks where completed_by like 'case %' order by 1`,
  },
  {
    // A re-run of a day re-classifies a difference, but the case opened by an earlier run keeps its
    // kind and owner (same id), or stays open for a payment that now matches.
    what: "open discrepancy case out of date with its day's report",
    sql: `select concat_ws(' ', d.id, d.kind, '→', coalesce(r.outcome::text, 'no row')) as key
            from discrepancies d
            left join reconciliation_results r on r.txn_date = d.txn_date and r.agency = d.agency and r.bank = d.bank and r.payment_id = d.payment_id and r.seq = d.seq
           where d.status = 'open' and (r.outcome is null or r.outcome::text <> d.kind) order by 1`,
  },
];

export async function findOddities(sql: postgres.Sql): Promise<Oddity[]> {
  const found: Oddity[] = [];
  for (const q of ODDITY_QUERIES) {
    for (const row of await sql.unsafe<{ key: string }[]>(q.sql)) found.push({ what: q.what, key: row.key });
  }
  return found;
}
