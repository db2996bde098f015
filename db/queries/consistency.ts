import { and, asc, desc, eq, gt, gte, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Executor } from '../client.js';
import { cappedTotal } from './list-total.js';
import { consistencyFindings, consistencyRuns, slaClocks } from '../schema/index.js';
import { countedClock } from './sla.js';

/** What `sla_clocks` says about one case: the facts Temporal's visibility also carries. */
export interface CaseProjection {
  workflowId: string;
  /** Clocks still pending (not done, not cancelled). */
  pending: number;
  /** The earliest due instant of those (visibility: DvcqgNextDueAt). */
  nextDueAt: Date | null;
  /** Owners of counted breaches, sorted (visibility: DvcqgBreachOwners; DvcqgSlaBreached = any). */
  breachOwners: string[];
}

const isPending = sql`${slaClocks.outcome} = 'pending' and ${slaClocks.completedAt} is null`;

const caseColumns = {
  workflowId: slaClocks.workflowId,
  pending: sql<number>`count(*) filter (where ${isPending})`.mapWith(Number),
  nextDueAt: sql<Date | null>`min(${slaClocks.dueAt}) filter (where ${isPending})`.mapWith(slaClocks.dueAt),
  breachOwners: sql<string[]>`coalesce(array_agg(distinct ${slaClocks.owner} order by ${slaClocks.owner}) filter (where ${slaClocks.outcome} = 'breached' and ${countedClock}), '{}')`,
};

/**
 * The next `limit` cases after `after` in workflow-id order (keyset on the primary key, so each
 * batch costs the same wherever it starts), narrowed to ids starting with `prefix` (an id sorts
 * after its prefix, so the index scan starts there).
 */
export async function caseProjectionsAfter(db: Executor, f: { after: string; prefix: string; limit: number }): Promise<CaseProjection[]> {
  return db
    .select(caseColumns)
    .from(slaClocks)
    .where(and(
      gt(slaClocks.workflowId, f.after),
      f.prefix ? and(gte(slaClocks.workflowId, f.prefix), sql`starts_with(${slaClocks.workflowId}, ${f.prefix})`) : undefined,
    ))
    .groupBy(slaClocks.workflowId)
    .orderBy(asc(slaClocks.workflowId))
    .limit(f.limit);
}

export async function caseProjectionsOf(db: Executor, workflowIds: string[]): Promise<CaseProjection[]> {
  if (workflowIds.length === 0) return [];
  return db.select(caseColumns).from(slaClocks).where(inArray(slaClocks.workflowId, workflowIds)).groupBy(slaClocks.workflowId);
}

/** Every clock row of a case, with its revision (to compare with the workflow's own clocks). */
export async function clockRowsOf(db: Executor, workflowId: string) {
  return db
    .select({
      clockKey: slaClocks.clockKey,
      revision: slaClocks.revision,
      process: slaClocks.process,
      caseAgency: slaClocks.caseAgency,
      stage: slaClocks.stage,
      owner: slaClocks.owner,
      kind: slaClocks.kind,
      outcome: slaClocks.outcome,
      dueAt: slaClocks.dueAt,
      breachedAt: slaClocks.breachedAt,
      completedAt: slaClocks.completedAt,
    })
    .from(slaClocks)
    .where(eq(slaClocks.workflowId, workflowId));
}
export type ClockRow = Awaited<ReturnType<typeof clockRowsOf>>[number];

/** Removes one clock row (before the workflow's own version replaces a row whose revision ran ahead of it). */
export async function deleteClockRow(db: Executor, workflowId: string, clockKey: string): Promise<void> {
  await db.delete(slaClocks).where(and(eq(slaClocks.workflowId, workflowId), eq(slaClocks.clockKey, clockKey)));
}

