/**
 * Agency evaluation (Art 30) over a year of seeded data: the 34 provinces, 17 ministries and
 * ministry-level bodies and 3 sectors of the register, with (generated in PostgreSQL, INSERT …
 * SELECT generate_series) 1,000,000 SLA clocks due in 2025, 500,000 payments on 365 days with the
 * agencies' reconciliation uploads, 200,000 feedback items, 50,000 TTHCs in force with 5,000
 * decisions and 5,000 reviews, 10,000 online services (their rounds and 500 suspensions), 151
 * connected systems with 5,000 outages and 2,000 security-server changes. Timed: the indicator
 * statements (all of them, run in parallel as the activity does), then the whole evaluation as the
 * workflow's activities do it (open the run, agencies + every indicator, the pure scoring, storing
 * the results): one warm-up, then the p50 (and max) of RUNS runs.
 */
import { dropDatabase } from '../scripts/runtime.js';
import { agencies } from '../db/seed-data/agencies.js';
import { evaluatedAgencies, indicatorCounts, openEvaluationRun, saveEvaluationResults } from '../db/queries/evaluation.js';
import { DEFAULT_EVALUATION_CONFIG, evaluateAgencies, levelCounts, type EvaluationPeriod } from '../domain/evaluation/index.js';
import { benchDatabase, report, timedRuns } from './support.js';

const RUNS = 5;
const DATABASE = 'dvcqg_bench_evaluation';
const PERIOD: EvaluationPeriod = { from: '2025-01-01', to: '2025-12-31' };
const SIZES = { clocks: 1_000_000, payments: 500_000, feedback: 200_000, procedures: 50_000, decisions: 5_000, reviews: 5_000, services: 10_000, systems: 151, outages: 5_000 };

async function timed(fn: () => Promise<unknown>): Promise<{ text: string; p50: number }> {
  const { p50, max } = await timedRuns(fn, RUNS);
  return { text: `p50 ${p50.toFixed(0)} ms   max ${max.toFixed(0)} ms`, p50 };
}

