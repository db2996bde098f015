import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { evaluateAgencies, levelCounts, previousYear } from '../domain/evaluation/index.js';
import { batchActivity, shortActivity } from './activity-options.js';
import type { EvaluationRunInput, EvaluationRunResult } from './evaluation.definitions.js';

const { openEvaluation, completeEvaluation } = proxyActivities<ReturnType<typeof createActivities>>(shortActivity);
const { evaluationData } = proxyActivities<ReturnType<typeof createActivities>>(batchActivity);

/**
 * One agency evaluation (Art 30): the Portal's own data of every ministry, sector and province over
 * the period (set-based, one statement per source), scored with the configuration version recorded
 * on the run, classified into the five levels of Art 30.2, stored with each agency's explanation,
 * and published when asked (Art 30.3). The scoring is pure, so this history shows its inputs and outputs.
 */
export async function evaluationWorkflow(input: EvaluationRunInput): Promise<EvaluationRunResult> {
  const runId = workflowInfo().workflowId;
  const period = input.period ?? previousYear(new Date().toISOString());
  const { configVersion, config } = await openEvaluation({
    runId, period, trigger: input.trigger, requestedBy: input.actor?.userId, publish: input.publish, configVersion: input.configVersion,
  });
  const { agencies, counts } = await evaluationData({ period });
  const results = evaluateAgencies(agencies, counts, config);
  const levels = levelCounts(results);
  const { publishedAt } = await completeEvaluation({ runId, results, levels });
  return { runId, period, configVersion, agencies: results.length, levels, publishedAt };
}
