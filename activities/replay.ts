import { fileURLToPath } from 'node:url';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import type * as Proto from '@temporalio/proto';
import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { describeCase, loadCaseRuns } from '../record/cases.js';
import type { AuditReplayResult, RunReplay } from '../workflows/audit.definitions.js';

/** The deployed workflow code: the replay checks that it still reproduces every recorded decision. */
const deployedWorkflows = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

/** Replays the runs of one case with a bundle; a run that diverges is reported with its error. */
export async function replayRuns(
  options: { workflowBundle: WorkflowBundle; dataConverter?: DataConverter; logger?: Pick<Logger, 'warn'> },
  workflowId: string,
  runs: { runId: string; history: Proto.temporal.api.history.v1.IHistory }[],
): Promise<RunReplay[]> {
  const reports: RunReplay[] = [];
  let index = 0;
  const histories = runs.map((run) => ({ workflowId, history: run.history }));
  for await (const result of Worker.runReplayHistories({ workflowBundle: options.workflowBundle, dataConverter: options.dataConverter, replayName: 'audit-replay' }, histories)) {
    const runId = runs[index++]?.runId ?? result.runId;
    if (result.error) options.logger?.warn({ workflowId, runId, err: result.error }, 'replay diverged');
    reports.push({ runId, ok: !result.error, ...(result.error ? { error: { name: result.error.name, message: result.error.message } } : {}) });
    try {
      Context.current().heartbeat(index);
    } catch {
      // Called outside an activity (tests).
    }
  }
  return reports;
}

/**
 * Audit replay, in the worker (not on the API's event loop): every run of a case (from Temporal or
 * the permanent record) replayed against the deployed code, bundled once per worker process on
 * first use, one replay at a time per process. The replay gets the worker's payload codecs, so
 * encrypted histories replay (plaintext ones pass through them unchanged).
 */
export function createReplayActivities(db: Database, temporal: Client | undefined, logger: Logger, dataConverter: DataConverter = {}, load: () => Promise<WorkflowBundle> = () => bundleWorkflowCode({ workflowsPath: deployedWorkflows, logger: quiet })) {
  let bundle: Promise<WorkflowBundle> | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  async function replay(workflowId: string): Promise<AuditReplayResult> {
    if (!temporal) throw new Error('replayCase needs a Temporal client (ActivityDeps.temporal)');
    const info = await describeCase({ temporal, db }, workflowId);
    const runs = await loadCaseRuns({ temporal, db }, info);
    bundle ??= load().catch((err: unknown) => {
      bundle = undefined;
      throw err;
    });
    const reports = await replayRuns({ workflowBundle: await bundle, dataConverter, logger }, workflowId, runs.map((run) => ({ runId: run.runId, history: run.proto })));
    return { workflowId, workflowType: info.workflowType, ok: reports.every((r) => r.ok), runs: reports };
  }

  return {
    async replayCase(input: { workflowId: string }): Promise<AuditReplayResult> {
      const mine = queue.then(() => replay(input.workflowId));
      queue = mine.catch(() => undefined);
      return mine;
    },
  };
}
