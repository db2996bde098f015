import type { Database } from '../db/client.js';
import { recordPayout, upsertRefund, type PayoutOutcome, type RefundRow } from '../db/queries/reconciliation.js';

export function createRefundActivities(db: Database) {
  return {
    /** Idempotent on (refund, revision). */
    async projectRefund(row: RefundRow): Promise<void> {
      await upsertRefund(db, row);
    },

    /**
     * Records the money returned to the payer. Exactly once: keyed by the refund id (a retry gets
     * `alreadyPaid` with the first payout), and one debit is refundable once across refund cases.
     */
    async recordRefundPayout(input: Parameters<typeof recordPayout>[1]): Promise<PayoutOutcome> {
      return recordPayout(db, input);
    },
  };
}
