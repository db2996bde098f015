/** Refund (Art 34.6): the Temporal definitions; the data types live in domain/payments/refund.ts (db/ and api/ read them too) and are re-exported. */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { RefundFinding, RefundView } from '../domain/payments/refund.js';
import type { ActorRef } from './actors.js';

export * from '../domain/payments/refund.js';

export const refundQuery = defineQuery<RefundView>('refund');
export const decideRefundUpdate = defineUpdate<RefundView, [{ finding: RefundFinding; note: string; actor: ActorRef }]>('decideRefundUpdate');
export const payRefundUpdate = defineUpdate<RefundView, [{ payoutRef: string; actor: ActorRef }]>('payRefundUpdate');
/**
 * Art 34.6: a refund opened from a reconciliation difference that later proves unfounded (a
 * corrected statement: the second debit or the over-payment never happened) is closed, unpaid, by
 * the payer's bank or VPCP, with the reason.
 */
export const closeUnfoundedRefundUpdate = defineUpdate<RefundView, [{ reason: string; actor: ActorRef }]>('closeUnfoundedRefundUpdate');
