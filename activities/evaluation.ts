import { ApplicationFailure } from '@temporalio/common';
import type { Database } from '../db/client.js';
import {
  currentEvaluationConfig,
  evaluatedAgencies,
  evaluationConfigVersion,
  indicatorCounts,
  openEvaluationRun,
  saveEvaluationResults,
} from '../db/queries/evaluation.js';
import type { AgencyEvaluation, EvaluatedAgency, EvaluationConfig, EvaluationPeriod, IndicatorCounts } from '../domain/evaluation/index.js';

/** The agency evaluation's side effects (Art 30): each keyed by the run id, so a retry redoes nothing twice. */
export function createEvaluationActivities(db: Database) {
  return {
    /**
     * Records the run with the configuration version it uses (the one asked for, or the current one
     * at the first attempt; a retry finds the recorded one) and returns that configuration.
     */
    async openEvaluation(input: {
      runId: string; period: EvaluationPeriod; trigger: 'schedule' | 'vpcp'; requestedBy?: string; publish: boolean; configVersion?: number;
    }): Promise<{ configVersion: number; config: EvaluationConfig }> {
      const wanted = input.configVersion ?? (await currentEvaluationConfig(db)).version;
      const run = await openEvaluationRun(db, { id: input.runId, period: input.period, configVersion: wanted, trigger: input.trigger, requestedBy: input.requestedBy, publish: input.publish });
      const stored = await evaluationConfigVersion(db, run.configVersion);
      if (!stored) throw ApplicationFailure.nonRetryable(`No evaluation configuration version ${run.configVersion}`, 'UnknownConfigVersion');
      return { configVersion: stored.version, config: stored.config };
    },

    /** The agencies evaluated and every indicator's counts over the period (one statement per data source). */
    async evaluationData(input: { period: EvaluationPeriod }): Promise<{ agencies: EvaluatedAgency[]; counts: IndicatorCounts }> {
      const [agencies, counts] = await Promise.all([evaluatedAgencies(db), indicatorCounts(db, input.period)]);
      return { agencies, counts };
    },

    /** Stores every agency's result (replacing an earlier attempt's), completes the run and publishes it if it was asked to. */
    async completeEvaluation(input: { runId: string; results: AgencyEvaluation[]; levels: Record<string, number> }): Promise<{ publishedAt: string | null }> {
      const run = await saveEvaluationResults(db, input);
      return { publishedAt: run.publishedAt?.toISOString() ?? null };
    },
  };
}
