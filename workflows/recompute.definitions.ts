import type { ActorRef } from './actors.js';
import type { RecomputeClocksResult } from './sla.definitions.js';

/**
 * VPCP's explicit recomputation of open clocks after a calendar change, as a workflow of its own:
 * it pages through the cases whose open clocks were computed on an older calendar version and
 * sends each case the `recomputeSlaClocksUpdate` (recorded in that case), a few at a time. The API
 * starts it and waits a bounded time; the job outlives the request.
 */
export interface RecomputeJobInput {
  actor: ActorRef;
  reason: string;
  /** The calendar version the clocks move to (the current one when VPCP asked). */
  calendarVersion: number;
  process?: string;
  workflowIds?: string[];
  /** Carried through continue-as-new. */
  resume?: { after: string; results: RecomputeCaseResult[]; total: number; failed: number };
}

export interface RecomputeCaseResult {
  workflowId: string;
  status: 'recomputed' | 'unchanged' | 'failed';
  recomputed?: RecomputeClocksResult['recomputed'];
  error?: string;
}

export interface RecomputeJobResult {
  calendarVersion: number;
  /** Per case, the first `RECOMPUTE_RESULTS_KEPT` (the totals count every case). */
  results: RecomputeCaseResult[];
  total: number;
  failed: number;
}

export const RECOMPUTE_RESULTS_KEPT = 1_000;
export const recomputeJobWorkflowId = (jobId: string) => `recompute-clocks-${jobId}`;
