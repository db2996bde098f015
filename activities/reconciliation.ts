import { Context } from '@temporalio/activity';
import type { Database } from '../db/client.js';
import { claimBusinessKey, findBusinessKey } from '../db/queries/record.js';
import { daysWithLaterUploads, discrepancyPage, markDay, reconciledDaysBetween, revisitedDiscrepancyPage, unreconciledDaysBefore, reconcileDay, upsertDiscrepancy, type DiscrepancyRow } from '../db/queries/reconciliation.js';
import { epochDay } from '../domain/calendar/dates.js';
import type { CalendarCache } from '../db/queries/calendar.js';
import { vietnamDate } from '../workflows/payment.definitions.js';
import { discrepancyWorkflowId, type DiscrepancyCase, type DiscrepancyCursor } from '../workflows/discrepancy.definitions.js';

const isoDay = (epoch: number) => new Date(epoch * 86_400_000).toISOString().slice(0, 10);

interface ResultRow {
  agency: string; bank: string; paymentId: string; seq: number; outcome: string; ownerKind: 'bank' | 'agency' | null;
  portalAmount: number | null; bankAmount: number | null; agencyAmount: number | null; portalStatus: string | null; bankStatus: string | null; bankTxnRef: string | null;
}

/** A difference of the day as a discrepancy case, with the owner resolved to the agency or bank code (owner rule: db/queries/reconciliation.ts, README). */
function toCase(txnDate: string, r: ResultRow): DiscrepancyCase {
  const ownerKind = r.ownerKind ?? 'bank';
  const base = { txnDate, agency: r.agency, bank: r.bank, paymentId: r.paymentId, seq: r.seq };
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
}

export function createReconciliationActivities(db: Database, calendars: CalendarCache) {
  return {
    /**
     * Which days the daily run must reconcile: nothing on a rest day (the run waits for the next
     * working day); on a working day every day of the window (the `maxDays` days up to yesterday,
     * project rule, default 31; payments happen on rest days too) not reconciled yet — each day on
     * its own, so a manual run of a later day never hides an earlier one. Unreconciled days with
     * data older than the window are returned; the daily run logs them as an alert (a manual run covers them).
     * Reconciled days of the window with an upload newer than their reconciliation are due again
     * (`again`): a late upload ends "awaiting upload", a corrected one closes what it explains.
     */
    async reconciliationDaysDue(input: { now: string; maxDays?: number }): Promise<{ today: string; workingDay: boolean; days: string[]; again: string[]; olderUnreconciled: string[] }> {
      const calendar = await calendars.get();
      const today = vietnamDate(input.now);
      if (!calendar.isWorkingDay(today)) return { today, workingDay: false, days: [], again: [], olderUnreconciled: [] };
      const yesterday = epochDay(today) - 1;
      const first = yesterday - (input.maxDays ?? 31) + 1;
      const done = await reconciledDaysBetween(db, isoDay(first), isoDay(yesterday));
      const days: string[] = [];
      for (let d = first; d <= yesterday; d++) if (!done.has(isoDay(d))) days.push(isoDay(d));
      const again = await daysWithLaterUploads(db, isoDay(first), isoDay(yesterday));
      const olderUnreconciled = await unreconciledDaysBefore(db, isoDay(first));
      return { today, workingDay: true, days, again, olderUnreconciled };
    },

    /** The set-based three-way comparison of one day; idempotent (a re-run replaces the results). */
    async reconcileTransactions(input: { txnDate: string; workflowId: string }): Promise<{ transactions: number; discrepancies: number; awaitingUpload: number }> {
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
      const cases = rows.map((r) => toCase(input.txnDate, r));
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

    /**
     * A page of the day's open cases this run found otherwise (Art 34.5 re-run): each with the
     * difference as it is now, or without one when it has disappeared. Read-only.
     */
    async revisitedCases(input: { txnDate: string; after?: string; limit: number }): Promise<{ id: string; current?: DiscrepancyCase }[]> {
      const rows = await revisitedDiscrepancyPage(db, input);
      return rows.map((r) => (r.outcome && r.outcome !== 'matched' ? { id: r.id, current: toCase(input.txnDate, { ...r, outcome: r.outcome }) } : { id: r.id }));
    },

    /** Idempotent on (discrepancy, revision). */
    async projectDiscrepancy(row: DiscrepancyRow): Promise<void> {
      await upsertDiscrepancy(db, row);
    },
  };
}
