/**
 * Supervision queries on 1,000,000 SLA clocks: breach listing (first page, by owner, by agency and
 * period, a deep page, agency-scoped) with its total, due-soon, and on-time rates. The rows are
 * generated in PostgreSQL (INSERT … SELECT generate_series): 500,000 cases of two clocks over two
 * years, 58 agencies, one clock in five owned by VPCP, ~80% met, ~15% breached, ~5% cancelled,
 * recent ones pending. Each query: one warm-up, then the p50 (and max) of RUNS runs. Then the
 * dashboard, the /metrics gauges and the consistency checker on the same rows (supervision-dashboard.ts).
 */
import { dropDatabase } from '../scripts/runtime.js';
import { agencies } from '../db/seed-data/agencies.js';
import { listBreaches, listDueBefore, onTimeRates, type Scope } from '../db/queries/sla.js';
import { benchDatabase, percentile, report } from './support.js';
import { benchDashboardAndChecker } from './supervision-dashboard.js';

const ROWS = 1_000_000;
const RUNS = 7;
const DATABASE = 'dvcqg_bench_supervision';

async function timed(fn: () => Promise<unknown>): Promise<string> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return `p50 ${percentile(samples, 50).toFixed(1)} ms   max ${samples.at(-1)!.toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const database = await benchDatabase(DATABASE);
  try {
    const { db, sql } = database;
    const codes = agencies.map((a) => a.code);
    const inserting = performance.now();
    // h: a cheap deterministic hash of g, so the columns vary independently of each other.
    await sql`
      INSERT INTO sla_clocks (workflow_id, clock_key, revision, process, case_agency, owner, owner_kind, article, rule, stage,
                              unit, amount, started_at, due_at, calendar_version, outcome, breached_at, completed_at, completed_by)
      SELECT 'bench-' || (g / 2), 'step-' || (g % 2), 1, process, agency,
             CASE WHEN vpcp THEN 'VPCP' ELSE agency END,
             (CASE WHEN vpcp THEN 'vpcp' ELSE 'agency' END)::sla_owner_kind,
             article, 'Civil Code 2015 Art 147.3, 148.1, 148.6', 'stage', 'workingDays', amount, started, due, 1,
             outcome::sla_outcome,
             CASE WHEN outcome = 'breached' THEN due END,
             CASE outcome WHEN 'met' THEN due - interval '5 hours'
                          WHEN 'breached' THEN CASE WHEN h % 4 = 0 THEN NULL ELSE due + interval '2 days' END
                          WHEN 'cancelled' THEN started + interval '1 day' END,
             CASE WHEN outcome IN ('met', 'breached') THEN 'officer-' || (h % 1000) END
      FROM (
        SELECT g, h, agency, vpcp, process, article, amount, started, due,
               CASE WHEN due > now() THEN 'pending' WHEN h % 100 < 80 THEN 'met' WHEN h % 100 < 95 THEN 'breached' ELSE 'cancelled' END AS outcome
        FROM (
          SELECT g, h,
                 (${codes}::text[])[1 + (h / 7) % ${codes.length}] AS agency,
                 h % 5 = 0 AS vpcp,
                 (ARRAY['dvctt', 'feedback', 'payment', 'reconciliation', 'tthc', 'account'])[1 + (h / 11) % 6] AS process,
                 (ARRAY['Art 27.3', 'Art 27.4', 'Art 27.5', 'Art 42.3a', 'Art 42.3b', 'Art 44.1', 'Art 33.4a'])[1 + (h / 13) % 7] AS article,
                 (2 + (h / 17) % 19)::int AS amount,
                 now() - make_interval(days => (g % 730)::int, mins => (h % 1440)::int) AS started,
                 now() - make_interval(days => (g % 730)::int, mins => (h % 1440)::int) + make_interval(days => (3 + (h / 17) % 27)::int) AS due
          FROM generate_series(0, ${ROWS - 1}) AS g, LATERAL (SELECT (g::bigint * 2654435761) % 4294967296 AS h) AS x
        ) AS base
      ) AS rows`;
    const insertSeconds = (performance.now() - inserting) / 1000;
    await sql`ANALYZE sla_clocks`;
    const [counts] = await sql<{ total: number; breached: number; pending: number }[]>`
      SELECT count(*)::int AS total, count(*) FILTER (WHERE outcome = 'breached')::int AS breached, count(*) FILTER (WHERE outcome = 'pending')::int AS pending FROM sla_clocks`;
    const [size] = await sql<{ size: string }[]>`SELECT pg_size_pretty(pg_total_relation_size('sla_clocks')) AS size`;
    report('sla_clocks', {
      rows: counts!.total,
      breached: counts!.breached,
      pending: counts!.pending,
      'table + indexes': size!.size,
      'insert … select generate_series (s)': insertSeconds,
    });

    const all: Scope = {};
    const page = { limit: 50, offset: 0 };
    const month = { from: new Date(Date.now() - 120 * 86_400_000), to: new Date(Date.now() - 90 * 86_400_000) };
    const quarter = { from: new Date(Date.now() - 180 * 86_400_000), to: new Date(Date.now() - 90 * 86_400_000) };
    const year = { from: new Date(Date.now() - 365 * 86_400_000), to: new Date() };
    report(`breach listing, 50 per page, with total (${RUNS} runs)`, {
      'first page, no filter': await timed(() => listBreaches(db, all, page)),
      'owner = BTP': await timed(() => listBreaches(db, all, { owner: 'BTP', ...page })),
      'owner = VPCP': await timed(() => listBreaches(db, all, { owner: 'VPCP', ...page })),
      'agency = BTP + one month': await timed(() => listBreaches(db, all, { agency: 'BTP', ...month, ...page })),
      'agency = BTP + article + open': await timed(() => listBreaches(db, all, { agency: 'BTP', article: 'Art 27.4', open: true, ...page })),
      'deep page (offset 100,000), no filter': await timed(() => listBreaches(db, all, { limit: 50, offset: 100_000 })),
      'agency-scoped token (BTP), first page': await timed(() => listBreaches(db, { agency: 'BTP' }, page)),
    });
    report(`due soon and on-time rates (${RUNS} runs)`, {
      'due within 10 days, all': await timed(() => listDueBefore(db, all, { until: new Date(Date.now() + 10 * 86_400_000), ...page })),
      'on-time rates, one quarter, all owners': await timed(() => onTimeRates(db, all, quarter)),
      'on-time rates, one year, all owners': await timed(() => onTimeRates(db, all, year)),
      'on-time rates, one year, process feedback': await timed(() => onTimeRates(db, all, { ...year, process: 'feedback' })),
    });
    await benchDashboardAndChecker(database);
  } finally {
    await database.close();
    // 1M rows and their indexes take space on a shared machine: the next run recreates them.
    await dropDatabase(database.url.replace(/\/[^/]*$/, ''), DATABASE);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
