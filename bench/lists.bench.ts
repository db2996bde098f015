/**
 * The lists beyond supervision (issue 18.3: every list pages by keyset cursor, index-backed): each
 * list's first page with its total (no filter, then a filter), and the page after 100,000 rows by
 * keyset cursor beside the same page by OFFSET (the old `?page`). DVCTT breaches read `sla_clocks`:
 * 1,000,000 clocks (one in six of the DVCTT loop, each case a declared service, one to five rounds
 * each). The other read models get LIST_ROWS rows each (default 200,000; evaluation runs 10,000),
 * generated in PostgreSQL (INSERT … SELECT generate_series), then `VACUUM (ANALYZE)`. Each query:
 * one warm-up, then the p50 (and max) of RUNS runs, beside the 50 ms target; the load average is
 * printed beside the figures (the machine is shared).
 */
import os from 'node:os';
import { dropDatabase } from '../scripts/runtime.js';
import { agencies } from '../db/seed-data/agencies.js';
import { listAccountIssues } from '../db/queries/account.js';
import { listBreaches, roundsPerService } from '../db/queries/dvctt.js';
import { listEvaluationRuns } from '../db/queries/evaluation.js';
import { listPublishedAnswers } from '../db/queries/feedback.js';
import { listOutages, listSupportRequests } from '../db/queries/operations.js';
import { listGrants } from '../db/queries/permissions.js';
import { listPublishedDecisions, searchProcedures } from '../db/queries/tthc.js';
import { benchDatabase, refusedOffsetRuns, report, timedRuns } from './support.js';

const CLOCKS = 1_000_000;
const ROWS = Number(process.env.LIST_ROWS ?? 200_000);
const DEEP = 100_000;
const RUNS = 7;
const DATABASE = 'dvcqg_bench_lists';
const TARGET_MS = 50;
const page = { limit: 51, offset: 0 };

const timed = async (fn: () => Promise<unknown>) => (await timedRuns(fn, RUNS, TARGET_MS)).text;
const reference = (fn: () => Promise<unknown>) => refusedOffsetRuns(fn, RUNS);

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' / ');

