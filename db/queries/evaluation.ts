import { and, asc, desc, eq, getTableColumns, gte, inArray, isNotNull, lte, max, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../client.js';
import { cappedTotal } from './list-total.js';
import { agencies, evaluationConfigs, evaluationResults, evaluationRuns } from '../schema/index.js';
import {
  DEFAULT_EVALUATION_CONFIG,
  periodInstants,
  type AgencyEvaluation,
  type EvaluatedAgency,
  type EvaluationConfig,
  type EvaluationPeriod,
  type IndicatorCount,
  type IndicatorCounts,
  type IndicatorKey,
  type StoredEvaluationConfig,
} from '../../domain/evaluation/index.js';
import { exactInstant, keysetAfter } from './keyset.js';

// ── Indicators: one set-based statement per data source, over every agency at once ───────────

type CountRow = { agency: string } & Record<string, string | number>;

/** Rows of (agency, <indicator>_n, <indicator>_d) into the counts of each indicator named. */
function collect(counts: IndicatorCounts, rows: CountRow[], keys: IndicatorKey[]): void {
  for (const key of keys) {
    const byAgency: Record<string, IndicatorCount> = (counts[key] ??= {});
    for (const row of rows) {
      const denominator = Number(row[`${key}_d`]);
      if (denominator > 0) byAgency[row.agency] = { numerator: Number(row[`${key}_n`]), denominator };
    }
  }
}

/** The clocks an agency owns that decide four indicators, in one pass over the period's due clocks. */
const CLOCK_INDICATORS: { key: IndicatorKey; where: SQL }[] = [
  { key: 'tthcPublicationOnTime', where: sql`process = 'tthc' and clock_key = 'publish'` },
  { key: 'tthcReviewFixOnTime', where: sql`process = 'tthc-review'` },
  { key: 'dvcttTestOnTime', where: sql`process = 'dvctt'` },
  { key: 'paymentDiscrepancyOnTime', where: sql`process = 'discrepancy'` },
  { key: 'feedbackOnTime', where: sql`process = 'feedback'` },
];

/**
 * On-time rates of the agency-owned regulated clocks due in the period (met / met + breached), per
 * indicator: a clock still open past its due instant is already `breached` (SPEC §3).
 */
async function clockIndicators(db: Executor, start: string, end: string) {
  const columns = sql.join(
    CLOCK_INDICATORS.map(({ key, where }) =>
      sql`count(*) filter (where ${where} and outcome = 'met')::int as ${sql.identifier(`${key}_n`)}, count(*) filter (where ${where})::int as ${sql.identifier(`${key}_d`)}`),
    sql`, `,
  );
  return db.execute<CountRow>(sql`
    select owner as agency, ${columns}
    from sla_clocks
    where due_at >= ${start}::timestamptz and due_at < ${end}::timestamptz and outcome in ('met', 'breached') and kind = 'regulated' and owner_kind = 'agency'
      and process in ('tthc', 'tthc-review', 'dvctt', 'discrepancy', 'feedback')
    group by owner`);
}

/** Decree 63 Art 15: decisions signed in the period that were not issued late before the law took effect. */
const issuedBeforeEffect = (db: Executor, p: EvaluationPeriod) => db.execute<CountRow>(sql`
  select agency, count(*) filter (where not late_issue)::int as "tthcIssuedBeforeEffect_n", count(*)::int as "tthcIssuedBeforeEffect_d"
  from tthc_decisions where signed_on between ${p.from} and ${p.to} group by agency`);

/** TTHCs legally in force at some time in the period (their effective interval), and those of them a quality review was opened on in it (Art 24.2a). */
const dataQuality = (db: Executor, start: string, end: string) => db.execute<CountRow>(sql`
  with in_force as (
    select p.agency, count(distinct v.code)::int as n
    from tthc_versions v join tthc_procedures p on p.code = v.code
    where v.effective_from < ${end}::timestamptz and (v.effective_to is null or v.effective_to > ${start}::timestamptz)
    group by p.agency),
  reviewed as (
    select agency, count(distinct code)::int as n from tthc_reviews where opened_at >= ${start}::timestamptz and opened_at < ${end}::timestamptz group by agency)
  select i.agency, i.n - least(coalesce(r.n, 0), i.n) as "tthcDataQuality_n", i.n as "tthcDataQuality_d"
  from in_force i left join reviewed r on r.agency = i.agency`);

/** Services declared by the end of the period; those whose test passed by then (live); those of them suspended or stopped in it. */
const onlineServices = (db: Executor, start: string, end: string) => db.execute<CountRow>(sql`
  with services as (
    select s.agency, s.code,
           exists (select 1 from dvctt_rounds r
                   where r.service_code = s.code and r.outcome = 'passed' and (r.confirmation ->> 'at')::timestamptz < ${end}::timestamptz) as live
    from dvctt_services s where s.declared_at < ${end}::timestamptz),
  hit as (
    select distinct service_code from dvctt_actions where action in ('suspend', 'stop') and at >= ${start}::timestamptz and at < ${end}::timestamptz)
  select s.agency,
         count(*) filter (where s.live)::int as "dvcttLive_n", count(*)::int as "dvcttLive_d",
         count(*) filter (where s.live and h.service_code is null)::int as "dvcttNotSuspended_n", count(*) filter (where s.live)::int as "dvcttNotSuspended_d"
  from services s left join hit h on h.service_code = s.code
  group by s.agency`);

/** Days with the agency's successful payments, and those for which it uploaded its own records (Art 34.2). */
const reconciliationUploads = (db: Executor, p: EvaluationPeriod) => db.execute<CountRow>(sql`
  with days as (
    select distinct agency, txn_date from payments where status in ('debited', 'settled') and txn_date between ${p.from} and ${p.to}),
  uploaded as (
    select distinct agency, txn_date from reconciliation_uploads where source = 'agency' and txn_date between ${p.from} and ${p.to})
  select d.agency, count(u.txn_date)::int as "paymentReconciliationUploads_n", count(*)::int as "paymentReconciliationUploads_d"
  from days d left join uploaded u on u.agency = d.agency and u.txn_date = d.txn_date
  group by d.agency`);

/**
 * Items received in the period that the agency handles and that were not refused, closed for want
 * of a clarification or removed (state secrets), nor are waiting on the citizen; answered = published.
 */
const feedbackAnswered = (db: Executor, start: string, end: string) => db.execute<CountRow>(sql`
  select agency, count(*) filter (where status = 'published')::int as "feedbackAnswered_n", count(*)::int as "feedbackAnswered_d"
  from feedback_items
  where received_at >= ${start}::timestamptz and received_at < ${end}::timestamptz and status not in ('not-accepted', 'closed', 'state-secret', 'awaiting-supplement')
  group by agency`);

/**
 * Art 52 uptime: seconds of the period (up to now) times the agency's connected systems, less the
 * time its systems were down (an outage still open counts up to now).
 */
const connectionUptime = (db: Executor, start: string, end: string) => db.execute<CountRow>(sql`
  with span as (select greatest(0, extract(epoch from least(${end}::timestamptz, now()) - ${start}::timestamptz)) as s),
  systems as (select agency, count(*)::int as n from connected_systems group by agency),
  down as (
    select agency_code as agency,
           sum(extract(epoch from least(coalesce(ended_at, now()), ${end}::timestamptz, now()) - greatest(started_at, ${start}::timestamptz))) as s
    from connection_outages
    where started_at < ${end}::timestamptz and (ended_at is null or ended_at > ${start}::timestamptz)
    group by agency_code)
  select y.agency, greatest(0, y.n * span.s - coalesce(d.s, 0))::float8 as "connectionUptime_n", (y.n * span.s)::float8 as "connectionUptime_d"
  from systems y cross join span left join down d on d.agency = y.agency`);

/**
 * Art 50.2: security-server changes registered in the period (undecided and withdrawn ones left
 * out), and those registered with the notice required (neither refused nor taken as an emergency).
 */
const securityServerNotice = (db: Executor, start: string, end: string) => db.execute<CountRow>(sql`
  select agency,
         count(*) filter (where not emergency and status in ('scheduled', 'current', 'superseded'))::int as "securityServerNotice_n",
         count(*)::int as "securityServerNotice_d"
  from security_server_changes
  where registered_at >= ${start}::timestamptz and registered_at < ${end}::timestamptz and status not in ('checking', 'withdrawn')
  group by agency`);

/** Every indicator's counts for the period, per agency (an agency missing from one has no data for it). */
export async function indicatorCounts(db: Executor, period: EvaluationPeriod): Promise<IndicatorCounts> {
  // Instants as ISO text (postgres.js binds no Date inside raw SQL), cast where they are compared.
  const instants = periodInstants(period);
  const start = instants.start.toISOString();
  const end = instants.end.toISOString();
  const counts: IndicatorCounts = {};
  const [clocks, issued, quality, services, uploads, answered, uptime, notice] = await Promise.all([
    clockIndicators(db, start, end),
    issuedBeforeEffect(db, period),
    dataQuality(db, start, end),
    onlineServices(db, start, end),
    reconciliationUploads(db, period),
    feedbackAnswered(db, start, end),
    connectionUptime(db, start, end),
    securityServerNotice(db, start, end),
  ]);
  collect(counts, clocks, CLOCK_INDICATORS.map((c) => c.key));
  collect(counts, issued, ['tthcIssuedBeforeEffect']);
  collect(counts, quality, ['tthcDataQuality']);
  collect(counts, services, ['dvcttLive', 'dvcttNotSuspended']);
  collect(counts, uploads, ['paymentReconciliationUploads']);
  collect(counts, answered, ['feedbackAnswered']);
  collect(counts, uptime, ['connectionUptime']);
  collect(counts, notice, ['securityServerNotice']);
  return counts;
}

/** The agencies evaluated (Art 30.1 "bộ, ngành, địa phương"): ministries, ministry-level bodies and sectors in one group, provinces in the other. */
export async function evaluatedAgencies(db: Executor): Promise<EvaluatedAgency[]> {
  const rows = await db.select({ code: agencies.code, kind: agencies.kind }).from(agencies).orderBy(asc(agencies.code));
  return rows.map((r) => ({ code: r.code, group: r.kind === 'province' ? 'province' : 'ministry' }));
}

// ── Configuration versions ─────────────────────────────────────────────────────────────────────

const toStored = (r: typeof evaluationConfigs.$inferSelect): StoredEvaluationConfig => ({
  version: r.version, config: r.config, reason: r.reason, createdBy: r.createdBy, createdAt: r.createdAt.toISOString(),
});

/** The current (highest) version; version 1, the project default, is stored on first use. */
export async function currentEvaluationConfig(db: Executor): Promise<StoredEvaluationConfig> {
  const [latest] = await db.select().from(evaluationConfigs).orderBy(desc(evaluationConfigs.version)).limit(1);
  if (latest) return toStored(latest);
  await db.insert(evaluationConfigs)
    .values({ version: 1, config: DEFAULT_EVALUATION_CONFIG, reason: 'project default (README: Agency evaluation)', createdBy: 'system' })
    .onConflictDoNothing();
  return currentEvaluationConfig(db);
}

export async function evaluationConfigVersion(db: Executor, version: number): Promise<StoredEvaluationConfig | undefined> {
  if (version === 1) await currentEvaluationConfig(db);
  const [row] = await db.select().from(evaluationConfigs).where(eq(evaluationConfigs.version, version));
  return row ? toStored(row) : undefined;
}

export async function listEvaluationConfigs(db: Executor): Promise<StoredEvaluationConfig[]> {
  await currentEvaluationConfig(db);
  return (await db.select().from(evaluationConfigs).orderBy(desc(evaluationConfigs.version))).map(toStored);
}

/**
 * A new version on top of `basedOn` (the version its author edited): refused with the current one
 * when another version was added meanwhile, so no change silently undoes another.
 */
export async function addEvaluationConfig(
  db: Executor,
  input: { basedOn: number; config: EvaluationConfig; reason: string; createdBy: string },
): Promise<{ stored: StoredEvaluationConfig } | { conflict: number }> {
  await currentEvaluationConfig(db);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('evaluation_configs'))`);
    const [{ current } = { current: null }] = await tx.select({ current: max(evaluationConfigs.version) }).from(evaluationConfigs);
    if (current !== input.basedOn) return { conflict: current ?? 0 };
    const [row] = await tx.insert(evaluationConfigs)
      .values({ version: input.basedOn + 1, config: input.config, reason: input.reason, createdBy: input.createdBy })
      .returning();
    return { stored: toStored(row!) };
  });
}

// ── Runs and results ──────────────────────────────────────────────────────────────────────────

export type EvaluationRunRow = typeof evaluationRuns.$inferSelect;

/** Records a run once (a retry finds it): the config version it uses is fixed at the first write. */
export async function openEvaluationRun(
  db: Executor,
  run: { id: string; period: EvaluationPeriod; configVersion: number; trigger: 'schedule' | 'vpcp'; requestedBy?: string; publish: boolean },
): Promise<EvaluationRunRow> {
  await db.insert(evaluationRuns).values({
    id: run.id, periodFrom: run.period.from, periodTo: run.period.to, configVersion: run.configVersion, trigger: run.trigger,
    requestedBy: run.requestedBy ?? null, publish: run.publish, status: 'running',
  }).onConflictDoNothing();
  const [row] = await db.select().from(evaluationRuns).where(eq(evaluationRuns.id, run.id));
  return row!;
}

/** Stores a run's results (replacing any earlier attempt's) and completes it; published at the first completion when asked. */
export async function saveEvaluationResults(
  db: Executor,
  input: { runId: string; results: AgencyEvaluation[]; levels: Record<string, number> },
): Promise<EvaluationRunRow> {
  return db.transaction(async (tx) => {
    await tx.delete(evaluationResults).where(eq(evaluationResults.runId, input.runId));
    if (input.results.length > 0) {
      await tx.insert(evaluationResults).values(input.results.map((r) => ({
        runId: input.runId, agency: r.agency, agencyGroup: r.group, score: r.score, level: r.level, rank: r.rank,
        coverage: r.coverage, threshold: r.threshold, indicators: r.indicators, explanation: r.explanation,
      })));
    }
    const [row] = await tx.update(evaluationRuns).set({
      status: 'completed', agencies: input.results.length, levels: input.levels as EvaluationRunRow['levels'],
      finishedAt: sql`coalesce(${evaluationRuns.finishedAt}, now())`,
      publishedAt: sql`case when ${evaluationRuns.publish} then coalesce(${evaluationRuns.publishedAt}, now()) end`,
    }).where(eq(evaluationRuns.id, input.runId)).returning();
    return row!;
  });
}

export async function evaluationRun(db: Executor, id: string): Promise<EvaluationRunRow | undefined> {
  const [row] = await db.select().from(evaluationRuns).where(eq(evaluationRuns.id, id));
  return row;
}

/**
 * Evaluation runs, the latest start first (ties: the later id first), keyset pages after `after`
 * (issue 18.3). `startedAt` is PostgreSQL's (microseconds): the rows carry `cursorAt`, its exact
 * instant, for the next page's cursor.
 */
export async function listEvaluationRuns(db: Executor, f: { limit: number; offset: number; after?: [startedAt: string, id: string] }) {
  const [items, counted] = await Promise.all([
    db.select({ ...getTableColumns(evaluationRuns), cursorAt: exactInstant(evaluationRuns.startedAt) }).from(evaluationRuns)
      .where(f.after ? keysetAfter('desc', [evaluationRuns.startedAt, evaluationRuns.id], f.after, ['timestamptz']) : undefined)
      .orderBy(desc(evaluationRuns.startedAt), desc(evaluationRuns.id)).limit(f.limit).offset(f.offset),
    // `total` on the first page only (no cursor), exact up to 10,000, then estimated (issue 18.3).
    f.after ? undefined : cappedTotal(db, db.select({ one: sql`1` }).from(evaluationRuns)),
  ]);
  return { items, total: counted?.total, totalEstimated: counted?.totalEstimated };
}

/** The latest published run, of the year its period starts in when given. */
export async function latestPublishedRun(db: Executor, year?: number): Promise<EvaluationRunRow | undefined> {
  const [row] = await db.select().from(evaluationRuns)
    .where(and(isNotNull(evaluationRuns.publishedAt), ...(year ? [gte(evaluationRuns.periodFrom, `${year}-01-01`), lte(evaluationRuns.periodFrom, `${year}-12-31`)] : [])))
    .orderBy(desc(evaluationRuns.publishedAt), desc(evaluationRuns.id))
    .limit(1);
  return row;
}

/** A run's results: ministries then provinces, best rank first (the unclassified last), optionally some agencies only. */
export async function evaluationResultsOf(db: Executor, runId: string, agencyCodes?: string[]) {
  return db.select().from(evaluationResults)
    .where(and(eq(evaluationResults.runId, runId), ...(agencyCodes ? [inArray(evaluationResults.agency, agencyCodes)] : [])))
    .orderBy(asc(evaluationResults.agencyGroup), sql`${evaluationResults.rank} asc nulls last`, asc(evaluationResults.agency));
}

/** For the supervisor dashboard: the latest published run and its agencies' levels (no explanations). */
export async function latestPublishedLevels(db: Executor) {
  const run = await latestPublishedRun(db);
  if (!run) return undefined;
  const results = await db
    .select({ agency: evaluationResults.agency, group: evaluationResults.agencyGroup, score: evaluationResults.score, level: evaluationResults.level, rank: evaluationResults.rank })
    .from(evaluationResults)
    .where(eq(evaluationResults.runId, run.id))
    .orderBy(asc(evaluationResults.agencyGroup), sql`${evaluationResults.rank} asc nulls last`, asc(evaluationResults.agency));
  return { run, results };
}
