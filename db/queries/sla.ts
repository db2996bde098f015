import { and, asc, count, desc, eq, gt, gte, inArray, isNull, lt, lte, or, sql, type Column, type SQL } from 'drizzle-orm';
import type { Executor } from '../client.js';
import { union } from 'drizzle-orm/pg-core';
import { slaClocks, slaOutcomeCounts, type slaOwnerKind } from '../schema/index.js';
import type { SlaClock } from '../../domain/sla/clocks.js';
import { keysetAfter } from './keyset.js';
import { plannedRows, TOTAL_EXACT_UP_TO } from './list-total.js';

export async function upsertSlaClock(
  db: Executor,
  input: { workflowId: string; process: string; caseAgency: string; stage: string; clock: SlaClock },
): Promise<void> {
  const { clock } = input;
  const row = {
    workflowId: input.workflowId,
    clockKey: clock.key,
    revision: clock.revision,
    process: input.process,
    caseAgency: input.caseAgency,
    owner: clock.owner,
    ownerKind: clock.ownerKind,
    kind: clock.kind,
    article: clock.article,
    ruleSetId: clock.ruleSetId ?? null,
    rule: clock.rule,
    stage: clock.stage,
    unit: clock.unit,
    amount: clock.amount,
    startedAt: new Date(clock.startedAt),
    dueAt: new Date(clock.dueAt),
    calendarVersion: clock.calendarVersion,
    outcome: clock.outcome,
    breachedAt: clock.breachedAt ? new Date(clock.breachedAt) : null,
    completedAt: clock.completedAt ? new Date(clock.completedAt) : null,
    completedBy: clock.completedBy ?? null,
    updatedAt: new Date(),
  };
  const { workflowId: _w, clockKey: _k, ...updatable } = row;
  await db
    .insert(slaClocks)
    .values(row)
    .onConflictDoUpdate({
      target: [slaClocks.workflowId, slaClocks.clockKey],
      set: Object.fromEntries(Object.keys(updatable).map((k) => [k, sql.raw(`excluded.${toSnake(k)}`)])),
      // A retried or reordered older revision never overwrites a newer one.
      setWhere: sql`${slaClocks.revision} < excluded.revision`,
    });
}

const toSnake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Agencies see the clocks of their own cases and the clocks they own; banks the clocks they own; supervisors see all. */
export interface Scope {
  agency?: string;
  bank?: string;
}

export function scopeFilter(scope: Scope): SQL | undefined {
  if (scope.agency) return or(eq(slaClocks.caseAgency, scope.agency), eq(slaClocks.owner, scope.agency));
  return ownedByBank(scope);
}

const ownedByBank = (scope: Scope): SQL | undefined =>
  scope.bank ? and(eq(slaClocks.owner, scope.bank), eq(slaClocks.ownerKind, 'bank')) : undefined;

/** Whose rates a caller sees: an agency or a bank its own (as owner), supervisors everyone's. */
export const rateScope = (scope: Scope): SQL | undefined => (scope.agency ? eq(slaClocks.owner, scope.agency) : ownedByBank(scope));

/**
 * A clock that counts against its owner: a regulated period. A citizen's wait (e.g. for
 * supplementation) and a project-rule period (e.g. an abandoned DVCTT loop) are shown, never counted.
 */
export const countedClock = eq(slaClocks.kind, 'regulated');
const countedBreach = and(eq(slaClocks.outcome, 'breached'), countedClock) as SQL;

/**
 * Is this case breached, and against whom: the one answer behind the breach flag of every case
 * list (`slaBreached`, and `breachOwners` = the owners of its counted breached clocks). Nested SQL,
 * so that drizzle qualifies the columns even in a single-table select (the case's `workflowId`
 * would otherwise be compared with the clock's own).
 */
