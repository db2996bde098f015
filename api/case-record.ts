import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import type * as Proto from '@temporalio/proto';
import type { Database } from '../db/client.js';
import { claimBusinessKey, findCaseRuns, findRun, latestRun, markKeyStarted, readRunHistory } from '../db/queries/record.js';
import { canonicalJson, sha256Hex, type HistoryJson, type RunSource } from '../domain/audit/export.js';
import { historyFromJson, historyToJson } from '../domain/audit/proto-json.js';
import { agencyKey, processKey } from '../workflows/search-attributes.js';
import { problem } from './errors.js';

/**
 * Reading a case whether or not Temporal still holds it. Temporal is asked first (an open case
 * lives there); once retention has purged a closed case, its permanent record in PostgreSQL
 * (`case_runs`, copied by the record sweeper) answers instead, with the same content.
 */

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

interface Deps {
  temporal: Client;
  /** Without a database (scripts), only Temporal is read. */
  db?: Database;
}

/** The case as Temporal describes it, or as its permanent record says it closed; not found → WorkflowNotFoundError. */
export async function describeCase({ temporal, db }: Deps, workflowId: string): Promise<CaseInfo> {
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
export async function loadCaseRuns({ temporal, db }: Deps, info: CaseInfo): Promise<CaseRun[]> {
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
export async function queryCase<T>({ temporal, db }: Deps, workflowId: string, query: QueryDefinition<T>): Promise<T> {
  try {
    return await temporal.workflow.getHandle(workflowId).query(query);
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

export interface BusinessKey {
  /** What the key names: `payment`, `feedback`, `tthc-decision`, `dvctt-service`, `refund`. */
  kind: string;
  key: string;
  workflowId: string;
  /** What makes a request "the same" under this key (hashed in canonical form). */
  content: unknown;
  /** The problem detail when the key was used with other content. */
  conflict: string;
}

/**
 * Starts a case's workflow once per business key, forever. The key is claimed in PostgreSQL
 * before the start, so a retry long after the case closed and was purged from Temporal is still
 * recognised: other content → 409 already-exists; the same content → WorkflowExecutionAlreadyStartedError,
 * which the route answers with the existing case (200), exactly as while Temporal still had it.
 * A claim whose start never happened (a crash in between) is started by the retry.
 */
export async function startOnce({ db }: { db: Database }, business: BusinessKey, start: () => Promise<unknown>): Promise<void> {
  const claim = await claimBusinessKey(db, {
    kind: business.kind, key: business.key, workflowId: business.workflowId, contentSha256: sha256Hex(canonicalJson(business.content)),
  });
  if (claim.outcome === 'conflict') throw problem('already-exists', business.conflict);
  if (claim.outcome === 'same' && claim.started) {
    throw new WorkflowExecutionAlreadyStartedError(`${business.kind} ${business.key} was started before`, business.workflowId, '');
  }
  try {
    await start();
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) await markKeyStarted(db, business.kind, business.key);
    throw err;
  }
  await markKeyStarted(db, business.kind, business.key);
}

/**
 * Read your writes: after starting a case whose reads come from a projection, wait (bounded) for
 * the workflow's first projection write, so a GET right after the 201 finds it. If the worker is
 * slow the answer goes out anyway after `maxMs` (the case is started; the GET catches up).
 */
export async function untilProjected(found: () => Promise<unknown>, maxMs = 3_000): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    if (await found()) return true;
    if (Date.now() + delay > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