/** A pending row of a clock the case no longer keeps: cancelled, with the reason, as a newer revision. */
export async function cancelClockRow(db: Executor, workflowId: string, clockKey: string, reason: string): Promise<void> {
  await db
    .update(slaClocks)
    .set({ outcome: 'cancelled', completedAt: new Date(), completedBy: reason, revision: sql`${slaClocks.revision} + 1`, updatedAt: new Date() })
    .where(and(eq(slaClocks.workflowId, workflowId), eq(slaClocks.clockKey, clockKey), eq(slaClocks.outcome, 'pending'), isNull(slaClocks.completedAt)));
}

// ---- runs and findings ------------------------------------------------------------------------

export type ConsistencyRun = typeof consistencyRuns.$inferSelect;
export type NewConsistencyRun = Omit<typeof consistencyRuns.$inferInsert, 'id' | 'findingsKept'>;
export type ConsistencyFinding = Omit<typeof consistencyFindings.$inferInsert, 'runId' | 'seq'>;

export async function latestConsistencyRun(db: Executor, scope: string): Promise<ConsistencyRun | undefined> {
  const [row] = await db.select().from(consistencyRuns).where(eq(consistencyRuns.scope, scope)).orderBy(desc(consistencyRuns.id)).limit(1);
  return row;
}

/**
 * Records a run and (at most `keep` of) its findings in one transaction, and forgets the scope's runs
 * older than its `history` latest ones (their findings with them); returns the run id.
 */
export async function saveConsistencyRun(db: Executor, run: NewConsistencyRun, findings: ConsistencyFinding[], keep: number, history: number): Promise<number> {
  return db.transaction(async (tx) => {
    const kept = findings.slice(0, keep);
    const [row] = await tx.insert(consistencyRuns).values({ ...run, findingsKept: kept.length }).returning({ id: consistencyRuns.id });
    const runId = row!.id;
    for (let i = 0; i < kept.length; i += 500) {
      await tx.insert(consistencyFindings).values(kept.slice(i, i + 500).map((f, j) => ({ ...f, runId, seq: i + j + 1 })));
    }
    const [oldest] = await tx.select({ id: consistencyRuns.id }).from(consistencyRuns).where(eq(consistencyRuns.scope, run.scope))
      .orderBy(desc(consistencyRuns.id)).offset(history - 1).limit(1);
    if (oldest) await tx.delete(consistencyRuns).where(and(eq(consistencyRuns.scope, run.scope), lt(consistencyRuns.id, oldest.id)));
    return runId;
  });
}

/**
 * The latest run of a scope and a page of its findings (cause order, then case: the order the run
 * recorded them). A keyset cursor (issue 18.3) names its run and the last finding's place in it, so
 * every page comes from the run the first page showed even if a newer run finished meanwhile; a run
 * since forgotten (older than the scope's history) is undefined, like a scope never run.
 */
export async function consistencyReport(db: Executor, scope: string, page: { limit: number; offset: number; cause?: string; after?: [runId: number, seq: number] }) {
  const run = page.after
    ? (await db.select().from(consistencyRuns).where(and(eq(consistencyRuns.id, page.after[0]), eq(consistencyRuns.scope, scope))))[0]
    : await latestConsistencyRun(db, scope);
  if (!run) return undefined;
  const where = and(eq(consistencyFindings.runId, run.id), page.cause ? eq(consistencyFindings.cause, page.cause) : undefined);
  const [findings, counted] = await Promise.all([
    db
      .select({
        seq: consistencyFindings.seq,
        workflowId: consistencyFindings.workflowId,
        cause: consistencyFindings.cause,
        repair: consistencyFindings.repair,
        detail: consistencyFindings.detail,
        temporal: consistencyFindings.temporal,
        projection: consistencyFindings.projection,
      })
      .from(consistencyFindings)
      .where(and(where, page.after ? gt(consistencyFindings.seq, page.after[1]) : undefined))
      .orderBy(asc(consistencyFindings.seq))
      .limit(page.limit)
      .offset(page.offset),
    // `total` on the first page only (no cursor), exact up to 10,000, then estimated (issue 18.3).
    page.after ? undefined : cappedTotal(db, db.select({ one: sql`1` }).from(consistencyFindings).where(where)),
  ]);
  return { run, findings, total: counted?.total, totalEstimated: counted?.totalEstimated };
}