export function caseBreach(workflowId: Column) {
  const breachedClocks = sql`from ${slaClocks} where ${slaClocks.workflowId} = ${workflowId} and ${countedBreach}`;
  return {
    // Not `exists (…)`: PostgreSQL may plan an EXISTS in a select list as a hashed subplan over every
    // counted breach (149,900 at 1M clocks: ~48 ms per page); a scalar subquery with `limit 1` is
    // looked up per listed row through the primary key (0.8 ms a page of 50).
    slaBreached: sql<boolean>`coalesce((${sql`select true ${breachedClocks} limit 1`}), false)`,
    breachOwners: sql<string[]>`coalesce((${sql`select array_agg(distinct ${slaClocks.owner} order by ${slaClocks.owner}) ${breachedClocks}`}), '{}')`,
  };
}

export const clockColumns = {
  workflowId: slaClocks.workflowId,
  clockKey: slaClocks.clockKey,
  process: slaClocks.process,
  caseAgency: slaClocks.caseAgency,
  owner: slaClocks.owner,
  ownerKind: slaClocks.ownerKind,
  kind: slaClocks.kind,
  article: slaClocks.article,
  ruleSetId: slaClocks.ruleSetId,
  rule: slaClocks.rule,
  stage: slaClocks.stage,
  unit: slaClocks.unit,
  amount: slaClocks.amount,
  startedAt: slaClocks.startedAt,
  dueAt: slaClocks.dueAt,
  calendarVersion: slaClocks.calendarVersion,
  outcome: slaClocks.outcome,
  breachedAt: slaClocks.breachedAt,
  completedAt: slaClocks.completedAt,
  completedBy: slaClocks.completedBy,
};

/** A keyset cursor of the breach list: the last item's breach instant, case and clock. */
export type BreachCursor = [breachedAt: string, workflowId: string, clockKey: string];
/** A keyset cursor of the due list: the last item's due instant, case and clock. */
export type DueCursor = [dueAt: string, workflowId: string, clockKey: string];

/** Where a list page starts: after a keyset cursor (issue 18.3), or an OFFSET (the older `?page`). */
export interface PageWindow<C> {
  limit: number;
  offset?: number;
  after?: C;
  /** Count every matching row (the first page's `total`); default true. */
  withTotal?: boolean;
}

/** `total` is a number unless the caller asked for none. */
type Total<W> = W extends false ? undefined : number;

/**
 * The total of a list: `filters` (without the caller's scope) within `scope`. An agency's scope is
 * "its cases or its clocks" (an OR no single index range answers): counted as the union of the two
 * index ranges, case agency and owner, each index-only, instead of filtering every breach.
 */
async function countOf<W extends boolean>(db: Executor, filters: SQL | undefined, scope: Scope, withTotal: W | undefined): Promise<{ total: Total<W>; totalEstimated: boolean }> {
  if (withTotal === false) return { total: undefined as Total<W>, totalEstimated: false };
  const key = { workflowId: slaClocks.workflowId, clockKey: slaClocks.clockKey };
  const capped = scope.agency
    ? union(
      db.select(key).from(slaClocks).where(and(filters, eq(slaClocks.caseAgency, scope.agency))),
      db.select(key).from(slaClocks).where(and(filters, eq(slaClocks.owner, scope.agency))),
    ).limit(TOTAL_EXACT_UP_TO + 1).as('capped')
    : db.select({ one: sql`1` }).from(slaClocks).where(and(filters, scopeFilter(scope))).limit(TOTAL_EXACT_UP_TO + 1).as('capped');
  const n = (await db.select({ n: count() }).from(capped))[0]?.n ?? 0;
  if (n <= TOTAL_EXACT_UP_TO) return { total: n as Total<W>, totalEstimated: false };
  const estimate = await plannedRows(db, db.select({ one: sql`1` }).from(slaClocks).where(and(filters, scopeFilter(scope))));
  return { total: Math.max(estimate, n) as Total<W>, totalEstimated: true };
}

