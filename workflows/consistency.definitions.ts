/** The Schedule of the SLA consistency checker (see activities/consistency.ts): one per namespace. */
export const CONSISTENCY_SCHEDULE_ID = 'sla-consistency';
/** Project rule: every 10 minutes; a run still going when the next is due makes it skip. */
export const CONSISTENCY_INTERVAL = '10 minutes';
/** Cases compared by one run at most (about): the next run continues from its watermark. */
export const CONSISTENCY_MAX_CASES = 20_000;
/** Cases read from `sla_clocks` (and pages read from visibility) at a time. */
export const CONSISTENCY_BATCH = 500;
/** Findings stored per run (every one is counted, by cause). */
export const CONSISTENCY_MAX_FINDINGS = 1_000;
/** Runs kept per scope (project rule: about a week of the Schedule's runs); older ones are deleted with their findings. */
export const CONSISTENCY_RUNS_KEPT = 1_000;

/**
 * Why Temporal and `sla_clocks` disagree about a case:
 * - `missing-breach-write`: the workflow recorded a breach the row does not have (a lost projection write);
 * - `missing-projection-write`: the row is an older revision of the workflow's clock;
 * - `missing-clock-row`: the workflow keeps a clock that has no row;
 * - `projection-altered`: the row has the workflow's revision but other content (changed behind its back);
 * - `revision-ahead`: the row's revision is newer than the workflow's own (it would swallow the workflow's next writes);
 * - `untracked-pending`: a pending row of a clock the running case no longer keeps;
 * - `pending-after-close`: a closed case (terminated, failed, timed out…) left clocks pending;
 * - `visibility-stale`: the search attributes (DvcqgSlaBreached, DvcqgBreachOwners, DvcqgNextDueAt) differ from the clocks;
 * - `unknown-case`: pending rows of a case neither Temporal nor the permanent record knows;
 * - `unanswered-query`: the workflow did not answer `slaClocks` (no worker, or code that cannot replay it).
 */
export type ConsistencyCause =
  | 'missing-breach-write'
  | 'missing-projection-write'
  | 'missing-clock-row'
  | 'projection-altered'
  | 'revision-ahead'
  | 'untracked-pending'
  | 'pending-after-close'
  | 'visibility-stale'
  | 'unknown-case'
  | 'unanswered-query';

export interface ConsistencyCheckInput {
  /** Only cases whose workflow id starts with this ('' or absent: every case). Each scope keeps its own watermark. */
  scope?: string;
  maxCases?: number;
  batchSize?: number;
}

export interface ConsistencyCheckResult {
  runId: number;
  casesChecked: number;
  disagreements: number;
  repaired: number;
  byCause: Record<string, number>;
  /** The run reached the last case of `sla_clocks`; the next one starts over. */
  cycleCompleted: boolean;
  nextWorkflowId: string;
}
