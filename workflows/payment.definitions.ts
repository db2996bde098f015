/** P4 — online payment: the Temporal definitions; the data types live in domain/payments (db/ and api/ read them too) and are re-exported. */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type {
  CallbackResult,
  DebitCallback,
  FailureCallback,
  PaymentView,
  ReceiptCallback,
  SettlementCallback,
} from '../domain/payments/types.js';
import type { ActorRef } from './actors.js';

export * from '../domain/payments/types.js';

export const paymentQuery = defineQuery<PaymentView>('payment');

/**
 * The payer, on the Portal, picks a connected bank or intermediary (Art 31.2b); the payer's e-mail,
 * when given, is where the signed receipt is sent (Art 31.2c).
 */
export const choosePayerBankUpdate = defineUpdate<PaymentView, [{ bank: string; payerEmail?: string; actor: ActorRef }]>('choosePayerBankUpdate');
export const cancelPaymentUpdate = defineUpdate<PaymentView, [{ reason: string; actor: ActorRef }]>('cancelPaymentUpdate');
/** The payer's bank: the payer was debited (Art 31.2c) — the Portal status changes at once. */
export const reportDebitUpdate = defineUpdate<CallbackResult, [DebitCallback]>('reportDebitUpdate');
/** The payer's bank: the digitally signed receipt (chứng từ nộp NSNN, Art 31.2c), verified by the API. */
export const reportReceiptUpdate = defineUpdate<CallbackResult, [ReceiptCallback]>('reportReceiptUpdate');
/** The payer's bank: the money reached the beneficiary account (Art 33.4a, T+1). */
export const reportSettlementUpdate = defineUpdate<CallbackResult, [SettlementCallback]>('reportSettlementUpdate');
/** VPCP: the payment may settle without a verified receipt (Art 31.2c–d exception), with the reason. */
export const recordReceiptExceptionUpdate = defineUpdate<PaymentView, [{ reason: string; actor: ActorRef }]>('recordReceiptExceptionUpdate');
/** The payer's bank: the payment failed before any debit. */
export const reportFailureUpdate = defineUpdate<CallbackResult, [FailureCallback]>('reportFailureUpdate');

/** The transaction day T of Art 33.4a is the local day of the debit. */
export { vietnamDate } from '../domain/calendar/local-time.js';
