import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { AuditReplayResult } from './audit.definitions.js';

const { replayCase } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 2 },
});

/** Replays a case against the deployed code in the worker, for an auditor's request. */
export async function auditReplayWorkflow(input: { workflowId: string }): Promise<AuditReplayResult> {
  return replayCase(input);
}
