import { proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { createActivities } from '../activities/index.js';
import { probeActivity } from './activity-options.js';
import type { DiagnosticInput, DiagnosticResult } from './diagnostic.definitions.js';

const { recordDiagnosticProbe } = proxyActivities<ReturnType<typeof createActivities>>(probeActivity);

export async function diagnosticWorkflow(input: DiagnosticInput): Promise<DiagnosticResult> {
  const { workflowId } = workflowInfo();
  const { writtenAt } = await recordDiagnosticProbe({ workflowId, requestedBy: input.requestedBy });
  if (!input.hold) return { workflowId, writtenAt };
  await sleep(input.hold as Duration);
  return { workflowId, writtenAt, heldUntil: new Date().toISOString() };
}
