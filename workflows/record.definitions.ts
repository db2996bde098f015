import { accountIssueStateQuery } from './account.definitions.js';
import { dvcttStateQuery } from './dvctt.definitions.js';
import { feedbackStateQuery } from './feedback.definitions.js';
import { slaClocksQuery } from './sla.definitions.js';
import { tthcDecisionQuery, tthcReviewQuery } from './tthc.definitions.js';

/** The Schedule that copies closed runs into the permanent record (see activities/record.ts). */
export const RECORD_SWEEP_SCHEDULE_ID = 'record-sweep';
/** Project rule: every minute; a sweep that is still copying when the next is due makes it skip. */
export const RECORD_SWEEP_INTERVAL = '1 minute';
/** Runs copied by one sweep at most; the rest wait for the next minute. */
export const RECORD_SWEEP_LIMIT = 2_000;

/** Not cases: the sweeper's and the consistency checker's own runs, /readyz probes and audit replays (kept in audit_reads) are not kept. */
export const RECORD_SWEEP_EXCLUDED_TYPES = ['recordSweepWorkflow', 'consistencyCheckWorkflow', 'diagnosticWorkflow', 'auditReplayWorkflow'] as const;

export interface RecordSweepResult {
  listed: number;
  copied: number;
  failed: number;
  remaining: number;
  watermark: string;
}

/**
 * The queries whose final answers are kept with a closed case, by workflow type: those of the
 * processes whose read routes answer from the workflow (feedback item, DVCTT service, TTHC decision
 * and review). Payments, refunds, discrepancies and reconciliation days are read from their
 * PostgreSQL projections, so nothing is asked of them (each query of a closed run is a replay).
 */
export const RECORDED_QUERIES: Readonly<Record<string, readonly string[]>> = {
  feedbackWorkflow: [feedbackStateQuery.name],
  dvcttWorkflow: [dvcttStateQuery.name],
  tthcDecisionWorkflow: [tthcDecisionQuery.name, slaClocksQuery.name],
  tthcReviewWorkflow: [tthcReviewQuery.name],
  accountIssueWorkflow: [accountIssueStateQuery.name],
};
