import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import type * as Proto from '@temporalio/proto';
import type { Database } from '../db/client.js';
import { findCaseRuns, findRun, latestRun, readRunHistory } from '../db/queries/record.js';
import type { HistoryJson, RunSource } from '../domain/audit/export.js';
import { historyFromJson, historyToJson } from '../domain/audit/proto-json.js';
import { agencyKey, processKey } from '../workflows/search-attributes.js';

/**
 * Reading a case whether or not Temporal still holds it (used by the API's reads and by the
 * worker's audit replay). Temporal is asked first (an open case
 * lives there); once retention has purged a closed case, its permanent record in PostgreSQL
 * (`case_runs`, copied by the record sweeper) answers instead, with the same content.
 */

const QUERY_DEADLINE_MS = 10_000;

export interface CaseInfo {
  workflowId: string;
  workflowType: string;
  /** The case's agency (search attribute DvcqgAgency); undefined for workflows that are not agency cases. */
  agency?: string;
  process?: string;
  status: string;
  latestRunId: string;
  /** Where the case was found: Temporal, or the permanent record after retention. */
  source: RunSource;
}

export interface CaseRun {
  runId: string;
  history: HistoryJson;
  /** The same history as a proto message (for the timeline and replay). */
  proto: Proto.temporal.api.history.v1.IHistory;
  source: RunSource;
}

export interface CaseReaderDeps {
  temporal: Client;
  /** Without a database (scripts), only Temporal is read. */
  db?: Database;
}

/** The case as Temporal describes it, or as its permanent record says it closed; not found → WorkflowNotFoundError. */
export async function describeCase({ temporal, db }: CaseReaderDeps, workflowId: string): Promise<CaseInfo> {
  try {
    const d = await temporal.workflow.getHandle(workflowId).describe();
    return {
      workflowId,
      workflowType: d.type,
      agency: d.typedSearchAttributes.get(agencyKey),
      process: d.typedSearchAttributes.get(processKey),
      status: d.status.name,
      latestRunId: d.runId,
      source: 'temporal',
    };
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError) || !db) throw err;
    const last = await latestRun(db, workflowId);
    if (!last) throw err;
    return {
      workflowId,
      workflowType: last.workflowType,
      agency: last.agency ?? undefined,
      process: last.process ?? undefined,
      status: last.status,
      latestRunId: last.runId,
      source: 'record',
    };
  }
}

/**
 * Every run of a case, oldest first, from the latest back through `continuedExecutionRunId`. A run
 * already copied is read from the permanent record (a closed run never changes, and an early run
 * of a long-lived case may be purged while the case is still open); others from Temporal.
 */
export async function loadCaseRuns({ temporal, db }: CaseReaderDeps, info: CaseInfo): Promise<CaseRun[]> {
  if (info.source === 'record' && db) {
    const stored = await findCaseRuns(db, info.workflowId);
    return Promise.all(stored.map(async (run) => storedRun(db, run.runId)));
  }
  const runs: CaseRun[] = [];
  const seen = new Set<string>();
  for (let runId: string | undefined = info.latestRunId; runId && !seen.has(runId);) {
    seen.add(runId);
    const run: CaseRun = db && (await findRun(db, runId)) ? await storedRun(db, runId) : await temporalRun(temporal, info.workflowId, runId);
    runs.unshift(run);
    runId = (run.history.events[0]?.workflowExecutionStartedEventAttributes as { continuedExecutionRunId?: string } | undefined)?.continuedExecutionRunId || undefined;
  }
  return runs;
}

async function storedRun(db: Database, runId: string): Promise<CaseRun> {
  const text = await readRunHistory(db, runId);
  if (!text) throw new WorkflowNotFoundError(`run ${runId} is not in the permanent record`, '', runId);
  const history = JSON.parse(text) as HistoryJson;
  return { runId, history, proto: historyFromJson(history), source: 'record' };
}

async function temporalRun(temporal: Client, workflowId: string, runId: string): Promise<CaseRun> {
  const proto = await temporal.workflow.getHandle(workflowId, runId).fetchHistory();
  return { runId, history: historyToJson(proto) as HistoryJson, proto, source: 'temporal' };
}

/**
 * A query of the case's workflow; after retention, the answer its last run gave when it closed
 * (recorded by the sweeper). Not found anywhere → WorkflowNotFoundError, as before.
 */
export async function queryCase<T>({ temporal, db }: CaseReaderDeps, workflowId: string, query: QueryDefinition<T>): Promise<T> {
  try {
    // Bounded: a query of a case whose worker is down would otherwise wait on the server's own timeout.
    return await temporal.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => temporal.workflow.getHandle(workflowId).query(query));
  } catch (err) {
    if (!db) throw err;
    // A closed case already copied answers from its record, whether Temporal purged it (not found)
    // or could not answer a query of the closed run just now (a query of a closed run is a replay).
    const last = await latestRun(db, workflowId);
    const answers = last?.finalQueries;
    if (!answers || !(query.name in answers)) throw err;
    return answers[query.name] as T;
  }
}
