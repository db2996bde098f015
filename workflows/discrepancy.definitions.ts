import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ActionRecord, ActorRef } from './actors.js';

export const DISCREPANCY_PROCESS = 'discrepancy';

export type DiscrepancyKind = 'missingAtPortal' | 'missingAtBank' | 'missingAtAgency' | 'amountMismatch' | 'statusMismatch' | 'duplicate';

export interface DiscrepancyCursor {
  agency: string;
  bank: string;
  paymentId: string;
  seq: number;
}

/** One difference found by the daily reconciliation (Art 34.4–34.5). */
export interface DiscrepancyCase extends DiscrepancyCursor {
  id: string;
  /** The difference already has its case (claimed by an earlier run of the day): not started again. */
  alreadyOpened?: boolean;
  txnDate: string;
  kind: DiscrepancyKind;
  /** Who must investigate and settle it by the end of the next working day (Art 34.5). */
  ownerKind: 'bank' | 'agency';
  owner: string;
  portalAmount?: number;
  bankAmount?: number;
  agencyAmount?: number;
  /** 'success' | 'failed' as each side recorded it (absent when the side has no record). */
  portalStatus?: string;
  bankStatus?: string;
  bankTxnRef?: string;
}

/** One case per difference and day: a re-run of the day finds the same case. */
export const discrepancyWorkflowId = (d: { txnDate: string; agency: string; bank: string; paymentId: string; seq: number }) =>
  `discrepancy-${d.txnDate}-${d.agency}-${d.bank}-${d.paymentId}-${d.seq}`;

export interface DiscrepancyView extends DiscrepancyCase {
  status: 'open' | 'resolved';
  cause?: string;
  resolution?: string;
  dueAt?: string;
  breached: boolean;
  refundId?: string;
  detectedAt: string;
  resolvedAt?: string;
  actions: ActionRecord[];
}

export const discrepancyQuery = defineQuery<DiscrepancyView>('discrepancy');
/** Either party of the pair (or VPCP) records what caused the difference. */
export const recordDiscrepancyCauseUpdate = defineUpdate<DiscrepancyView, [{ cause: string; actor: ActorRef }]>('recordDiscrepancyCauseUpdate');
/** The owner records how the difference was settled (Art 34.5 "xử lý dứt điểm"). */
export const resolveDiscrepancyUpdate = defineUpdate<DiscrepancyView, [{ resolution: string; actor: ActorRef }]>('resolveDiscrepancyUpdate');