export interface BreachFilter extends PageWindow<BreachCursor> {
  agency?: string;
  owner?: string;
  process?: string;
  article?: string;
  /** Breach instants from `from` through `to` (inclusive, like every range bound of the lists). */
  from?: Date;
  to?: Date;
  /** Only breaches whose step is still not done. */
  open?: boolean;
}

// The predicates of the list indexes' WHERE clauses, as literals: a partial index serves a query only
// when its predicate is implied by the query's, which a bound parameter (`outcome = $1`) never is
// once PostgreSQL plans the statement generically.
const countedBreachLiteral = sql`${slaClocks.outcome} = 'breached' and ${slaClocks.kind} = 'regulated'`;
const pendingLiteral = sql`${slaClocks.outcome} = 'pending' and ${slaClocks.completedAt} is null`;

/**
 * Counted breaches, newest breach first (ties: the later case and clock id first), one keyset page
 * from the breach-ordered indexes (`sla_clocks_*breach_list_idx`), with the exact count of every
 * matching breach unless `withTotal` is false (exact up to `TOTAL_EXACT_UP_TO`, then estimated).
 */
export async function listBreaches<W extends boolean = true>(db: Executor, scope: Scope, f: BreachFilter & { withTotal?: W }) {
  const filters = and(
    countedBreachLiteral,
    f.agency ? eq(slaClocks.caseAgency, f.agency) : undefined,
    f.owner ? eq(slaClocks.owner, f.owner) : undefined,
    f.process ? eq(slaClocks.process, f.process) : undefined,
    f.article ? eq(slaClocks.article, f.article) : undefined,
    f.from ? gte(slaClocks.breachedAt, f.from) : undefined,
    f.to ? lte(slaClocks.breachedAt, f.to) : undefined,
    f.open ? isNull(slaClocks.completedAt) : undefined,
  );
  const [items, counted] = await Promise.all([
    db.select(clockColumns).from(slaClocks)
      .where(and(filters, scopeFilter(scope), f.after ? keysetAfter('desc', [slaClocks.breachedAt, slaClocks.workflowId, slaClocks.clockKey], f.after, ['timestamptz']) : undefined))
      .orderBy(desc(slaClocks.breachedAt), desc(slaClocks.workflowId), desc(slaClocks.clockKey))
      .limit(f.limit).offset(f.offset ?? 0),
    countOf(db, filters, scope, f.withTotal),
  ]);
  return { items, ...counted };
}

/** The cursor after a clock of the breach list. */
export const breachCursorOf = (c: { breachedAt: Date | null; workflowId: string; clockKey: string }): BreachCursor =>
  [c.breachedAt!.toISOString(), c.workflowId, c.clockKey];

export interface DueFilter extends PageWindow<DueCursor> {
  until: Date;
  agency?: string;
  owner?: string;
  process?: string;
}

/**
 * Open (pending) clocks due at or before `until`, soonest first (ties by case and clock id): one
 * keyset page from `sla_clocks_due_list_idx`, with the count unless `withTotal` is false (as above).
 */
export async function listDueBefore<W extends boolean = true>(db: Executor, scope: Scope, f: DueFilter & { withTotal?: W }) {
  const filters = and(
    pendingLiteral,
    lte(slaClocks.dueAt, f.until),
    f.agency ? eq(slaClocks.caseAgency, f.agency) : undefined,
    f.owner ? eq(slaClocks.owner, f.owner) : undefined,
    f.process ? eq(slaClocks.process, f.process) : undefined,
  );
  const [items, counted] = await Promise.all([
    db.select(clockColumns).from(slaClocks)
      .where(and(filters, scopeFilter(scope), f.after ? keysetAfter('asc', [slaClocks.dueAt, slaClocks.workflowId, slaClocks.clockKey], f.after, ['timestamptz']) : undefined))
      .orderBy(asc(slaClocks.dueAt), asc(slaClocks.workflowId), asc(slaClocks.clockKey))
      .limit(f.limit).offset(f.offset ?? 0),
    countOf(db, filters, scope, f.withTotal),
  ]);
  return { items, ...counted };
}

