import type { VerifiedReceipt } from './receipt.js';
import type { CaseRuleSet } from '../rules/types.js';
import type { ActionRecord, ActorRef } from '../processes/actors.js';

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
  /**
   * Project rule (Art 33.4a): a debit reported more than this many hours after it happened is
   * flagged (default 24; the API passes its configured value).
   */
  debitReportLimitHours?: number;
  actor: ActorRef;
  /** The rule set in force at registration, pinned by the API (absent before rule sets existed: the 2020 baseline). */
  ruleSet?: CaseRuleSet;
}

export const DEFAULT_DEBIT_REPORT_LIMIT_HOURS = 24;

export interface ReceiptSignature {
  signer: string;
  algorithm: string;
  value: string;
  signedAt: string;
}

/** How the receipt's signature was verified (Art 31.2c), and the facts it signs. */
export interface ReceiptVerification {
  method: 'xmldsig';
  certFingerprint: string;
  documentSha256: string;
  verifiedAt: string;
  bankTxnRef: string;
  amount: number;
  debitedAt: string;
}

export interface ReceiptInput {
  receiptNo: string;
  issuedAt: string;
  /** The signed document as sent (base64 of the XML-DSig-signed receipt). */
  document: string;
  signature: ReceiptSignature;
  /** Absent only on receipts accepted before signatures were verified. */
  verification?: ReceiptVerification;
}

/** Every bank callback carries the bank's own id for it: the same id twice is the same callback. */
interface BankCallback {
  callbackId: string;
  actor: ActorRef;
}
export interface DebitCallback extends BankCallback {
  bankTxnRef: string;
  amount: number;
  /** When the payer was debited (Art 33.4a: T is its local day); absent only in histories from before it was required. */
  debitedAt?: string;
}
/**
 * The bank sends its signed receipt document; the API verifies the signature against the bank's
 * registered certificate before the update (workflow code cannot do crypto) and passes the signed
 * facts as `verified`. Older histories carry the unverified fields instead.
 */
export interface ReceiptCallback extends BankCallback, Partial<Omit<ReceiptInput, 'document' | 'verification'>> {
  document: string;
  verified?: VerifiedReceipt;
}
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
  /** The transfer is recorded, but the payment settles only with the signed receipt (or VPCP's exception). */
  awaitingReceipt?: boolean;
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

/**
 * What a bank reported under a callback id, in a stable form: everything but who sent it and what
 * the API derived from it (the verified receipt's facts, which follow from the document).
 */
export const callbackFingerprint = (input: { actor?: unknown; verified?: unknown } & Record<string, unknown>): string => {
  const { actor: _actor, verified: _verified, ...report } = input;
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

/** What a payment request registers, as the payment keeps it. */
export type PaymentRegistration = Pick<PaymentRequest, 'agency' | 'requestRef' | 'dossierCode' | 'feeTypeCode' | 'amount' | 'beneficiary'>;

export interface PaymentView extends PaymentRegistration {
  paymentId: string;
  status: PaymentStatus;
  payerBank?: string;
  bankTxnRef?: string;
  /** When the payer was debited, as the bank states it (T of Art 33.4a). */
  debitedAt?: string;
  /** When the bank reported the debit. */
  debitReportedAt?: string;
  /** Project rule (Art 33.4a): reported more than `debitReportLimitHours` after the debit. */
  debitReportedLate?: boolean;
  /** Project rule: the debit was reported after the request expired, within the late-debit window. */
  debitedAfterExpiry?: boolean;
  /** Local day of the debit (or of the failure/expiry/cancellation): the reconciliation day. */
  txnDate?: string;
  receipt?: ReceiptInput & { bank: string };
  /** VPCP let the payment settle without a verified receipt (Art 31.2c–d), and why. */
  receiptException?: { reason: string; by: string; at: string };
  settlementDueAt?: string;
  settlementBreached: boolean;
  settlement?: SettlementRecord;
  endReason?: string;
  createdAt: string;
  actions: ActionRecord[];
  revision: number;
}

/**
 * The state a payment starts in (revision 0): what the workflow holds before its first step, and
 * what the API lands as the projection's first row right after the start (read your writes).
 */
export function startedPaymentView(paymentId: string, request: PaymentRegistration, createdAt: string): PaymentView {
  return {
    paymentId,
    agency: request.agency,
    requestRef: request.requestRef,
    dossierCode: request.dossierCode,
    feeTypeCode: request.feeTypeCode,
    amount: request.amount,
    beneficiary: request.beneficiary,
    status: 'awaitingPayer',
    settlementBreached: false,
    createdAt,
    actions: [],
    revision: 0,
  };
}
