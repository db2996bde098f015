import type { ActorRef } from './actors.js';
import type { EvaluationLevel, EvaluationPeriod } from '../domain/evaluation/index.js';
import { agencyKey, processKey } from './search-attributes.js';

export const EVALUATION_PROCESS = 'evaluation';

/**
 * The yearly Schedule (Art 30.3: results published every year): on 15 January at 02:00 (UTC+7) it
 * evaluates the previous calendar year and publishes it. Project rule: two weeks after the year
 * ends, so the last days' reconciliation uploads, late steps and outage ends are in.
 */
export const EVALUATION_SCHEDULE_ID = 'agency-evaluation-yearly';
export const EVALUATION_SCHEDULE_SPEC = { month: 'JANUARY', dayOfMonth: 15, hour: 2, timezone: 'Asia/Ho_Chi_Minh' } as const;

export interface EvaluationRunInput {
  /** Absent: the previous local calendar year at the run's start (the yearly Schedule). */
  period?: EvaluationPeriod;
  /** Make the results public when the run completes. */
  publish: boolean;
  trigger: 'schedule' | 'vpcp';
  actor?: ActorRef;
  /** The configuration version to use; absent: the current one when the run starts. */
  configVersion?: number;
}

export interface EvaluationRunResult {
  runId: string;
  period: EvaluationPeriod;
  configVersion: number;
  agencies: number;
  levels: Record<EvaluationLevel | 'notClassified', number>;
  publishedAt: string | null;
}

/** An on-demand run's workflow id (from the request's Idempotency-Key, so a retry finds the same run). */
export const evaluationWorkflowId = (jobId: string) => `evaluation-${jobId}`;

/** A run's search attributes (API and Schedule alike): VPCP's process, so Temporal's visibility and the permanent record name it. */
export const evaluationSearchAttributes = () => [{ key: agencyKey, value: 'VPCP' }, { key: processKey, value: EVALUATION_PROCESS }];