/** The cursor after a clock of the due list. */
export const dueCursorOf = (c: { dueAt: Date; workflowId: string; clockKey: string }): DueCursor => [c.dueAt.toISOString(), c.workflowId, c.clockKey];

const VN_OFFSET_MS = 7 * 3_600_000;
const DAY_MS = 86_400_000;
/** 'YYYY-MM-DD' of a local (+07:00) epoch day. */
const dateOfLocalDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
/** The first day of the month of a 'YYYY-MM-DD' date, or of the month after it. */
const monthStart = (date: string, next = false) => {
  const d = new Date(`${date.slice(0, 7)}-01T00:00:00Z`);
  if (next) d.setUTCMonth(d.getUTCMonth() + 1);
  return d.toISOString().slice(0, 10);
};

/**
 * How a due range [from, to] splits for the on-time rates: the whole local months and the whole local
 * days inside it (read from `sla_outcome_counts`), and the partial days at its edges (`sla_clocks`).
 * Exported for the tests.
 */
export function rateParts(from: Date, to: Date) {
  const fromMs = from.getTime();
  const endMs = to.getTime() + 1; // `to` is inclusive
  const firstDay = Math.ceil((fromMs + VN_OFFSET_MS) / DAY_MS); // the first local day starting at or after `from`
  const endDay = Math.floor((endMs + VN_OFFSET_MS) / DAY_MS); // the first local day not ending by `to`
  if (endDay <= firstDay) return { edges: [{ from: fromMs, to: endMs }], days: [], months: undefined };
  const first = dateOfLocalDay(firstDay);
  const end = dateOfLocalDay(endDay);
  const edges = [{ from: fromMs, to: firstDay * DAY_MS - VN_OFFSET_MS }, { from: endDay * DAY_MS - VN_OFFSET_MS, to: endMs }].filter((e) => e.to > e.from);
  const monthsFrom = first.endsWith('-01') ? first : monthStart(first, true);
  const monthsTo = monthStart(end);
  if (monthsFrom >= monthsTo) return { edges, days: [{ from: first, to: end }], months: undefined };
  const days = [{ from: first, to: monthsFrom }, { from: monthsTo, to: end }].filter((d) => d.to > d.from);
  return { edges, days, months: { from: monthsFrom, to: monthsTo } };
}

/**
 * On-time rate per owner for clocks whose due instant falls in [from, to]: met / (met + breached).
 * `to` is inclusive because a plain-date bound ends at 23:59:59.999 local, the instant at which
 * day-counted clocks fall due (`api/schemas.ts`, `dateOrInstant`).
 * Pending clocks not yet due, cancelled clocks, citizen waits and project-rule clocks do not count.
 * An agency or a bank sees only its own rate.
 *
 * Whole local months and days come from `sla_outcome_counts` (kept by triggers with the clocks), the
 * partial days at the range's edges from `sla_clocks` (`sla_clocks_rates_idx`): a year of rates reads
 * a few thousand count rows instead of ~450,000 clocks at 1,000,000 (issue 18.3).
 */
