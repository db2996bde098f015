/**
 * Daily three-way reconciliation (Art 34.4) of 1,000,000 transactions of one day: the Portal's
 * payments, the banks' statements and the agencies' records are generated in PostgreSQL
 * (generate_series), with differences of every kind planted; then the one set-based statement
 * that the reconciliation activity runs is timed. Prints seconds, rows per second, the Node
 * process's peak memory and PostgreSQL's work_mem. RECON_ROWS overrides the size.
 */
import { RECONCILIATION_WORK_MEM, reconcileDay } from '../db/queries/reconciliation.js';
import { benchDatabase, mib, report } from './support.js';

const ROWS = Number(process.env.RECON_ROWS ?? 1_000_000);
const DAY = '2026-03-03';
const AGENCIES = 34;
const BANKS = 12;

async function main(): Promise<void> {
  const db = await benchDatabase('dvcqg_bench_reconciliation');
  const { sql } = db;
  try {
    const t0 = performance.now();
    // Portal: ROWS successful payments spread over agencies × banks.
    await sql`
      insert into payments (id, agency, request_ref, dossier_code, fee_type_code, amount, beneficiary_kind, beneficiary_institution,
        beneficiary_account, beneficiary_name, payer_bank, bank_txn_ref, status, txn_date, revision, created_at)
      select 'P' || g, 'A' || (g % ${AGENCIES}), 'r' || g, 'D' || g, 'F' || (g % 7), 10000 + (g % 500) * 1000, 'treasury', 'KBNN', '7111', 'KBNN',
        'B' || (g % ${BANKS}), 'T' || g, 'settled', ${DAY}::date, 1, now()
      from generate_series(1, ${ROWS}) g`;
    // Banks and agencies: the same transactions, minus / plus planted differences (about 0.1% each kind).
    await sql`
      insert into reconciliation_lines (source, agency, bank, txn_date, payment_id, bank_txn_ref, amount, status, fee_type_code)
      select 'bank', 'A' || (g % ${AGENCIES}), 'B' || (g % ${BANKS}), ${DAY}::date, 'P' || g, 'T' || g,
        10000 + (g % 500) * 1000 + case when g % 1000 = 3 then 5000 else 0 end,
        (case when g % 1000 = 5 then 'failed' else 'success' end)::reconciliation_line_status, 'F' || (g % 7)
      from generate_series(1, ${ROWS}) g where g % 1000 <> 1`;
    await sql`
      insert into reconciliation_lines (source, agency, bank, txn_date, payment_id, bank_txn_ref, amount, status, fee_type_code)
      select 'bank', 'A' || (g % ${AGENCIES}), 'B' || (g % ${BANKS}), ${DAY}::date, 'P' || g, 'T' || g || '-dup', 10000 + (g % 500) * 1000, 'success', 'F' || (g % 7)
      from generate_series(1, ${ROWS}) g where g % 1000 = 6`;
    await sql`
      insert into reconciliation_lines (source, agency, bank, txn_date, payment_id, bank_txn_ref, amount, status, fee_type_code)
      select 'agency', 'A' || (g % ${AGENCIES}), 'B' || (g % ${BANKS}), ${DAY}::date, 'P' || g, 'T' || g,
        10000 + (g % 500) * 1000 + case when g % 1000 = 4 then 1 else 0 end, 'success', 'F' || (g % 7)
      from generate_series(1, ${ROWS}) g where g % 1000 <> 2`;
    // Every agency × bank uploaded its day (Art 34.2): otherwise the day is awaiting upload, not reconciled.
    await sql`
      insert into reconciliation_uploads (source, agency, bank, txn_date, line_count, format, uploaded_by)
      select s.source::reconciliation_source, 'A' || a, 'B' || b, ${DAY}::date, 0, 'csv', 'bench'
      from generate_series(0, ${AGENCIES - 1}) a cross join generate_series(0, ${BANKS - 1}) b cross join (values ('bank'), ('agency')) s(source)`;
    await sql`analyze payments`;
    await sql`analyze reconciliation_lines`;
    const loadSeconds = (performance.now() - t0) / 1000;

    const [{ work_mem: workMem }] = (await sql`show work_mem`) as unknown as [{ work_mem: string }];
    const runs: number[] = [];
    let counts = { transactions: 0, discrepancies: 0 };
    for (let i = 0; i < 2; i++) {
      const start = performance.now();
      counts = await reconcileDay(db.db, DAY);
      runs.push((performance.now() - start) / 1000);
    }
    const outcomes = await sql`select outcome, count(*)::int as n from reconciliation_results where txn_date = ${DAY} group by outcome order by outcome`;
    const best = Math.min(...runs);
    report(`reconciliation: ${ROWS.toLocaleString('en-US')} transactions of one day × 3 sources, ${AGENCIES} agencies × ${BANKS} banks`, {
      'load (generate_series, 3 sources)': `${loadSeconds.toFixed(1)} s`,
      'reconcile: one INSERT … SELECT (first run)': `${runs[0]!.toFixed(2)} s`,
      'reconcile: re-run (replaces the day)': `${runs[1]!.toFixed(2)} s`,
      'transactions per second (best run)': Math.round(counts.transactions / best),
      'result rows': counts.transactions,
      'differences found': counts.discrepancies,
      ...Object.fromEntries(outcomes.map((o) => [`  ${o.outcome as string}`, o.n as number])),
      'Node peak RSS (maxRSS)': mib(process.resourceUsage().maxRSS * 1024),
      'PostgreSQL work_mem (server default)': workMem,
      'work_mem of the reconciliation (SET LOCAL)': RECONCILIATION_WORK_MEM,
    });
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
