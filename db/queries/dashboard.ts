import { and, asc, count, desc, eq, gte, inArray, isNull, lte, sql, type Column } from 'drizzle-orm';
import type { Executor } from '../client.js';
import { agencies, banks, slaClocks } from '../schema/index.js';
import { clockColumns, countedClock, rateScope, scopeFilter, type Scope } from './sla.js';

/**
 * The bucket of an instant among ascending period starts (local weeks or days, computed by the
 * caller): 1 for the first period, 0 before it. A binary search per row, far cheaper on 100,000
 * rows than converting each instant to local time. The starts are inlined (ISO instants: digits and
 * separators only), so that the grouped expression reads the same in the select list and the GROUP BY.
 */
const bucketOf = (column: Column, starts: Date[]) =>
  sql<number>`width_bucket(${column}, ${sql.raw(`array[${starts.map((d) => `'${d.toISOString()}'`).join(', ')}]::timestamptz[]`)})`.mapWith(Number);
const countWhere = (condition: ReturnType<typeof sql>) => sql<number>`count(*) filter (where ${condition})`.mapWith(Number);

/** Met and breached counted clocks per owner and week (`weeks`: their starts) of their due instant, due by `to`. */
export async function weeklyOnTime(db: Executor, scope: Scope, f: { weeks: Date[]; to: Date }) {
  const week = bucketOf(slaClocks.dueAt, f.weeks);
  return db
    .select({
      owner: slaClocks.owner,
      ownerKind: slaClocks.ownerKind,
      week,
      met: countWhere(sql`${slaClocks.outcome} = 'met'`),
      breached: countWhere(sql`${slaClocks.outcome} = 'breached'`),
    })
    .from(slaClocks)
    .where(and(gte(slaClocks.dueAt, f.weeks[0]!), lte(slaClocks.dueAt, f.to), sql`${slaClocks.outcome} in ('met', 'breached')`, countedClock, rateScope(scope)))
    .groupBy(slaClocks.owner, slaClocks.ownerKind, week);
}

/** Counted breaches per process and week (`weeks`: their starts) of the breach, breached by `to`. */
export async function weeklyBreaches(db: Executor, scope: Scope, f: { weeks: Date[]; to: Date }) {
  const week = bucketOf(slaClocks.breachedAt, f.weeks);
  return db
    .select({ process: slaClocks.process, week, breaches: count() })
    .from(slaClocks)
    .where(and(eq(slaClocks.outcome, 'breached'), countedClock, gte(slaClocks.breachedAt, f.weeks[0]!), lte(slaClocks.breachedAt, f.to), scopeFilter(scope)))
    .groupBy(slaClocks.process, week);
}

/** Pending clocks (every kind) due by `until`, per day (`days`: their starts; 0 = before the first) and process. */
export async function dueByDay(db: Executor, scope: Scope, f: { days: Date[]; until: Date }) {
  const day = bucketOf(slaClocks.dueAt, f.days);
  return db
    .select({ day, process: slaClocks.process, clocks: count() })
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
