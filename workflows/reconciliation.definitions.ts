import type { DiscrepancyCursor } from './discrepancy.definitions.js';

export const RECONCILIATION_PROCESS = 'reconciliation';

/** The Temporal Schedule that runs the daily reconciliation (Art 34.2 "hàng ngày"). */
export const RECONCILIATION_SCHEDULE_ID = 'reconciliation-daily';
/** Project rule: 06:00 Viet Nam time, every day; the run itself skips rest days and catches up. */
export const RECONCILIATION_CRON = '0 6 * * *';
export const RECONCILIATION_TIME_ZONE = 'Asia/Ho_Chi_Minh';

export const reconciliationWorkflowId = (txnDate: string) => `reconciliation-${txnDate}`;

export interface ReconciliationInput {
  txnDate: string;
  /** Set when continued as new while starting discrepancy cases: the comparison is already done. */
  resume?: {
    after: DiscrepancyCursor; transactions: number; discrepancies: number; started: number;
    awaitingUpload?: number;
    /** Set when continued as new while revisiting the day's open cases: the last case revisited. */
    revisitAfter?: string; revisited?: number;
  };
}

export interface ReconciliationResult {
  txnDate: string;
  transactions: number;
  discrepancies: number;
  casesStarted: number;
  /** Payments of agency × bank pairs a party has not uploaded for yet (Art 34.2): no case opened. */
  awaitingUpload?: number;
  /** Open cases of the day told what this run found (a re-run: closed or changed, Art 34.5). */
  casesRevisited?: number;
}

export interface DailyReconciliationResult {
  today: string;
  workingDay: boolean;
  reconciled: ReconciliationResult[];
  /** Unreconciled days with data older than the window (alert: a manual run covers them). */
  olderUnreconciled?: string[];
}
