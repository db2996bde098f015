import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { RECORD_SWEEP_LIMIT, type RecordSweepResult } from './record.definitions.js';

const { copyClosedRuns } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

/** One sweep of the permanent record: copy every closed run of this task queue not yet stored. */
export async function recordSweepWorkflow(): Promise<RecordSweepResult> {
  const result = await copyClosedRuns({ taskQueue: workflowInfo().taskQueue, limit: RECORD_SWEEP_LIMIT });
  return { listed: result.listed, copied: result.copied, failed: result.failed.length, remaining: result.remaining, watermark: result.watermark };
}
