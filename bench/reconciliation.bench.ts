/**
 * Daily three-way reconciliation (Art 34.4) of 1,000,000 transactions of one day (issue 18.2): the
 * Portal's payments, the banks' statements and the agencies' records are generated in PostgreSQL
 * (generate_series), with differences of every kind planted; then, in the same run, a bare 3-way
 * FULL OUTER JOIN count over the same rows (same work_mem) and the reconciliation the activity runs
 * (first run, re-run; the bare join before, between and after them, each run compared with its best) are timed, with what
 * each plan uses (parallel workers, JIT). Prints each figure beside its target (≤ 5 s, ≤ 2× the bare join,
 * ≤ 1 GiB), the load average, the Node process's peak RSS and the PostgreSQL backends' peak RSS
 * (VmHWM from /proc: includes the shared buffers they touched). RECON_ROWS overrides the size.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { JIT_FROM_PAYMENTS, RECONCILIATION_WORK_MEM, reconcileDay } from '../db/queries/reconciliation.js';
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
    // The reference: the three sources joined on (agency, bank, payment) and counted, nothing else,
    // with the server's planner settings (parallel workers and JIT as configured) and the same work_mem.
    const bareJoinSql = `
      select count(*)::int as n
      from (select agency, payer_bank as bank, id as payment_id from payments where txn_date = '${DAY}' and payer_bank is not null) p
      full join (select agency, bank, payment_id from reconciliation_lines where txn_date = '${DAY}' and source = 'bank') b using (agency, bank, payment_id)
      full join (select agency, bank, payment_id from reconciliation_lines where txn_date = '${DAY}' and source = 'agency') a using (agency, bank, payment_id)`;
    const withWorkMem = <T>(fn: (tx: typeof sql) => Promise<T>) =>
      sql.begin(async (tx) => {
        await tx.unsafe(`set local work_mem = '${RECONCILIATION_WORK_MEM}'`);
        return fn(tx as unknown as typeof sql);
      }) as Promise<T>;
    const bareJoin = async () => {
      const start = performance.now();
      const [{ n }] = (await withWorkMem((tx) => tx.unsafe(bareJoinSql))) as unknown as [{ n: number }];
      return { seconds: (performance.now() - start) / 1000, rows: n };
    };
    // What the bare join's plan uses: parallel workers (none: PostgreSQL 15 runs no FULL JOIN in parallel) and JIT.
    const [{ 'QUERY PLAN': [barePlan] }] = (await withWorkMem((tx) => tx.unsafe(`explain (format json) ${bareJoinSql}`))) as unknown as [{ 'QUERY PLAN': [PlanJson] }];
    const load = loadavg().map((l) => l.toFixed(2)).join(' ');
    // Bare join before, between and after the two runs: each run is compared with the best of the three.
    const bare = [await bareJoin()];
    const runs: number[] = [];
    let counts = { transactions: 0, discrepancies: 0 };
    for (let i = 0; i < 2; i++) {
      const start = performance.now();
      counts = await reconcileDay(db.db, DAY);
      runs.push((performance.now() - start) / 1000);
      bare.push(await bareJoin());
    }
    const bareBest = Math.min(...bare.map((b) => b.seconds));
    const outcomes = await sql`select outcome, sum(transactions)::int as n from reconciliation_summaries where txn_date = ${DAY} group by outcome order by outcome`;
    const [{ stored }] = (await sql`select count(*)::int as stored from reconciliation_results where txn_date = ${DAY}`) as unknown as [{ stored: number }];
    const backends = (await sql`select pid from pg_stat_activity where datname = current_database()`) as unknown as { pid: number }[];
    const backendPeak = Math.max(0, ...backends.map(({ pid }) => vmHwm(pid)));
    const best = Math.min(...runs);
    const within = (ok: boolean) => (ok ? 'met' : 'NOT met');
    report(`reconciliation (issue 18.2): ${ROWS.toLocaleString('en-US')} transactions of one day × 3 sources, ${AGENCIES} agencies × ${BANKS} banks`, {
      'load average (1, 5, 15 min) at the start': load,
      'load (generate_series, 3 sources)': `${loadSeconds.toFixed(1)} s`,
      'bare 3-way FULL OUTER JOIN count (best of 3)': `${bareBest.toFixed(2)} s (${bare.map((b) => b.seconds.toFixed(2)).join(', ')}; ${bare[0]!.rows.toLocaleString('en-US')} rows)`,
      'bare join plan': `${plannedWorkers(barePlan.Plan)} parallel workers, JIT ${barePlan.JIT ? `${barePlan.JIT.Functions} functions (${jitOptions(barePlan.JIT.Options)})` : 'off'}`,
      'reconciliation plan': `0 parallel workers (a WITH that writes is never parallel), JIT ${ROWS >= JIT_FROM_PAYMENTS ? 'on' : 'off'} (on from ${JIT_FROM_PAYMENTS.toLocaleString('en-US')} payments; no optimization, no inlining)`,
      'reconcile, first run — target ≤ 5 s': `${runs[0]!.toFixed(2)} s — ${within(runs[0]! <= 5)}`,
      'reconcile, re-run (replaces the day) — ≤ 5 s': `${runs[1]!.toFixed(2)} s — ${within(runs[1]! <= 5)}`,
      'ratio to the bare join (first, re-run) — ≤ 2×': `${(runs[0]! / bareBest).toFixed(2)}×, ${(runs[1]! / bareBest).toFixed(2)}× — ${within(Math.max(...runs) / bareBest <= 2)}`,
      'transactions per second (best run)': Math.round(counts.transactions / best),
      'transactions reconciled': counts.transactions,
      'differences found': counts.discrepancies,
      'rows written to reconciliation_results': stored,
      ...Object.fromEntries(outcomes.map((o) => [`  ${o.outcome as string}`, o.n as number])),
      'Node peak RSS (maxRSS) — ≤ 1 GiB': `${mib(process.resourceUsage().maxRSS * 1024)} — ${within(process.resourceUsage().maxRSS * 1024 <= 1024 ** 3)}`,
      'PostgreSQL backend peak RSS (VmHWM, max) — ≤ 1 GiB': backendPeak ? `${mib(backendPeak)} — ${within(backendPeak <= 1024 ** 3)}` : 'not readable (/proc)',
      'PostgreSQL work_mem (server default)': workMem,
      'work_mem of the reconciliation (SET LOCAL)': RECONCILIATION_WORK_MEM,
      'load average (1, 5, 15 min) at the end': loadavg().map((l) => l.toFixed(2)).join(' '),
    });
  } finally {
    await db.close();
  }
}

interface PlanNode {
  'Workers Planned'?: number;
  Plans?: PlanNode[];
}
interface PlanJson {
  Plan: PlanNode;
  JIT?: { Functions: number; Options: Record<string, boolean> };
}
const plannedWorkers = (node: PlanNode): number => (node['Workers Planned'] ?? 0) + (node.Plans ?? []).reduce((n, p) => n + plannedWorkers(p), 0);
const jitOptions = (options: Record<string, boolean>) => Object.entries(options).filter(([, on]) => on).map(([o]) => o.toLowerCase()).join(', ');

/** A process's peak resident set (VmHWM) in bytes, 0 when /proc does not show it (another host, another user). */
function vmHwm(pid: number): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
