import type { CaseRuleSet } from '../rules/types.js';
import type { ActionRecord, ActorRef } from '../processes/actors.js';

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

/**
 * The state a refund starts in: what the workflow holds before its first step, and what the API
 * lands as the projection's first row (revision 0) right after the start (read your writes).
 */
export function startedRefundView(refundId: string, input: RefundInput, createdAt: string): RefundView & { status: 'investigating' | 'awaitingRefund' } {
  const { actor: _actor, ruleSet: _ruleSet, ...request } = input;
  return {
    ...request,
    refundId,
    // Art 34.6b: the payer's bank investigates a payer's request first; the other origins await the payout.
    status: input.origin === 'payerRequest' ? 'investigating' : 'awaitingRefund',
    // Art 34.6c: a refund the agency starts is the agency's to pay (with the bank or Treasury).
    responsibleKind: input.origin === 'agencyInitiated' ? 'agency' : 'bank',
    createdAt,
    actions: [],
  };
}

/** The refunds projection row of a view at one revision (the workflow's writes: 1 on; the API's first row: 0). */
export const refundRecord = (view: RefundView, revision: number) => ({
  id: view.refundId, origin: view.origin, paymentId: view.paymentId, agency: view.agency, bank: view.bank, bankTxnRef: view.bankTxnRef,
  amount: view.amount, reason: view.reason, status: view.status, responsibleKind: view.responsibleKind, finding: view.finding,
  discrepancyId: view.discrepancyId, revision, createdAt: view.createdAt,
});
