import { and, asc, count, desc, eq, gte, inArray, isNull, lte, sql, type Column, type SQL } from 'drizzle-orm';
import type { Executor } from '../client.js';
import { agencies, banks, slaClocks } from '../schema/index.js';
import { clockColumns, countedClock, rateScope, scopeFilter, type Scope } from './sla.js';

/**
 * Weeks and days are counted in local time (Asia/Ho_Chi_Minh), Monday first: rows are grouped by the
 * truncated local timestamp (cheap), which is then formatted once per group.
 */
const truncLocal = (unit: 'week' | 'day', column: Column) => sql`date_trunc(${sql.raw(`'${unit}'`)}, ${column} at time zone 'Asia/Ho_Chi_Minh')`;
const formatted = (key: SQL) => sql<string>`to_char(${key}, 'YYYY-MM-DD')`;
const countWhere = (condition: ReturnType<typeof sql>) => sql<number>`count(*) filter (where ${condition})`.mapWith(Number);

/** Met and breached counted clocks per owner and local week of their due instant, due in [from, to]. */
export async function weeklyOnTime(db: Executor, scope: Scope, f: { from: Date; to: Date }) {
  const week = truncLocal('week', slaClocks.dueAt);
  return db
    .select({
      owner: slaClocks.owner,
      ownerKind: slaClocks.ownerKind,
      week: formatted(week),
      met: countWhere(sql`${slaClocks.outcome} = 'met'`),
      breached: countWhere(sql`${slaClocks.outcome} = 'breached'`),
    })
    .from(slaClocks)
    .where(and(gte(slaClocks.dueAt, f.from), lte(slaClocks.dueAt, f.to), sql`${slaClocks.outcome} in ('met', 'breached')`, countedClock, rateScope(scope)))
    .groupBy(slaClocks.owner, slaClocks.ownerKind, week);
}

/** Counted breaches per process and local week of the breach, breached in [from, to]. */
export async function weeklyBreaches(db: Executor, scope: Scope, f: { from: Date; to: Date }) {
  const week = truncLocal('week', slaClocks.breachedAt);
  return db
    .select({ process: slaClocks.process, week: formatted(week), breaches: count() })
    .from(slaClocks)
    .where(and(eq(slaClocks.outcome, 'breached'), countedClock, gte(slaClocks.breachedAt, f.from), lte(slaClocks.breachedAt, f.to), scopeFilter(scope)))
    .groupBy(slaClocks.process, week);
}

/** Pending clocks (every kind) due by `until`, per local day and process. */
export async function dueByDay(db: Executor, scope: Scope, f: { until: Date }) {
  const day = truncLocal('day', slaClocks.dueAt);
  return db
    .select({ day: formatted(day), process: slaClocks.process, clocks: count() })
    .from(slaClocks)
    .where(and(eq(slaClocks.outcome, 'pending'), isNull(slaClocks.completedAt), lte(slaClocks.dueAt, f.until), scopeFilter(scope)))
    .groupBy(day, slaClocks.process);
}

/** The latest counted breaches (no total: the charts give the counts). */
export async function latestBreaches(db: Executor, scope: Scope, limit: number) {
  return db
    .select(clockColumns)
    .from(slaClocks)
    .where(and(eq(slaClocks.outcome, 'breached'), countedClock, scopeFilter(scope)))
    .orderBy(desc(slaClocks.breachedAt), asc(slaClocks.workflowId), asc(slaClocks.clockKey))
    .limit(limit);
}

/** The open (pending) clocks due soonest, by `until`. */
export async function soonestDue(db: Executor, scope: Scope, f: { until: Date; limit: number }) {
  return db
    .select(clockColumns)
    .from(slaClocks)
    .where(and(eq(slaClocks.outcome, 'pending'), isNull(slaClocks.completedAt), lte(slaClocks.dueAt, f.until), scopeFilter(scope)))
    .orderBy(asc(slaClocks.dueAt), asc(slaClocks.workflowId), asc(slaClocks.clockKey))
    .limit(f.limit);
}

/**
 * Counted breaches whose step is still not done, the longest overdue first (a breach happens at its
 * due instant, so the oldest breach is the one most days late).
 */
export async function longestOpenBreaches(db: Executor, scope: Scope, limit: number) {
  return db
    .select(clockColumns)
    .from(slaClocks)
    .where(and(eq(slaClocks.outcome, 'breached'), countedClock, isNull(slaClocks.completedAt), scopeFilter(scope)))
    .orderBy(asc(slaClocks.breachedAt), asc(slaClocks.workflowId), asc(slaClocks.clockKey))
    .limit(limit);
}

/** Names (Vietnamese, English) of agencies and banks by code, for the codes given. */
export async function partyNames(db: Executor, codes: string[]): Promise<Map<string, { nameVi: string; name: string }>> {
  const unique = [...new Set(codes)];
  if (unique.length === 0) return new Map();
  const [agencyRows, bankRows] = await Promise.all([
    db.select({ code: agencies.code, name: agencies.name, nameVi: agencies.nameVi }).from(agencies).where(inArray(agencies.code, unique)),
    db.select({ code: banks.code, name: banks.name, nameVi: banks.nameVi }).from(banks).where(inArray(banks.code, unique)),
  ]);
  return new Map([...bankRows, ...agencyRows].map((r) => [r.code, { nameVi: r.nameVi, name: r.name }]));
}