export async function onTimeRates(db: Executor, scope: Scope, f: { from: Date; to: Date; process?: string }) {
  const parts = rateParts(f.from, f.to);
  const c = slaOutcomeCounts;
  const countScope = scope.agency ? eq(c.owner, scope.agency) : scope.bank ? and(eq(c.owner, scope.bank), eq(c.ownerKind, 'bank')) : undefined;
  const countRows = (grain: 'day' | 'month', ranges: { from: string; to: string }[]) =>
    sql`select ${c.owner} as owner, ${c.ownerKind} as owner_kind, ${c.met} as met, ${c.breached} as breached from ${c}
        where ${and(
          sql`${c.grain} = ${grain}`,
          or(...ranges.map((r) => and(gte(c.periodStart, r.from), lt(c.periodStart, r.to)))),
          countScope,
          f.process ? eq(c.process, f.process) : undefined,
        )}`;
  const edgeRows = sql`select ${slaClocks.owner} as owner, ${slaClocks.ownerKind} as owner_kind,
        count(*) filter (where ${slaClocks.outcome} = 'met') as met, count(*) filter (where ${slaClocks.outcome} = 'breached') as breached
      from ${slaClocks}
      where ${and(
        or(...parts.edges.map((e) => and(gte(slaClocks.dueAt, new Date(e.from)), lt(slaClocks.dueAt, new Date(e.to))))),
        sql`${slaClocks.outcome} in ('met', 'breached') and ${slaClocks.kind} = 'regulated'`,
        rateScope(scope),
        f.process ? eq(slaClocks.process, f.process) : undefined,
      )}
      group by ${slaClocks.owner}, ${slaClocks.ownerKind}`;
  const sources = [
    ...(parts.edges.length ? [edgeRows] : []),
    ...(parts.days.length ? [countRows('day', parts.days)] : []),
    ...(parts.months ? [countRows('month', [parts.months])] : []),
  ];
  const rows = (await db.execute(sql`
    select owner, owner_kind as "ownerKind", sum(met)::int as met, sum(breached)::int as breached
    from (${sql.join(sources, sql` union all `)}) as parts
    group by owner, owner_kind having sum(met) + sum(breached) > 0
    order by owner, owner_kind`)) as unknown as { owner: string; ownerKind: (typeof slaOwnerKind.enumValues)[number]; met: number; breached: number }[];
  return rows.map((r) => ({ owner: r.owner, ownerKind: r.ownerKind, met: r.met, breached: r.breached, total: r.met + r.breached, onTimeRate: r.met + r.breached === 0 ? null : r.met / (r.met + r.breached) }));
}

/**
 * Workflows with pending clocks computed on an older calendar version (candidates for
 * recomputation), optionally narrowed to a process or to given workflows.
 */
export async function workflowsWithStaleClocks(
  db: Executor,
  currentVersion: number,
  f: { process?: string; workflowIds?: string[]; after?: string; limit?: number } = {},
): Promise<string[]> {
  const rows = await db
    .selectDistinct({ workflowId: slaClocks.workflowId })
    .from(slaClocks)
    .where(and(
      eq(slaClocks.outcome, 'pending'),
      isNull(slaClocks.completedAt),
      lt(slaClocks.calendarVersion, currentVersion),
      f.process ? eq(slaClocks.process, f.process) : undefined,
      f.workflowIds ? inArray(slaClocks.workflowId, f.workflowIds) : undefined,
      f.after ? gt(slaClocks.workflowId, f.after) : undefined,
    ))
    .orderBy(asc(slaClocks.workflowId))
    .limit(f.limit ?? 1_000_000);
  return rows.map((r) => r.workflowId);
}

/**
 * The SLA gauges of `/metrics`, in one grouped query at scrape time over the clocks whose step is
 * not done (an index-only scan of `sla_clocks_open_idx`): per owner, process and kind, the pending
 * clocks and the breached ones. At most `limit` groups (owners × processes × kinds: a few hundred).
 */
export async function clockGauges(db: Executor, limit: number) {
  const open = sql<number>`count(*) filter (where ${slaClocks.outcome} = 'pending')`.mapWith(Number);
  const breached = sql<number>`count(*) filter (where ${slaClocks.outcome} = 'breached')`.mapWith(Number);
  return db
    .select({ owner: slaClocks.owner, process: slaClocks.process, kind: slaClocks.kind, open, breached })
    .from(slaClocks)
    .where(and(isNull(slaClocks.completedAt), sql`${slaClocks.outcome} <> 'cancelled'`))
    .groupBy(slaClocks.owner, slaClocks.process, slaClocks.kind)
    .orderBy(asc(slaClocks.owner), asc(slaClocks.process), asc(slaClocks.kind))
    .limit(limit);
}