async function main(): Promise<void> {
  const database = await benchDatabase(DATABASE);
  try {
    const { db, sql } = database;
    const codes = agencies.map((a) => a.code);
    const n = codes.length;
    const seeding = performance.now();
    // h: a cheap deterministic hash of g; instants spread over 2025 (UTC+7).
    await sql`
      INSERT INTO sla_clocks (workflow_id, clock_key, revision, process, case_agency, owner, owner_kind, article, rule, stage,
                              unit, amount, started_at, due_at, calendar_version, outcome, breached_at, completed_at)
      SELECT 'bench-' || g, 'step', 1, process, agency, agency, 'agency', 'Art', 'rule', 'stage', 'workingDays', 5,
             due - interval '7 days', due, 1, outcome::sla_outcome,
             CASE WHEN outcome = 'breached' THEN due END, CASE WHEN outcome = 'met' THEN due - interval '5 hours' END
      FROM (SELECT g, (${codes}::text[])[1 + (h / 7) % ${n}] AS agency,
                   (ARRAY['tthc', 'tthc-review', 'dvctt', 'discrepancy', 'feedback', 'payment'])[1 + (h / 11) % 6] AS process,
                   timestamptz '2024-12-31 17:00Z' + (h % 31536000) * interval '1 second' AS due,
                   CASE WHEN h % 100 < 85 THEN 'met' ELSE 'breached' END AS outcome
            FROM (SELECT g, (g * 2654435761) % 4294967296 AS h FROM generate_series(1, ${SIZES.clocks}) g) x) y`;
    await sql`UPDATE sla_clocks SET clock_key = 'publish' WHERE process = 'tthc'`;
    await sql`
      INSERT INTO payments (id, agency, request_ref, dossier_code, fee_type_code, amount, beneficiary_kind, beneficiary_institution,
                            beneficiary_account, beneficiary_name, status, txn_date, debited_at, revision, created_at)
      SELECT 'p' || g, (${codes}::text[])[1 + g % ${n}], 'r' || g, 'd' || g, 'LEPHI', 100000, 'treasury', 'KBNN', '7111', 'KBNN',
             (CASE WHEN g % 10 = 0 THEN 'failed' ELSE 'settled' END)::payment_status, date '2025-01-01' + (g % 365),
             timestamptz '2025-01-01 03:00Z' + (g % 365) * interval '1 day', 1, timestamptz '2025-01-01 02:00Z' + (g % 365) * interval '1 day'
      FROM generate_series(1, ${SIZES.payments}) g`;
    // Each agency uploads its records on ~9 days in 10, for 3 banks.
    await sql`
      INSERT INTO reconciliation_uploads (source, agency, bank, txn_date, line_count, format, uploaded_by)
      SELECT 'agency', a, b, date '2025-01-01' + d, 10, 'csv', 'bench'
      FROM unnest(${codes}::text[]) a, unnest(ARRAY['VCB', 'BIDV', 'CTG']) b, generate_series(0, 364) d
      WHERE (hashtext(a) + d) % 10 <> 0`;
    await sql`
      INSERT INTO feedback_items (item_id, workflow_id, receiving_agency, agency, involved_agencies, status, category, channel,
                                  sender_name, sender_address, content, round, received_at, round_started_at, revision)
      SELECT 'f' || g, 'f' || g, a, a, ARRAY[a], (ARRAY['published', 'published', 'published', 'processing', 'not-accepted', 'received'])[1 + g % 6],
             'other', 'portal', 'x', 'x', 'x', 1, ts, ts, 1
      FROM (SELECT g, (${codes}::text[])[1 + g % ${n}] AS a, timestamptz '2025-01-01 03:00Z' + (g % 31000000) * interval '1 second' AS ts
            FROM generate_series(1, ${SIZES.feedback}) g) x`;
    await sql`
      INSERT INTO tthc_procedures (code, agency, current_version, status, name, field, level, implementing_agency, updated_at)
      SELECT 't' || g, (${codes}::text[])[1 + g % ${n}], 1, 'published', 'TTHC', 'field', 'provincial', 'x', now()
      FROM generate_series(1, ${SIZES.procedures}) g`;
    await sql`
      INSERT INTO tthc_versions (code, version, status, decision_id, name, field, level, implementing_agency, components, valid_from, effective_from)
      SELECT 't' || g, 1, 'published', 'd' || (g % ${SIZES.decisions}), 'TTHC', 'field', 'provincial', 'x', '{}'::jsonb, timestamptz '2020-01-01Z', timestamptz '2020-01-01Z'
      FROM generate_series(1, ${SIZES.procedures}) g`;
    await sql`
      INSERT INTO tthc_decisions (id, workflow_id, revision, number, title, agency, authority_kind, signed_on, legal_effective_on, stage, items, late_issue)
      SELECT 'd' || g, 'd' || g, 1, g || '/QĐ', 'x', (${codes}::text[])[1 + g % ${n}], 'minister', date '2025-01-01' + (g % 365),
             date '2025-03-01' + (g % 365), 'published', '[]'::jsonb, g % 7 = 0
      FROM generate_series(1, ${SIZES.decisions}) g`;
    await sql`
      INSERT INTO tthc_reviews (id, workflow_id, revision, code, version, agency, stage, findings, rounds, opened_at)
      SELECT 'rv' || g, 'rv' || g, 1, 't' || (g * 7 % ${SIZES.procedures} + 1), 1, (${codes}::text[])[1 + (g * 7 % ${SIZES.procedures} + 1) % ${n}],
             'accepted', '[]'::jsonb, '[]'::jsonb, timestamptz '2025-01-05Z' + (g % 360) * interval '1 day'
      FROM generate_series(1, ${SIZES.reviews}) g`;
    await sql`
      INSERT INTO dvctt_services (code, name, tthc_code, agency, level, declared_by, declared_at, status)
      SELECT 's' || g, 'DVC', 't' || g, (${codes}::text[])[1 + g % ${n}], 3 + g % 2, 'bench', timestamptz '2024-06-01Z', 'live'
      FROM generate_series(1, ${SIZES.services}) g`;
    await sql`
      INSERT INTO dvctt_rounds (service_code, round, workflow_id, outcome, proposed_at, proposed_by, confirmation, clock_keys, revision)
      SELECT 's' || g, 1, 's' || g, (CASE WHEN g % 4 = 0 THEN 'failed' ELSE 'passed' END)::dvctt_round_outcome, timestamptz '2024-07-01Z', 'bench',
             jsonb_build_object('result', 'pass', 'at', '2025-0' || (1 + g % 9) || '-10T03:00:00Z', 'by', 'vpcp'), ARRAY['review'], 1
      FROM generate_series(1, ${SIZES.services}) g`;
    await sql`
      INSERT INTO dvctt_actions (service_code, seq, workflow_id, action, actor, at)
      SELECT 's' || (g * 19), 99, 's' || (g * 19), CASE WHEN g % 2 = 0 THEN 'suspend' ELSE 'stop' END, '{"userId":"vpcp","role":"vpcp"}'::jsonb,
             timestamptz '2025-10-01Z' + (g % 60) * interval '1 day'
      FROM generate_series(1, 500) g`;
    await sql`
      INSERT INTO connected_systems (system_id, workflow_id, agency, name, kind, health_url, admins, failure_threshold, interval_seconds, timeout_ms, status, revision)
      SELECT 'sys' || g, 'sys' || g, (${codes}::text[])[1 + g % ${n}], 'x', 'portal', 'http://127.0.0.1:9/', '[]'::jsonb, 3, 60, 1000, 'up', 1
      FROM generate_series(1, ${SIZES.systems}) g`;
    await sql`
      INSERT INTO connection_outages (outage_id, system_id, agency_code, started_at, ended_at, detected_at, failures)
      SELECT 'o' || g, 'sys' || (1 + g % ${SIZES.systems}), (${codes}::text[])[1 + (1 + g % ${SIZES.systems}) % ${n}],
             timestamptz '2025-01-01Z' + (g * 6151 % 31000000) * interval '1 second',
             timestamptz '2025-01-01Z' + (g * 6151 % 31000000 + 600 + g % 7200) * interval '1 second',
             timestamptz '2025-01-01Z' + (g * 6151 % 31000000) * interval '1 second', 3
      FROM generate_series(1, ${SIZES.outages}) g`;
    await sql`
      INSERT INTO security_server_changes (change_id, workflow_id, agency, server_id, address, certificate_fingerprint, contact, effective_at,
                                           registered_at, emergency, status, revision)
      SELECT 'c' || g, 'c' || g, (${codes}::text[])[1 + g % ${n}], 'ss' || (g % 300), 'https://ss', 'fp', '{}'::jsonb,
             timestamptz '2025-01-10Z' + (g % 350) * interval '1 day', timestamptz '2025-01-01Z' + (g % 350) * interval '1 day',
             g % 9 = 0, CASE WHEN g % 13 = 0 THEN 'refused' ELSE 'superseded' END, 1
      FROM generate_series(1, 2000) g`;
    await sql`ANALYZE`;
    const seeded = performance.now() - seeding;

    const groups = (await evaluatedAgencies(db)).reduce((m, a) => m.set(a.group, (m.get(a.group) ?? 0) + 1), new Map<string, number>());
    const statements = await timed(() => indicatorCounts(db, PERIOD));
    let run = 0;
    let last: ReturnType<typeof evaluateAgencies> = [];
    const whole = await timed(async () => {
      const id = `bench-${++run}`;
      await openEvaluationRun(db, { id, period: PERIOD, configVersion: 1, trigger: 'vpcp', publish: true });
      const [evaluated, counts] = await Promise.all([evaluatedAgencies(db), indicatorCounts(db, PERIOD)]);
      last = evaluateAgencies(evaluated, counts, DEFAULT_EVALUATION_CONFIG);
      await saveEvaluationResults(db, { runId: id, results: last, levels: levelCounts(last) });
    });
    const [stored] = await sql<{ n: number }[]>`select count(*)::int as n from evaluation_results where run_id = ${`bench-${run}`}`;

    report('Agency evaluation (Art 30): a year (2025) of seeded data', {
      agencies: `${groups.get('province') ?? 0} provinces, ${groups.get('ministry') ?? 0} ministries, ministry-level bodies and sectors`,
      data: `${SIZES.clocks.toLocaleString('en')} clocks, ${SIZES.payments.toLocaleString('en')} payments, ${SIZES.feedback.toLocaleString('en')} feedback items, ${SIZES.procedures.toLocaleString('en')} TTHCs, ${SIZES.services.toLocaleString('en')} services, ${SIZES.outages.toLocaleString('en')} outages, 2,000 security-server changes`,
      'seeding (not timed below)': `${(seeded / 1000).toFixed(1)} s`,
      'every indicator statement (8, in parallel)': statements.text,
      'whole evaluation: open run, data, scoring, store results': `${whole.text}   (target: seconds)`,
      'levels of the last run': JSON.stringify(levelCounts(last)),
      'results stored by the last run': stored?.n ?? 0,
    });
  } finally {
    await database.close();
    await dropDatabase(database.url.replace(/\/[^/]*$/, ''), DATABASE);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
