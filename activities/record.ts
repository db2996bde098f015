import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { cancelPendingClocks, findRun, insertRun, saveSweep, storedRunIds, sweepWatermark, type StoredRun } from '../db/queries/record.js';
import { canonicalJson, chainRun, type HistoryJson } from '../domain/audit/export.js';
import { historyToJson } from '../domain/audit/proto-json.js';
import { agencyKey, processKey } from '../workflows/search-attributes.js';
import { RECORD_SWEEP_EXCLUDED_TYPES, RECORDED_QUERIES } from '../workflows/record.definitions.js';

/** Visibility can lag a close by a little: every sweep looks this far behind its watermark again. */
const OVERLAP_MS = 10 * 60_000;
/** Runs copied at once (each is a describe, a history fetch, a few queries and one insert). */
const CONCURRENCY = 8;
const QUERY_DEADLINE_MS = 15_000;

export interface SweepResult {
  listed: number;
  copied: number;
  failed: { workflowId: string; runId: string; error: string }[];
  /** Closed runs not copied by this sweep because of its limit (the next sweep takes them). */
  remaining: number;
  watermark: string;
}

/**
 * Copies closed runs into the permanent record (`case_runs`). The copy happens after the close
 * (a history is final only then), so it is driven by a sweeper: a Schedule runs
 * `recordSweepWorkflow` every minute, which lists closed executions of this task queue from
 * Temporal's visibility since its watermark and copies each one not yet stored. A worker dying
 * mid-sweep loses nothing: the watermark only moves past runs that are stored, and copying is
 * idempotent (one row per run id).
 */
