import { gunzipSync, gzipSync } from 'node:zlib';
import { and, desc, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { Executor } from '../client.js';
import { businessKeys, caseRuns, recordSweeps, slaClocks } from '../schema/index.js';
import { preparedPer } from './prepared.js';

/** A run as the record store holds it, its history as canonical JSON text. */
export interface StoredRun {
  runId: string;
  workflowId: string;
  workflowType: string;
  runSeq: number;
  previousRunId: string | null;
  taskQueue: string;
  agency: string | null;
  process: string | null;
  status: string;
  startedAt: Date;
  closedAt: Date;
  eventCount: number;
  historySha256: string;
  sha256: string;
  previousSha256: string | null;
  finalQueries: Record<string, unknown> | null;
}

export interface NewStoredRun extends Omit<StoredRun, 'historySha256'> {
  historySha256: string;
  /** The canonical JSON text of the history (compressed here). */
  historyJson: string;
}

/** Stores a closed run once: a second copy of the same run is a no-op (false). */
export async function insertRun(db: Executor, run: NewStoredRun): Promise<boolean> {
  const { historyJson, ...row } = run;
  const raw = Buffer.from(historyJson, 'utf8');
  const inserted = await db
    .insert(caseRuns)
    .values({ ...row, historyGzip: gzipSync(raw), historyBytes: raw.length })
    .onConflictDoNothing({ target: caseRuns.runId })
    .returning({ runId: caseRuns.runId });
  return inserted.length > 0;
}

const runColumns = {
  runId: caseRuns.runId,
  workflowId: caseRuns.workflowId,
  workflowType: caseRuns.workflowType,
  runSeq: caseRuns.runSeq,
  previousRunId: caseRuns.previousRunId,
  taskQueue: caseRuns.taskQueue,
  agency: caseRuns.agency,
  process: caseRuns.process,
  status: caseRuns.status,
  startedAt: caseRuns.startedAt,
  closedAt: caseRuns.closedAt,
  eventCount: caseRuns.eventCount,
  historySha256: caseRuns.historySha256,
  sha256: caseRuns.sha256,
  previousSha256: caseRuns.previousSha256,
  finalQueries: caseRuns.finalQueries,
};

export async function findRun(db: Executor, runId: string): Promise<StoredRun | undefined> {
  const [row] = await db.select(runColumns).from(caseRuns).where(eq(caseRuns.runId, runId));
  return row;
}

/**
 * The stored runs of a case, oldest first: the latest closed run and the runs it continued, back to
 * the first (an id used again for a new execution — a re-run reconciliation day — shows the newest).
 */
export async function findCaseRuns(db: Executor, workflowId: string): Promise<StoredRun[]> {
  const rows = await db.select(runColumns).from(caseRuns).where(eq(caseRuns.workflowId, workflowId)).orderBy(desc(caseRuns.closedAt));
  const byId = new Map(rows.map((r) => [r.runId, r]));
  const chain: StoredRun[] = [];
  for (let run = rows[0]; run; run = run.previousRunId ? byId.get(run.previousRunId) : undefined) {
    chain.unshift(run);
    if (chain.length > rows.length) break;
  }
  return chain;
}

/** The last closed run stored for this id (of its newest execution). */
export async function latestRun(db: Executor, workflowId: string): Promise<StoredRun | undefined> {
  const [row] = await db.select(runColumns).from(caseRuns).where(eq(caseRuns.workflowId, workflowId)).orderBy(desc(caseRuns.closedAt)).limit(1);
  return row;
}

/** The stored history of a run as canonical JSON text. */
export async function readRunHistory(db: Executor, runId: string): Promise<string | undefined> {
  const [row] = await db.select({ gz: caseRuns.historyGzip }).from(caseRuns).where(eq(caseRuns.runId, runId));
  return row ? gunzipSync(row.gz).toString('utf8') : undefined;
}

/** Which of these runs are already in the store. */
export async function storedRunIds(db: Executor, runIds: string[]): Promise<Set<string>> {
  if (runIds.length === 0) return new Set();
  const rows = await db.select({ runId: caseRuns.runId }).from(caseRuns).where(inArray(caseRuns.runId, runIds));
  return new Set(rows.map((r) => r.runId));
}

export async function sweepWatermark(db: Executor, taskQueue: string): Promise<Date | undefined> {
  const [row] = await db.select({ watermark: recordSweeps.watermark }).from(recordSweeps).where(eq(recordSweeps.taskQueue, taskQueue));
  return row?.watermark;
}

/** Advances the watermark (never backwards) after a sweep copied everything closed before it. */
export async function saveSweep(db: Executor, taskQueue: string, watermark: Date, copied: number): Promise<void> {
  const now = new Date();
  await db
    .insert(recordSweeps)
    .values({ taskQueue, watermark, lastRunAt: now, lastCopied: copied })
    .onConflictDoUpdate({
      target: recordSweeps.taskQueue,
      set: { watermark: sql`greatest(${recordSweeps.watermark}, excluded.watermark)`, lastRunAt: now, lastCopied: copied },
    });
}

/**
 * A closed case keeps no pending clock: clocks still pending when its last run ended (terminated,
 * failed, timed out, or completed without closing them) are cancelled with the close reason.
 */
export async function cancelPendingClocks(db: Executor, workflowId: string, reason: string, closedAt: Date): Promise<number> {
  const rows = await db
    .update(slaClocks)
    .set({ outcome: 'cancelled', completedAt: closedAt, completedBy: reason, revision: sql`${slaClocks.revision} + 1`, updatedAt: new Date() })
    .where(and(eq(slaClocks.workflowId, workflowId), eq(slaClocks.outcome, 'pending'), isNull(slaClocks.completedAt)))
    .returning({ key: slaClocks.clockKey });
  return rows.length;
}

// ---- business keys ----------------------------------------------------------------------------

export interface BusinessKeyClaim {
  kind: string;
  key: string;
  workflowId: string;
  contentSha256: string;
  claimedBy?: string;
}

export type ClaimResult =
  | { outcome: 'claimed' }
  /** Claimed before with the same content: `started` says whether its workflow is known to have started. */
  | { outcome: 'same'; workflowId: string; started: boolean }
  | { outcome: 'conflict'; workflowId: string };

/** Claims a business key forever; the same key again is `same` (identical content) or `conflict`. */
export async function claimBusinessKey(db: Executor, claim: BusinessKeyClaim): Promise<ClaimResult> {
  const inserted = await claimStatement(db).execute({ ...claim, claimedBy: claim.claimedBy ?? null });
  if (inserted.length > 0) return { outcome: 'claimed' };
  const [existing] = await db
    .select({ workflowId: businessKeys.workflowId, contentSha256: businessKeys.contentSha256, started: businessKeys.started })
    .from(businessKeys)
    .where(and(eq(businessKeys.kind, claim.kind), eq(businessKeys.key, claim.key)));
  if (!existing) return claimBusinessKey(db, claim);
  return existing.contentSha256 === claim.contentSha256
    ? { outcome: 'same', workflowId: existing.workflowId, started: existing.started }
    : { outcome: 'conflict', workflowId: existing.workflowId };
}

export async function markKeyStarted(db: Executor, kind: string, key: string): Promise<void> {
  await markStartedStatement(db).execute({ kind, key });
}

// Every case start runs these two (README "Starts"): prepared once per database handle.
const claimStatement = preparedPer((db) => db
  .insert(businessKeys)
  .values({ kind: sql.placeholder('kind'), key: sql.placeholder('key'), workflowId: sql.placeholder('workflowId'), contentSha256: sql.placeholder('contentSha256'), claimedBy: sql.placeholder('claimedBy') })
  .onConflictDoNothing()
  .returning({ key: businessKeys.key })
  .prepare('claim_business_key'));
const markStartedStatement = preparedPer((db) => db
  .update(businessKeys)
  .set({ started: true })
  .where(and(eq(businessKeys.kind, sql.placeholder('kind')), eq(businessKeys.key, sql.placeholder('key')), ne(businessKeys.started, true)))
  .prepare('mark_business_key_started'));

/** The claim behind a workflow id, if one was made (e.g. to tell a known case from an unknown id). */
export async function findBusinessKey(db: Executor, kind: string, key: string) {
  const [row] = await db.select().from(businessKeys).where(and(eq(businessKeys.kind, kind), eq(businessKeys.key, key)));
  return row;
}
