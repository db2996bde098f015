import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { ConsistencyCheckInput, ConsistencyCheckResult } from './consistency.definitions.js';

const { checkSlaConsistency } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 3 },
});

/** One run of the SLA consistency checker: Temporal's view of the cases against `sla_clocks`, repaired and recorded. */
export async function consistencyCheckWorkflow(input: ConsistencyCheckInput = {}): Promise<ConsistencyCheckResult> {
  return checkSlaConsistency(input);
}
