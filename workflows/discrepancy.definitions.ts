import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
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

/**
 * What a re-run of the day (a corrected or late upload) found for an open case (Art 34.5): the
 * difference as it is now, or none (`current` absent: the difference has disappeared). Sent by the
 * reconciliation workflow only; the case checks it and records it with the reason.
 */
export interface DifferenceRevisited {
  txnDate: string;
  current?: DiscrepancyCase;
  reason: string;
}
export const differenceRevisitedSignal = defineSignal<[DifferenceRevisited]>('differenceRevisitedSignal');

/** Whether a re-run's finding differs from what the case holds (kind, owner, amounts, statuses). */
export function differenceChanged(held: DiscrepancyCase, now: DiscrepancyCase): boolean {
  return held.kind !== now.kind || held.ownerKind !== now.ownerKind || held.owner !== now.owner ||
    held.portalAmount !== now.portalAmount || held.bankAmount !== now.bankAmount || held.agencyAmount !== now.agencyAmount ||
    held.portalStatus !== now.portalStatus || held.bankStatus !== now.bankStatus;
}
