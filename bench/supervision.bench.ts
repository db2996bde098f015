/**
 * Supervision queries on 1,000,000 SLA clocks (issue 18.3: each ≤ 50 ms): breach listing (first
 * page with its total under every filter the API takes, a deep page by keyset cursor beside the
 * same page by OFFSET, agency- and bank-scoped), due-soon (likewise) and on-time rates. The rows are
 * generated in PostgreSQL (INSERT … SELECT generate_series): 500,000 cases of two clocks over two
 * years, 58 agencies, one clock in five owned by VPCP, ~80% met, ~15% breached, ~5% cancelled,
 * recent ones pending; instants at millisecond precision, as the workflows write them. After the
 * insert, `VACUUM (ANALYZE)` (what autovacuum does to an insert-only table), so that the counts are
 * index-only scans. Each query: one warm-up, then the p50 (and max) of RUNS runs, beside the target.
 * Then the dashboard, the /metrics gauges and the consistency checker on the same rows
 * (supervision-dashboard.ts; `SUPERVISION_QUERIES_ONLY=1` stops before them).
 */
import { dropDatabase } from '../scripts/runtime.js';
import { agencies } from '../db/seed-data/agencies.js';
import { breachCursorOf, dueCursorOf, listBreaches, listDueBefore, onTimeRates, type Scope } from '../db/queries/sla.js';
import { benchDatabase, refusedOffsetRuns, report, timedRuns } from './support.js';
import { benchDashboardAndChecker } from './supervision-dashboard.js';

const ROWS = 1_000_000;
const RUNS = 7;
const DATABASE = 'dvcqg_bench_supervision';
/** Issue 18.3: every supervision list and count the API serves, at 1,000,000 clocks. */
const TARGET_MS = 50;

const timed = async (fn: () => Promise<unknown>) => (await timedRuns(fn, RUNS, TARGET_MS)).text;

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
                 date_trunc('milliseconds', now()) - make_interval(days => (g % 730)::int, mins => (h % 1440)::int) AS started,
                 date_trunc('milliseconds', now()) - make_interval(days => (g % 730)::int, mins => (h % 1440)::int) + make_interval(days => (3 + (h / 17) % 27)::int) AS due
          FROM generate_series(0, ${ROWS - 1}) AS g, LATERAL (SELECT (g::bigint * 2654435761) % 4294967296 AS h) AS x
        ) AS base
      ) AS rows`;
    const insertSeconds = (performance.now() - inserting) / 1000;
    await sql`VACUUM (ANALYZE) sla_clocks`;
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
    const page = { limit: 51 };
    const month = { from: new Date(Date.now() - 120 * 86_400_000), to: new Date(Date.now() - 90 * 86_400_000) };
    const quarter = { from: new Date(Date.now() - 180 * 86_400_000), to: new Date(Date.now() - 90 * 86_400_000) };
    const year = { from: new Date(Date.now() - 365 * 86_400_000), to: new Date() };
    // The cursor a client holds after 2,000 pages of 50 (read once, untimed): the row at offset 100,000.
    const [deep] = await listBreaches(db, all, { limit: 1, offset: 99_999, withTotal: false }).then((r) => r.items);
    const [deepBtp] = await listBreaches(db, all, { owner: 'BTP', limit: 1, offset: 1_999, withTotal: false }).then((r) => r.items);
    report(`breach listing (GET /v1/supervision/breaches), 50 per page (${RUNS} runs)`, {
      'first page + total, no filter': await timed(() => listBreaches(db, all, page)),
      'first page + total, owner = BTP': await timed(() => listBreaches(db, all, { owner: 'BTP', ...page })),
      'first page + total, owner = VPCP': await timed(() => listBreaches(db, all, { owner: 'VPCP', ...page })),
      'first page + total, agency = BTP': await timed(() => listBreaches(db, all, { agency: 'BTP', ...page })),
      'first page + total, agency BTP + one month': await timed(() => listBreaches(db, all, { agency: 'BTP', ...month, ...page })),
      'first page + total, agency BTP + article + open': await timed(() => listBreaches(db, all, { agency: 'BTP', article: 'Art 27.4', open: true, ...page })),
      'first page + total, process = feedback': await timed(() => listBreaches(db, all, { process: 'feedback', ...page })),
      'first page + total, article = Art 27.4': await timed(() => listBreaches(db, all, { article: 'Art 27.4', ...page })),
      'first page + total, one month': await timed(() => listBreaches(db, all, { ...month, ...page })),
      'first page + total, open': await timed(() => listBreaches(db, all, { open: true, ...page })),
      'first page + total, agency-scoped token (BTP)': await timed(() => listBreaches(db, { agency: 'BTP' }, page)),
      'page after 100,000 rows, keyset cursor': await timed(() => listBreaches(db, all, { limit: 51, after: breachCursorOf(deep!), withTotal: false })),
      'page after 100,000 rows, OFFSET (old ?page)': await refusedOffsetRuns(() => listBreaches(db, all, { limit: 51, offset: 100_000, withTotal: false }), RUNS),
      'owner BTP, page after 2,000 rows, cursor': await timed(() => listBreaches(db, all, { owner: 'BTP', limit: 51, after: breachCursorOf(deepBtp!), withTotal: false })),
    });
    const soon = { until: new Date(Date.now() + 10 * 86_400_000) };
    const [deepDue] = await listDueBefore(db, all, { ...soon, limit: 1, offset: 9_999, withTotal: false }).then((r) => r.items);
    report(`due soon (GET /v1/supervision/due-soon) and on-time rates (${RUNS} runs)`, {
      'due within 10 days, first page + total': await timed(() => listDueBefore(db, all, { ...soon, ...page })),
      'due within 10 days, owner VPCP': await timed(() => listDueBefore(db, all, { ...soon, owner: 'VPCP', ...page })),
      'due within 10 days, agency-scoped token (BTP)': await timed(() => listDueBefore(db, { agency: 'BTP' }, { ...soon, ...page })),
      'due within 10 days, process tthc': await timed(() => listDueBefore(db, all, { ...soon, process: 'tthc', ...page })),
      'due, page after 10,000 rows, keyset cursor': await timed(() => listDueBefore(db, all, { ...soon, limit: 51, after: dueCursorOf(deepDue!), withTotal: false })),
      'due, page after 10,000 rows, OFFSET': await timed(() => listDueBefore(db, all, { ...soon, limit: 51, offset: 10_000, withTotal: false })),
      'on-time rates, one quarter, all owners': await timed(() => onTimeRates(db, all, quarter)),
      'on-time rates, one year, all owners': await timed(() => onTimeRates(db, all, year)),
      'on-time rates, one year, process feedback': await timed(() => onTimeRates(db, all, { ...year, process: 'feedback' })),
      'on-time rates, one year, agency BTP (own)': await timed(() => onTimeRates(db, { agency: 'BTP' }, year)),
    });
    if (process.env.SUPERVISION_QUERIES_ONLY) return;
    await benchDashboardAndChecker(database);
  } finally {
    await database.close();
    // 1M rows and their indexes take space on a shared machine: the next run recreates them
    // (`SUPERVISION_KEEP_DB=1` keeps them, to look at plans by hand).
    if (!process.env.SUPERVISION_KEEP_DB) await dropDatabase(database.url.replace(/\/[^/]*$/, ''), DATABASE);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