async function main(): Promise<void> {
  const database = await benchDatabase(DATABASE);
  try {
    const { db, sql } = database;
    const codes = agencies.map((a) => a.code);
    const seeding = performance.now();
    // h: a cheap deterministic hash of g, so that the columns vary independently of each other.
    const gen = (n: number) => sql`generate_series(0, ${n - 1}) AS g, LATERAL (SELECT (g::bigint * 2654435761) % 4294967296 AS h) AS x`;
    await sql`
      INSERT INTO sla_clocks (workflow_id, clock_key, revision, process, case_agency, owner, owner_kind, article, rule, stage,
                              unit, amount, started_at, due_at, calendar_version, outcome, breached_at)
      SELECT 'case-' || (g / 2), 'step-' || (g % 2), 1, process, agency, CASE WHEN h % 5 = 0 THEN 'VPCP' ELSE agency END,
             (CASE WHEN h % 5 = 0 THEN 'vpcp' ELSE 'agency' END)::sla_owner_kind, 'Art 27.3', 'Civil Code 2015 Art 147.3', 'stage', 'workingDays', 2,
             due - interval '3 days', due, 1, (CASE WHEN h % 100 < 15 THEN 'breached' ELSE 'met' END)::sla_outcome, CASE WHEN h % 100 < 15 THEN due END
      FROM (SELECT g, h, (${codes}::text[])[1 + ((g / 2) * 7) % ${codes.length}] AS agency,
                   (ARRAY['dvctt', 'feedback', 'payment', 'reconciliation', 'tthc', 'account'])[1 + (g / 2) % 6] AS process,
                   date_trunc('milliseconds', now()) - make_interval(days => (g % 730)::int, mins => (h % 1440)::int) AS due
            FROM ${gen(CLOCKS)}) AS rows`;
    await sql`
      INSERT INTO dvctt_services (code, name, tthc_code, agency, level, declared_by, workflow_id, status)
      SELECT 'svc-' || workflow_id, 'Dịch vụ', 'T-' || workflow_id, min(case_agency), 4, 'bench', workflow_id, 'live'
      FROM sla_clocks WHERE process = 'dvctt' GROUP BY workflow_id`;
    await sql`
      INSERT INTO dvctt_rounds (service_code, round, workflow_id, outcome, proposed_at, proposed_by, clock_keys, revision)
      SELECT code, r, workflow_id, 'rejected', now(), 'bench', '{}', 1
      FROM dvctt_services, LATERAL generate_series(1, 1 + abs(hashtext(code)) % 5) AS r`;
    await sql`
      INSERT INTO account_issues (case_id, workflow_id, account_id, kind, channel, status, received_at, revision)
      SELECT 'issue-' || g, 'account-issue-' || g, 'acc-' || (h % 50000), 'complaint', 'portal',
             (ARRAY['received', 'parties-notified', 'accepted', 'resolved', 'rejected'])[1 + h % 5], now() - make_interval(mins => g::int), 1
      FROM ${gen(ROWS)}`;
    await sql`
      INSERT INTO support_requests (request_id, workflow_id, agency, kind, title, description, status, round, received_at, revision)
      SELECT 'support-' || g, 'support-request-' || g, (${codes}::text[])[1 + h % ${codes.length}], 'incident', 'Sự cố', 'Mô tả',
             (ARRAY['received', 'scheduled', 'resolved', 'closed', 'withdrawn'])[1 + (h / 7) % 5], 1, now() - make_interval(mins => g::int), 1
      FROM ${gen(ROWS)}`;
    await sql`
      INSERT INTO connection_outages (outage_id, system_id, agency_code, started_at, ended_at, detected_at, failures)
      SELECT 'outage-' || g, 'system-' || (h % 500), (${codes}::text[])[1 + (h % 500) % ${codes.length}], now() - make_interval(mins => g::int),
             now() - make_interval(mins => g::int) + interval '10 minutes', now() - make_interval(mins => g::int) + interval '3 minutes', 3
      FROM ${gen(ROWS)}`;
    await sql`
      INSERT INTO evaluation_runs (id, period_from, period_to, config_version, trigger, publish, status, started_at)
      SELECT 'evaluation-' || g, '2025-01-01', '2025-12-31', 1, 'vpcp', false, 'completed', now() - make_interval(mins => g::int)
      FROM ${gen(10_000)}`;
    await sql`
      INSERT INTO feedback_answers (item_id, agency, category, tthc_code, question, answer, received_at, published_at, published_by)
      SELECT 'answer-' || g, (${codes}::text[])[1 + h % ${codes.length}], 'tthc-not-published', 'T-' || (h % 5000), 'Câu hỏi', 'Trả lời',
             now() - make_interval(mins => g::int + 600), now() - make_interval(mins => g::int), 'bench'
      FROM ${gen(ROWS)}`;
    await sql`
      INSERT INTO tthc_decisions (id, workflow_id, revision, number, title, agency, authority_kind, signed_on, legal_effective_on, stage, items, late_issue)
      SELECT 'decision-' || g, 'tthc-decision-' || g, 1, g || '/QĐ', 'Công bố', (${codes}::text[])[1 + h % ${codes.length}], 'minister',
             current_date - (g / 100)::int, current_date - (g / 100)::int, 'published', '[]', false
      FROM ${gen(ROWS / 2)}`;
    await sql`
      INSERT INTO tthc_publications (decision_id, workflow_id, published_at, result)
      SELECT id, workflow_id, now(), jsonb_build_object('decisionId', id, 'versions', '[]'::jsonb, 'cascaded', '[]'::jsonb, 'flagged', '[]'::jsonb) FROM tthc_decisions`;
    await sql`
      INSERT INTO tthc_procedures (code, agency, current_version, status, name, field, level, implementing_agency, updated_at)
      SELECT lpad(g::text, 9, '0'), (${codes}::text[])[1 + h % ${codes.length}], 1, 'published', 'Thủ tục ' || g, 'Lĩnh vực ' || (h % 40), 'central', 'x', now()
      FROM ${gen(ROWS / 2)}`;
    await sql`
      INSERT INTO officers (agency, officer, name, registered_by)
      SELECT (${codes}::text[])[1 + g % ${codes.length}], 'officer-' || g, 'Cán bộ', 'bench' FROM generate_series(0, 19999) AS g`;
    await sql`
      INSERT INTO permission_grants (agency, officer, permission, valid_from, granted_by, reason, granted_at)
      SELECT (${codes}::text[])[1 + (h % 20000) % ${codes.length}], 'officer-' || (h % 20000), 'tthc.publish', now(), 'bench', 'phân công',
             now() - make_interval(secs => g::double precision * 1.000001)
      FROM ${gen(ROWS)}`;
    const seedSeconds = (performance.now() - seeding) / 1000;
    await sql`VACUUM (ANALYZE)`;
    report('seeded', { 'sla_clocks': CLOCKS, 'rows per other list': ROWS, 'seed (s)': seedSeconds, 'load average (1/5/15 min)': load() });

    const all = {};
    const btp = 'BTP';
    // The row at offset 100,000 of each list (read once, untimed): the cursor a client holds after 2,000 pages of 50.
    const at = async <T>(rows: Promise<{ items: T[] }>) => (await rows).items[0]!;
    const deep = { limit: 51, offset: 0 };
    const old = { limit: 51, offset: DEEP };
    const issue = await at(listAccountIssues(db, { limit: 1, offset: DEEP - 1 }));
    const support = await at(listSupportRequests(db, all, { limit: 1, offset: DEEP - 1 }));
    const outage = await at(listOutages(db, all, { limit: 1, offset: DEEP - 1 }));
    const answer = await at(listPublishedAnswers(db, { limit: 1, offset: DEEP - 1 }));
    const grant = await at(listGrants(db, { limit: 1, offset: DEEP - 1 }));
    // About 25,000 of the clocks are DVCTT breaches: the cursor after 20,000 of them.
    const breach = await at(listBreaches(db, all, { limit: 1, offset: 20_000 - 1 }));
    const procedure = await at(searchProcedures(db, { limit: 1, offset: DEEP / 2 - 1 }));
    const decision = await at(listPublishedDecisions(db, { limit: 1, offset: DEEP / 2 - 1 }));
    const ranked = await at(roundsPerService(db, all, { limit: 1, offset: 20_000 - 1 }));
    report(`lists, 50 per page (${RUNS} runs; load average ${load()})`, {
      'account issues (Art 13.1), first page + total': await timed(() => listAccountIssues(db, page)),
      'account issues, status = received': await timed(() => listAccountIssues(db, { status: 'received', ...page })),
      'account issues, after 100,000, cursor': await timed(() => listAccountIssues(db, { ...deep, after: [issue.receivedAt.toISOString(), issue.caseId] })),
      'account issues, after 100,000, OFFSET': await reference(() => listAccountIssues(db, old)),
      'support requests (Art 51), first page + total': await timed(() => listSupportRequests(db, all, page)),
      'support requests, agency-scoped (BTP)': await timed(() => listSupportRequests(db, { agency: btp }, page)),
      'support requests, after 100,000, cursor': await timed(() => listSupportRequests(db, all, { ...deep, after: [support.receivedAt.toISOString(), support.requestId] })),
      'support requests, after 100,000, OFFSET': await reference(() => listSupportRequests(db, all, old)),
      'outages (Art 52), first page + total': await timed(() => listOutages(db, all, page)),
      'outages, one system': await timed(() => listOutages(db, all, { systemId: 'system-7', ...page })),
      'outages, after 100,000, cursor': await timed(() => listOutages(db, all, { ...deep, after: [outage.startedAt.toISOString(), outage.outageId] })),
      'outages, after 100,000, OFFSET': await reference(() => listOutages(db, all, old)),
      'evaluation runs (Art 30, 10,000), first page + total': await timed(() => listEvaluationRuns(db, page)),
      'published answers (Art 45.1), first page + total': await timed(() => listPublishedAnswers(db, page)),
      'published answers, one TTHC': await timed(() => listPublishedAnswers(db, { tthcCode: 'T-42', ...page })),
      'published answers, after 100,000, cursor': await timed(() => listPublishedAnswers(db, { ...deep, after: [answer.publishedAt.toISOString(), answer.itemId] })),
      'published answers, after 100,000, OFFSET': await reference(() => listPublishedAnswers(db, old)),
      'published decisions (Art 16.5), first page + total': await timed(() => listPublishedDecisions(db, page)),
      'published decisions, agency BTP': await timed(() => listPublishedDecisions(db, { agency: btp, ...page })),
      'published decisions, after 50,000, cursor': await timed(() => listPublishedDecisions(db, { ...deep, after: [decision.signedOn, decision.id] })),
      'TTHC catalogue, first page + total': await timed(() => searchProcedures(db, page)),
      'TTHC catalogue, agency BTP': await timed(() => searchProcedures(db, { agency: btp, ...page })),
      'TTHC catalogue, after 50,000, cursor': await timed(() => searchProcedures(db, { ...deep, after: [procedure.code] })),
      'permission grants (Art 48), first page + total': await timed(() => listGrants(db, page)),
      'permission grants, one officer': await timed(() => listGrants(db, { agency: grant.agency, officer: grant.officer, ...page })),
      'permission grants, after 100,000, cursor': await timed(() => listGrants(db, { ...deep, after: [grant.cursorAt, grant.id] })),
      'DVCTT breaches (Art 28, 1M clocks), first page + total': await timed(() => listBreaches(db, all, page)),
      'DVCTT breaches, one service': await timed(() => listBreaches(db, all, { serviceCode: `svc-${breach.workflowId}`, ...page })),
      'DVCTT breaches, agency-scoped (BTP)': await timed(() => listBreaches(db, { agency: btp }, page)),
      'DVCTT breaches, after 20,000, cursor': await timed(() => listBreaches(db, all, { ...deep, after: [breach.breachedAt!.toISOString(), breach.workflowId, breach.clockKey] })),
      'DVCTT breaches, after 20,000, OFFSET': await reference(() => listBreaches(db, all, { limit: 51, offset: 20_000 })),
      'DVCTT rounds per service, first page + total': await timed(() => roundsPerService(db, all, page)),
      'DVCTT rounds per service, agency BTP': await timed(() => roundsPerService(db, { agency: btp }, page)),
      'DVCTT rounds per service, after 20,000, cursor': await timed(() => roundsPerService(db, all, { ...deep, after: [ranked.rounds, ranked.code] })),
    });
    report('load average after', { '1 / 5 / 15 min': load() });
  } finally {
    await database.close();
    if (!process.env.LISTS_KEEP_DB) await dropDatabase(database.url.replace(/\/[^/]*$/, ''), DATABASE);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
