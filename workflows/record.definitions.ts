/** The Schedule that copies closed runs into the permanent record (see activities/record.ts). */
export const RECORD_SWEEP_SCHEDULE_ID = 'record-sweep';
/** Project rule: every minute; a sweep that is still copying when the next is due makes it skip. */
export const RECORD_SWEEP_INTERVAL = '1 minute';
/** Runs copied by one sweep at most; the rest wait for the next minute. */
export const RECORD_SWEEP_LIMIT = 2_000;

/** Not cases: the sweeper's own runs and /readyz probes are not kept. */
export const RECORD_SWEEP_EXCLUDED_TYPES = ['recordSweepWorkflow', 'diagnosticWorkflow'] as const;

export interface RecordSweepResult {
  listed: number;
  copied: number;
  failed: number;
  remaining: number;
  watermark: string;
}
