import type { Database } from '../db/client.js';
import { findBank, insertCallback, insertReceipt, upsertPayment } from '../db/queries/payment.js';
import { epochDay } from '../domain/calendar/dates.js';
import type { CalendarCache } from '../db/queries/calendar.js';
import { vietnamDate, type CallbackResult, type PaymentView, type ReceiptInput } from '../workflows/payment.definitions.js';

const dayAfter = (date: string) => new Date((epochDay(date) + 1) * 86_400_000).toISOString().slice(0, 10);

export interface SettlementDelay {
  workingDaysLate: number;
  calendarDaysLate: number;
  calendarVersion: number;
}

export function createPaymentActivities(db: Database, calendars: CalendarCache) {
  return {
    /** Art 33.7: only a registered, active bank may take new payments. */
    async checkBankAcceptsPayments(input: { bank: string }): Promise<{ accepts: boolean; reason?: string }> {
      const bank = await findBank(db, input.bank);
      if (!bank) return { accepts: false, reason: `bank ${input.bank} is not registered with the Portal's payment system` };
      if (bank.status !== 'active') {
        return { accepts: false, reason: `bank ${input.bank} is ${bank.status} by VPCP (Art 33.7)${bank.statusReason ? `: ${bank.statusReason}` : ''}` };
      }
      return { accepts: true };
    },

    /** Idempotent on (payment, revision). */
    async projectPayment(view: PaymentView): Promise<void> {
      await upsertPayment(db, view);
    },

    /** Idempotent on the payment id: one receipt per payment. */
    async storePaymentReceipt(input: { paymentId: string; bank: string; receipt: ReceiptInput }): Promise<void> {
      await insertReceipt(db, input);
    },

    /** Idempotent on (bank, callback id): remembered for duplicates arriving after the case closed. */
    async recordPaymentCallback(input: { bank: string; result: CallbackResult }): Promise<void> {
      await insertCallback(db, input);
    },

    /**
     * How late a settlement was, for the Art 33.4a penalty: interbank working days from the day
     * after the due day through the settlement day (at least 1 when late: a transfer on a rest day
     * after the due day counts as the next working day), and calendar days.
     */
    async measureSettlementDelay(input: { dueAt: string; settledAt: string }): Promise<SettlementDelay> {
      const calendar = await calendars.get();
      if (Date.parse(input.settledAt) <= Date.parse(input.dueAt)) return { workingDaysLate: 0, calendarDaysLate: 0, calendarVersion: calendar.version };
      const dueDay = vietnamDate(input.dueAt);
      const settledDay = vietnamDate(input.settledAt);
      const calendarDaysLate = Math.max(1, epochDay(settledDay) - epochDay(dueDay));
      const days = settledDay > dueDay ? calendar.listDays(dayAfter(dueDay), settledDay) : [];
      const workingDaysLate = Math.max(1, days.filter((d) => d.working).length);
      return { workingDaysLate, calendarDaysLate, calendarVersion: calendar.version };
    },
  };
}
