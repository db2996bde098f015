import type { DataConverter } from '@temporalio/common';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { AuditRun } from '../../../domain/audit/timeline.js';
import { workflowsPath } from '../../../runtime/worker.js';

export interface RunReplay {
  runId: string;
  ok: boolean;
  error?: { name: string; message: string };
}

/**
 * Replays histories against the deployed workflow code (`workflows/index.ts`), bundled once per
 * process on first use: a determinism violation means the code would not reproduce the decisions
 * recorded for that run. The replay worker gets the app's payload codecs, so encrypted histories
 * replay (histories from before encryption pass through them unchanged).
 */
export function createReplayer(
  logger: { warn(bindings: object, message: string): void },
  dataConverter: DataConverter = {},
  load: () => Promise<WorkflowBundle> = () => bundleWorkflowCode({ workflowsPath, logger: quiet }),
) {
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
    for await (const result of Worker.runReplayHistories({ workflowBundle, dataConverter, replayName: 'audit-replay' }, histories)) {
      const runId = runs[index++]?.runId ?? result.runId;
      if (result.error) logger.warn({ workflowId, runId, err: result.error }, 'replay diverged');
      reports.push({ runId, ok: !result.error, ...(result.error ? { error: { name: result.error.name, message: result.error.message } } : {}) });
    }
    return reports;
  };
}

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