export function createRecordActivities(db: Database, temporal: Client | undefined, logger: Logger) {
  const client = (): Client => {
    if (!temporal) throw new Error('the record activities need a Temporal client (ActivityDeps.temporal)');
    return temporal;
  };

  /** Copies one closed run (and first, if missing, the run it continued). Undefined while still running. */
  async function copyRun(workflowId: string, runId: string, depth = 0): Promise<StoredRun | undefined> {
    const existing = await findRun(db, runId);
    if (existing) return existing;
    const handle = client().workflow.getHandle(workflowId, runId);
    const d = await handle.describe();
    if (d.status.name === 'RUNNING' || !d.closeTime) return undefined;
    const history = historyToJson(await handle.fetchHistory()) as HistoryJson;
    const started = history.events[0]?.workflowExecutionStartedEventAttributes as { continuedExecutionRunId?: string } | undefined;
    const previousRunId = started?.continuedExecutionRunId || null;
    let previous: StoredRun | undefined;
    if (previousRunId) {
      if (depth > 10_000) throw new Error(`run chain of ${workflowId} too long`);
      previous = await copyRun(workflowId, previousRunId, depth + 1);
      if (!previous) throw new Error(`run ${previousRunId} continued by ${runId} is neither stored nor closed in Temporal`);
    }
    const final = d.status.name !== 'CONTINUED_AS_NEW';
    const finalQueries = final ? await answerQueries(d.type, workflowId, runId) : null;
    const chained = chainRun(workflowId, runId, history, previous?.sha256 ?? null);
    const row = {
      runId,
      workflowId,
      workflowType: d.type,
      runSeq: previous ? previous.runSeq + 1 : 1,
      previousRunId,
      taskQueue: d.taskQueue,
      agency: d.typedSearchAttributes.get(agencyKey) ?? null,
      process: d.typedSearchAttributes.get(processKey) ?? null,
      status: d.status.name,
      startedAt: d.startTime,
      closedAt: d.closeTime,
      eventCount: history.events.length,
      historySha256: chained.historySha256,
      sha256: chained.sha256,
      previousSha256: chained.previousSha256,
      finalQueries,
      historyJson: canonicalJson(history),
    };
    await insertRun(db, row);
    if (final) {
      const cancelled = await cancelPendingClocks(db, workflowId, `case ${d.status.name.toLowerCase()}`, d.closeTime);
      if (cancelled > 0) logger.warn({ workflowId, runId, status: d.status.name, cancelled }, 'closed case had pending clocks; cancelled');
    }
    return (await findRun(db, runId))!;
  }

  /** The closed run's answers to the queries its reads use (RECORDED_QUERIES): its final state for reads after purge. */
  async function answerQueries(workflowType: string, workflowId: string, runId: string): Promise<Record<string, unknown> | null> {
    const names = RECORDED_QUERIES[workflowType];
    if (!names || names.length === 0) return null;
    const handle = client().workflow.getHandle(workflowId, runId);
    try {
      const answers: Record<string, unknown> = {};
      for (const name of names) answers[name] = await client().withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(name));
      return answers;
    } catch (err) {
      // A run that cannot answer (its code no longer replays it) is still recorded; reads then use projections.
      logger.warn({ workflowId, runId, err }, 'closed run did not answer its queries; recorded without final state');
      return null;
    }
  }

  async function sweep(input: { taskQueue: string; limit?: number }): Promise<SweepResult> {
    const { taskQueue } = input;
    const limit = input.limit ?? 2_000;
    if (!/^[\w.:-]+$/.test(taskQueue)) throw new Error(`unexpected task queue name ${taskQueue}`);
    const watermark = (await sweepWatermark(db, taskQueue)) ?? new Date(0);
    const since = new Date(Math.max(0, watermark.getTime() - OVERLAP_MS));
    const excluded = RECORD_SWEEP_EXCLUDED_TYPES.map((t) => ` AND WorkflowType != '${t}'`).join('');
    const query = `TaskQueue = '${taskQueue}' AND ExecutionStatus != 'Running' AND CloseTime >= '${since.toISOString()}'${excluded}`;
    const closed: { workflowId: string; runId: string; closeTime: number }[] = [];
    for await (const info of client().workflow.list({ query })) {
      if (info.closeTime) closed.push({ workflowId: info.workflowId, runId: info.runId, closeTime: info.closeTime.getTime() });
    }
    closed.sort((a, b) => a.closeTime - b.closeTime);
    const missing: typeof closed = [];
    for (let i = 0; i < closed.length; i += 1_000) {
      const batch = closed.slice(i, i + 1_000);
      const stored = await storedRunIds(db, batch.map((c) => c.runId));
      missing.push(...batch.filter((c) => !stored.has(c.runId)));
    }
    const todo = missing.slice(0, limit);
    const failed: SweepResult['failed'] = [];
    let copied = 0;
    let next = 0;
    const heartbeat = () => {
      if (Context.current) {
        try {
          Context.current().heartbeat({ copied });
        } catch {
          // Called outside an activity (tests, benchmarks).
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, todo.length) }, async () => {
      for (let item = todo[next++]; item; item = todo[next++]) {
        try {
          if (await copyRun(item.workflowId, item.runId)) copied++;
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) {
            failed.push({ workflowId: item.workflowId, runId: item.runId, error: 'purged from Temporal before it was copied' });
          } else {
            failed.push({ workflowId: item.workflowId, runId: item.runId, error: err instanceof Error ? err.message : String(err) });
          }
        }
        heartbeat();
      }
    }));
    // Everything closed before the first run not copied is in the store: the watermark may move there.
    const notCopied = new Set([...failed.map((f) => f.runId), ...missing.slice(limit).map((m) => m.runId)]);
    const firstGap = missing.find((m) => notCopied.has(m.runId));
    const lastListed = closed[closed.length - 1];
    const newWatermark = firstGap ? new Date(firstGap.closeTime - 1) : lastListed ? new Date(lastListed.closeTime) : watermark;
    await saveSweep(db, taskQueue, newWatermark, copied);
    if (failed.length > 0) logger.error({ taskQueue, failed: failed.slice(0, 20), alert: 'record-copy-failed' }, 'closed runs could not be copied to the permanent record');
    return { listed: closed.length, copied, failed, remaining: Math.max(0, missing.length - limit), watermark: newWatermark.toISOString() };
  }

  return {
    /** The Schedule's sweep: copy every closed run of this task queue not yet in the permanent record. */
    async copyClosedRuns(input: { taskQueue: string; limit?: number }): Promise<SweepResult> {
      return sweep(input);
    },
  };
}
