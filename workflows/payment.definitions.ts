import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ActionRecord, ActorRef } from './actors.js';

export const PAYMENT_PROCESS = 'payment';

/**
 * One workflow per payment request, named by the agency and its own request reference, so that a
 * repeated registration finds the existing payment instead of creating a second one.
 */
export const paymentWorkflowId = (agency: string, requestRef: string) => `payment-${agency}-${requestRef}`;

export type PaymentStatus = 'awaitingPayer' | 'awaitingDebit' | 'debited' | 'settled' | 'failed' | 'expired' | 'cancelled';
export const PAYMENT_END_STATES: readonly PaymentStatus[] = ['settled', 'failed', 'expired', 'cancelled'];

/** Where the money must end up: an account at a bank or at the State Treasury (Kho bạc Nhà nước). */
export interface Beneficiary {
  kind: 'bank' | 'treasury';
  /** Bank code, or 'KBNN' for the State Treasury. */
  institution: string;
  account: string;
  name: string;
}

/** What the agency shares with the Portal (Art 31.2b, 33.3): the payment request. */
export interface PaymentRequest {
  agency: string;
  requestRef: string;
  dossierCode: string;
  feeTypeCode: string;
  /** Whole VND. */
  amount: number;
  beneficiary: Beneficiary;
  /** Project rule: calendar days the payer has to pay before the request expires (default 3). */
  expiryDays?: number;
  actor: ActorRef;
}

export interface ReceiptSignature {
  signer: string;
  algorithm: string;
  value: string;
  signedAt: string;
}

export interface ReceiptInput {
  receiptNo: string;
  issuedAt: string;
  /** The signed document as sent (e.g. base64 of the XML/PDF chứng từ). */
  document: string;
  signature: ReceiptSignature;
}

/** Every bank callback carries the bank's own id for it: the same id twice is the same callback. */
interface BankCallback {
  callbackId: string;
  actor: ActorRef;
}
export interface DebitCallback extends BankCallback {
  bankTxnRef: string;
  amount: number;
}
export interface ReceiptCallback extends BankCallback, ReceiptInput {}
export interface SettlementCallback extends BankCallback {
  transferRef: string;
  amount: number;
}
export interface FailureCallback extends BankCallback {
  reason: string;
}
export type CallbackKind = 'debit' | 'receipt' | 'settlement' | 'failure';

/** The answer to a bank callback; a duplicate (same callback id) gets exactly the same answer. */
export interface CallbackResult {
  paymentId: string;
  callbackId: string;
  kind: CallbackKind;
  status: PaymentStatus;
  /** A receipt that arrived before its debit is kept and applied when the debit arrives. */
  receiptBuffered?: boolean;
  processedAt: string;
  /** `callbackFingerprint` of the report: the same callback id with other content is a conflict. */
  fingerprint?: string;
}

/** Stable text of a value with object keys sorted at every level (deterministic; usable in workflows). */
function stableText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableText).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stableText((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What a bank reported under a callback id (everything but who sent it), in a stable form. */
export const callbackFingerprint = (input: { actor?: unknown } & Record<string, unknown>): string => {
  const { actor: _actor, ...report } = input;
  return stableText(report);
};

export interface SettlementRecord {
  transferRef: string;
  settledAt: string;
  dueAt: string;
  breached: boolean;
  /** Interbank working days after the T+1 due day (Art 33.4a penalty basis); 0 when on time. */
  workingDaysLate: number;
  calendarDaysLate: number;
}

export interface PaymentView {
  paymentId: string;
  agency: string;
  requestRef: string;
  dossierCode: string;
  feeTypeCode: string;
  amount: number;
  beneficiary: Beneficiary;
  status: PaymentStatus;
  payerBank?: string;
  bankTxnRef?: string;
  debitedAt?: string;
  /** Project rule: the debit was reported after the request expired, within the late-debit window. */
  debitedAfterExpiry?: boolean;
  /** Local day of the debit (or of the failure/expiry/cancellation): the reconciliation day. */
  txnDate?: string;
  receipt?: ReceiptInput & { bank: string };
  settlementDueAt?: string;
  settlementBreached: boolean;
  settlement?: SettlementRecord;
  endReason?: string;
  createdAt: string;
  actions: ActionRecord[];
  revision: number;
}

export const paymentQuery = defineQuery<PaymentView>('payment');

/** The payer, on the Portal, picks a connected bank or intermediary (Art 31.2b). */
export const choosePayerBankUpdate = defineUpdate<PaymentView, [{ bank: string; actor: ActorRef }]>('choosePayerBankUpdate');
export const cancelPaymentUpdate = defineUpdate<PaymentView, [{ reason: string; actor: ActorRef }]>('cancelPaymentUpdate');
/** The payer's bank: the payer was debited (Art 31.2c) — the Portal status changes at once. */
export const reportDebitUpdate = defineUpdate<CallbackResult, [DebitCallback]>('reportDebitUpdate');
/** The payer's bank: the digitally signed receipt (chứng từ nộp NSNN, Art 31.2c). */
export const reportReceiptUpdate = defineUpdate<CallbackResult, [ReceiptCallback]>('reportReceiptUpdate');
/** The payer's bank: the money reached the beneficiary account (Art 33.4a, T+1). */
export const reportSettlementUpdate = defineUpdate<CallbackResult, [SettlementCallback]>('reportSettlementUpdate');
/** The payer's bank: the payment failed before any debit. */
export const reportFailureUpdate = defineUpdate<CallbackResult, [FailureCallback]>('reportFailureUpdate');

/** The transaction day T of Art 33.4a is the local day of the debit. */
export { vietnamDate } from '../domain/calendar/local-time.js';
