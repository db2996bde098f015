/** An audit replay job: the API starts it, the worker replays the case (activities/replay.ts). */
export interface RunReplay {
  runId: string;
  ok: boolean;
  error?: { name: string; message: string };
}

export interface AuditReplayResult {
  workflowId: string;
  workflowType: string;
  ok: boolean;
  runs: RunReplay[];
}

export const auditReplayWorkflowId = (jobId: string) => `audit-replay-${jobId}`;
