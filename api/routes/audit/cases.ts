import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { AuditRun } from '../../../domain/audit/timeline.js';
import { workflowsPath } from '../../../runtime/worker.js';
import { agencyKey, processKey } from '../../../workflows/search-attributes.js';

export interface CaseInfo {
  workflowId: string;
  workflowType: string;
  /** The case's agency (search attribute DvcqgAgency); undefined for workflows that are not agency cases. */
  agency?: string;
  process?: string;
  status: string;
  latestRunId: string;
}

export function caseInfo(workflowId: string, d: WorkflowExecutionDescription): CaseInfo {
  return {
    workflowId,
    workflowType: d.type,
    agency: d.typedSearchAttributes.get(agencyKey),
    process: d.typedSearchAttributes.get(processKey),
    status: d.status.name,
    latestRunId: d.runId,
  };
}

/**
 * Every run of a case, oldest first: from the latest run back through `continuedExecutionRunId`
 * (set on a run's started event when it continued an earlier run) to the first.
 */
export async function fetchRuns(client: Client, workflowId: string, latestRunId: string): Promise<AuditRun[]> {
  const runs: AuditRun[] = [];
  const seen = new Set<string>();
  for (let runId: string | undefined = latestRunId; runId && !seen.has(runId);) {
    seen.add(runId);
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.unshift({ runId, history });
    runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return runs;
}

export interface RunReplay {
  runId: string;
  ok: boolean;
  error?: { name: string; message: string };
}

/**
 * Replays histories against the deployed workflow code (`workflows/index.ts`), bundled once per
 * process on first use: a determinism violation means the code would not reproduce the decisions
 * recorded for that run.
 */
export function createReplayer(logger: { warn(bindings: object, message: string): void }, load: () => Promise<WorkflowBundle> = () => bundleWorkflowCode({ workflowsPath, logger: quiet })) {
  let bundle: Promise<WorkflowBundle> | undefined;
  return async function replay(workflowId: string, runs: AuditRun[]): Promise<RunReplay[]> {
    bundle ??= load().catch((err: unknown) => {
      bundle = undefined;
      throw err;
    });
    const workflowBundle = await bundle;
    const reports: RunReplay[] = [];
    const histories = runs.map((run) => ({ workflowId, history: run.history }));
    let index = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle, replayName: 'audit-replay' }, histories)) {
      const runId = runs[index++]?.runId ?? result.runId;
      if (result.error) logger.warn({ workflowId, runId, err: result.error }, 'replay diverged');
      reports.push({ runId, ok: !result.error, ...(result.error ? { error: { name: result.error.name, message: result.error.message } } : {}) });
    }
    return reports;
  };
}

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
