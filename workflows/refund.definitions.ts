import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ActionRecord, ActorRef } from './actors.js';
import type { CaseRuleSet } from './sla.definitions.js';

export const REFUND_PROCESS = 'refund';

export type RefundStatus = 'investigating' | 'awaitingRefund' | 'refunded' | 'rejected' | 'alreadyRefunded';
/** The bank's finding on a payer's request (Art 34.6b). */
export type RefundFinding = 'bankFault' | 'agencyFault' | 'unfounded';

export interface RefundInput {
  /**
   * Art 34.6a: found by reconciliation (duplicate / over-payment); Art 34.6b: the payer asked;
   * Art 34.6c: the agency found it ("các trường hợp còn lại") and refunds with the bank or Treasury.
   */
  origin: 'reconciliation' | 'payerRequest' | 'agencyInitiated';
  paymentId: string;
  agency: string;
  bank: string;
  /** The debit being (partly) returned. */
  bankTxnRef: string;
  /** Whole VND. */
  amount: number;
  reason: string;
  discrepancyId?: string;
  actor: ActorRef;
  /** The rule set pinned by the API at the request (absent before rule sets existed, and for refunds reconciliation starts: no clock). */
  ruleSet?: CaseRuleSet;
}

/** Reconciliation: one refund per discrepancy. Payer: one request per debit. Agency: one per debit. */
export const refundWorkflowId = (input: { origin: RefundInput['origin']; paymentId: string; bankTxnRef: string; discrepancyId?: string }) => {
  if (input.origin === 'reconciliation' && input.discrepancyId) return `refund-${input.discrepancyId}`;
  return input.origin === 'agencyInitiated' ? `refund-agency-${input.paymentId}-${input.bankTxnRef}` : `refund-request-${input.paymentId}-${input.bankTxnRef}`;
};

export interface RefundView extends Omit<RefundInput, 'actor'> {
  refundId: string;
  status: RefundStatus;
  /** Who returns the money: the bank (34.6a; 34.6b its fault) or the agency with the bank/Treasury (34.6b–c). */
  responsibleKind: 'bank' | 'agency';
  finding?: RefundFinding;
  payout?: { payoutRef: string; paidAt: string; paidBy: string };
  /** When the same debit was already refunded by another case. */
  refundedBy?: string;
  createdAt: string;
  actions: ActionRecord[];
}

export const refundQuery = defineQuery<RefundView>('refund');
export const decideRefundUpdate = defineUpdate<RefundView, [{ finding: RefundFinding; note: string; actor: ActorRef }]>('decideRefundUpdate');
export const payRefundUpdate = defineUpdate<RefundView, [{ payoutRef: string; actor: ActorRef }]>('payRefundUpdate');
/**
 * Art 34.6: a refund opened from a reconciliation difference that later proves unfounded (a
 * corrected statement: the second debit or the over-payment never happened) is closed, unpaid, by
 * the payer's bank or VPCP, with the reason.
 */
export const closeUnfoundedRefundUpdate = defineUpdate<RefundView, [{ reason: string; actor: ActorRef }]>('closeUnfoundedRefundUpdate');
