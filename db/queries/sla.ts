import { and, asc, count, desc, eq, gt, gte, inArray, isNull, lt, lte, or, sql, type Column, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Executor } from '../client.js';
import { slaClocks } from '../schema/index.js';
import type { SlaClock } from '../../domain/sla/clocks.js';
import { keysetAfter } from './keyset.js';

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
    slaBreached: sql<boolean>`exists (${sql`select 1 ${breachedClocks}`})`,
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
 * Totals are exact up to this many matching rows (counting them is an index range of at most this
 * many entries, a few milliseconds); beyond it the total is PostgreSQL's estimate, flagged
 * (`totalEstimated`): an exact count of 146,000 breaches at 1,000,000 clocks reads every one of them
 * and took 50–160 ms on the shared machine, past the 50 ms the lists must answer in (issue 18.3).
 */
export const TOTAL_EXACT_UP_TO = 10_000;

/** The planner's row estimate of a statement (EXPLAIN, no execution). */
async function plannedRows(db: Executor, query: SQLWrapper): Promise<number> {
  const rows = (await db.execute(sql`explain (format json) ${query}`)) as unknown as { 'QUERY PLAN': { Plan: { 'Plan Rows': number } }[] }[];
  return Math.round(rows[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0);
}

async function countOf<W extends boolean>(db: Executor, where: SQL | undefined, withTotal: W | undefined): Promise<{ total: Total<W>; totalEstimated: boolean }> {
  if (withTotal === false) return { total: undefined as Total<W>, totalEstimated: false };
  const capped = db.select({ one: sql`1` }).from(slaClocks).where(where).limit(TOTAL_EXACT_UP_TO + 1).as('capped');
  const n = (await db.select({ n: count() }).from(capped))[0]?.n ?? 0;
  if (n <= TOTAL_EXACT_UP_TO) return { total: n as Total<W>, totalEstimated: false };
  const estimate = await plannedRows(db, db.select({ one: sql`1` }).from(slaClocks).where(where));
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
  const where = and(
    countedBreachLiteral,
    scopeFilter(scope),
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
      .where(and(where, f.after ? keysetAfter('desc', [slaClocks.breachedAt, slaClocks.workflowId, slaClocks.clockKey], f.after, ['timestamptz']) : undefined))
      .orderBy(desc(slaClocks.breachedAt), desc(slaClocks.workflowId), desc(slaClocks.clockKey))
      .limit(f.limit).offset(f.offset ?? 0),
    countOf(db, where, f.withTotal),
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
  const where = and(
    pendingLiteral,
    lte(slaClocks.dueAt, f.until),
    scopeFilter(scope),
    f.agency ? eq(slaClocks.caseAgency, f.agency) : undefined,
    f.owner ? eq(slaClocks.owner, f.owner) : undefined,
    f.process ? eq(slaClocks.process, f.process) : undefined,
  );
  const [items, counted] = await Promise.all([
    db.select(clockColumns).from(slaClocks)
      .where(and(where, f.after ? keysetAfter('asc', [slaClocks.dueAt, slaClocks.workflowId, slaClocks.clockKey], f.after, ['timestamptz']) : undefined))
      .orderBy(asc(slaClocks.dueAt), asc(slaClocks.workflowId), asc(slaClocks.clockKey))
      .limit(f.limit).offset(f.offset ?? 0),
    countOf(db, where, f.withTotal),
  ]);
  return { items, ...counted };
}

/** The cursor after a clock of the due list. */
export const dueCursorOf = (c: { dueAt: Date; workflowId: string; clockKey: string }): DueCursor => [c.dueAt.toISOString(), c.workflowId, c.clockKey];

/**
 * On-time rate per owner for clocks whose due instant falls in [from, to]: met / (met + breached).
 * `to` is inclusive because a plain-date bound ends at 23:59:59.999 local, the instant at which
 * day-counted clocks fall due (`api/schemas.ts`, `dateOrInstant`).
 * Pending clocks not yet due, cancelled clocks, citizen waits and project-rule clocks do not count.
 * An agency or a bank sees only its own rate.
 */
export async function onTimeRates(db: Executor, scope: Scope, f: { from: Date; to: Date; process?: string }) {
  const met = sql<number>`count(*) filter (where ${slaClocks.outcome} = 'met')`.mapWith(Number);
  const breached = sql<number>`count(*) filter (where ${slaClocks.outcome} = 'breached')`.mapWith(Number);
  const rows = await db
    .select({ owner: slaClocks.owner, ownerKind: slaClocks.ownerKind, met, breached })
    .from(slaClocks)
    .where(and(
      gte(slaClocks.dueAt, f.from),
      lte(slaClocks.dueAt, f.to),
      sql`${slaClocks.outcome} in ('met', 'breached')`,
      countedClock,
      rateScope(scope),
      f.process ? eq(slaClocks.process, f.process) : undefined,
    ))
    .groupBy(slaClocks.owner, slaClocks.ownerKind)
    .orderBy(asc(slaClocks.owner));
  return rows.map((r) => ({ ...r, total: r.met + r.breached, onTimeRate: r.met + r.breached === 0 ? null : r.met / (r.met + r.breached) }));
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
