import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { batchActivity } from './activity-options.js';
import { RECOMPUTE_RESULTS_KEPT, type RecomputeCaseResult, type RecomputeJobInput, type RecomputeJobResult } from './recompute.definitions.js';

const { staleClockCases, recomputeCaseClocks } = proxyActivities<ReturnType<typeof createActivities>>(batchActivity);

/** Cases asked at once (each is one update, recorded in that case). */
const PAGE = 8;
const HISTORY_LIMIT = 5_000;

/** VPCP's recomputation of stale open clocks, case by case (README: calendar change). */
export async function recomputeClocksWorkflow(input: RecomputeJobInput): Promise<RecomputeJobResult> {
  const results: RecomputeCaseResult[] = input.resume?.results ?? [];
  let total = input.resume?.total ?? 0;
  let failed = input.resume?.failed ?? 0;
  let after = input.resume?.after;
  for (;;) {
    const page = await staleClockCases({ calendarVersion: input.calendarVersion, process: input.process, workflowIds: input.workflowIds, after, limit: PAGE });
    if (page.length === 0) break;
    const done = await Promise.all(page.map((workflowId) => recomputeCaseClocks({ workflowId, actor: input.actor, reason: input.reason })));
    for (const r of done) {
      total++;
      if (r.status === 'failed') failed++;
      if (results.length < RECOMPUTE_RESULTS_KEPT) results.push(r);
    }
    after = page[page.length - 1];
    if (workflowInfo().historyLength > HISTORY_LIMIT && after) {
      await continueAsNew<typeof recomputeClocksWorkflow>({ ...input, resume: { after, results, total, failed } });
    }
  }
  return { calendarVersion: input.calendarVersion, results, total, failed };
}
