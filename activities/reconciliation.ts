import { Context } from '@temporalio/activity';
import type { Database } from '../db/client.js';
import { claimBusinessKey, findBusinessKey } from '../db/queries/record.js';
import { discrepancyPage, markDay, reconciledDaysBetween, unreconciledDaysBefore, reconcileDay, upsertDiscrepancy, type DiscrepancyRow } from '../db/queries/reconciliation.js';
import { epochDay } from '../domain/calendar/dates.js';
import type { CalendarCache } from '../db/queries/calendar.js';
import { vietnamDate } from '../workflows/payment.definitions.js';
import { discrepancyWorkflowId, type DiscrepancyCase, type DiscrepancyCursor } from '../workflows/discrepancy.definitions.js';

const isoDay = (epoch: number) => new Date(epoch * 86_400_000).toISOString().slice(0, 10);

export function createReconciliationActivities(db: Database, calendars: CalendarCache) {
  return {
    /**
     * Which days the daily run must reconcile: nothing on a rest day (the run waits for the next
     * working day); on a working day every day of the window (the `maxDays` days up to yesterday,
     * project rule, default 31; payments happen on rest days too) not reconciled yet — each day on
     * its own, so a manual run of a later day never hides an earlier one. Unreconciled days with
     * data older than the window are returned; the daily run logs them as an alert (a manual run covers them).
     */
    async reconciliationDaysDue(input: { now: string; maxDays?: number }): Promise<{ today: string; workingDay: boolean; days: string[]; olderUnreconciled: string[] }> {
      const calendar = await calendars.get();
      const today = vietnamDate(input.now);
      if (!calendar.isWorkingDay(today)) return { today, workingDay: false, days: [], olderUnreconciled: [] };
      const yesterday = epochDay(today) - 1;
      const first = yesterday - (input.maxDays ?? 31) + 1;
      const done = await reconciledDaysBetween(db, isoDay(first), isoDay(yesterday));
      const days: string[] = [];
      for (let d = first; d <= yesterday; d++) if (!done.has(isoDay(d))) days.push(isoDay(d));
      const olderUnreconciled = await unreconciledDaysBefore(db, isoDay(first));
      return { today, workingDay: true, days, olderUnreconciled };
    },

    /** The set-based three-way comparison of one day; idempotent (a re-run replaces the results). */
    async reconcileTransactions(input: { txnDate: string; workflowId: string }): Promise<{ transactions: number; discrepancies: number }> {
      await markDay(db, { ...input, status: 'running' });
      return reconcileDay(db, input.txnDate);
    },

    async markDayReconciled(input: { txnDate: string; workflowId: string; transactions: number; discrepancies: number }): Promise<void> {
      await markDay(db, { ...input, status: 'reconciled' });
    },

    /**
     * A page of a day's differences as discrepancy cases, with the owner resolved to the agency
     * or bank code (owner rule: db/queries/reconciliation.ts, README).
     */
    async discrepancyCases(input: { txnDate: string; after?: DiscrepancyCursor; limit: number }): Promise<DiscrepancyCase[]> {
      const rows = await discrepancyPage(db, input);
      const cases = rows.map((r) => {
        const ownerKind = r.ownerKind ?? 'bank';
        const base = { txnDate: input.txnDate, agency: r.agency, bank: r.bank, paymentId: r.paymentId, seq: r.seq };
        return {
          ...base,
          id: discrepancyWorkflowId(base),
          kind: r.outcome as DiscrepancyCase['kind'],
          ownerKind,
          owner: ownerKind === 'bank' ? r.bank : r.agency,
          portalAmount: r.portalAmount ?? undefined,
          bankAmount: r.bankAmount ?? undefined,
          agencyAmount: r.agencyAmount ?? undefined,
          portalStatus: r.portalStatus ?? undefined,
          bankStatus: r.bankStatus ?? undefined,
          bankTxnRef: r.bankTxnRef ?? undefined,
        };
      });
      // One case per difference, ever: each id is claimed in PostgreSQL for the run that will start it, so a
      // re-run of the day (also after Temporal purged the first cases) starts only differences never opened.
      const run = Context.current().info.workflowExecution;
      const claimedBy = `${run?.workflowId}/${run?.runId}`;
      const page: DiscrepancyCase[] = [];
      for (const c of cases) {
        const claim = await claimBusinessKey(db, { kind: 'discrepancy', key: c.id, workflowId: c.id, contentSha256: c.kind, claimedBy });
        const ours = claim.outcome === 'claimed' || (await findBusinessKey(db, 'discrepancy', c.id))?.claimedBy === claimedBy;
        page.push(ours ? c : { ...c, alreadyOpened: true });
      }
      return page;
    },

    /** Idempotent on (discrepancy, revision). */
    async projectDiscrepancy(row: DiscrepancyRow): Promise<void> {
      await upsertDiscrepancy(db, row);
    },
  };
}
