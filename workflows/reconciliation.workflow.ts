import {
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
  WorkflowIdReusePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { createActivities } from '../activities/index.js';
import { batchActivity, reconciliationActivity } from './activity-options.js';
import { differenceRevisitedSignal, type DiscrepancyCursor } from './discrepancy.definitions.js';
import { discrepancyWorkflow } from './discrepancy.workflow.js';
import { reconciliationWorkflowId, type DailyReconciliationResult, type ReconciliationInput, type ReconciliationResult } from './reconciliation.definitions.js';

const { reconciliationDaysDue, discrepancyCases, markDayReconciled, revisitedCases } = proxyActivities<ReturnType<typeof createActivities>>(batchActivity);
const { reconcileTransactions } = proxyActivities<ReturnType<typeof createActivities>>(reconciliationActivity);

const PAGE = 200;
/** Keep the history small: continue as new after this many events while starting cases. */
const HISTORY_LIMIT = 8_000;
/** Runs after this patch tell the day's open cases what they found (closed when gone, updated when changed). */
const REVISIT_OPEN_CASES = 'reconciliation-revisits-open-cases';

/**
 * Reconciliation of one day (Art 34.2–34.5): the three-way comparison runs in PostgreSQL as one
 * set-based statement; then every difference gets its own discrepancy case (owner + clock).
 * Re-runnable: results are replaced, cases already opened are found again (same ids), and each
 * open case whose difference this run finds gone or changed is told so (a signal it checks and
 * records with the reason): a corrected statement closes the cases it explains.
 */
export async function reconciliationWorkflow(input: ReconciliationInput): Promise<ReconciliationResult> {
  const workflowId = workflowInfo().workflowId;
  const counts = input.resume ?? (await reconcileTransactions({ txnDate: input.txnDate, workflowId }));
  let started = input.resume?.started ?? 0;
  let after: DiscrepancyCursor | undefined = input.resume?.after;
  const revisiting = input.resume?.revisitAfter !== undefined;
  while (!revisiting) {
    const page = await discrepancyCases({ txnDate: input.txnDate, after, limit: PAGE });
    for (const d of page) {
      // Opened by an earlier run of the day (claimed in PostgreSQL): never a second case for one difference.
      if (d.alreadyOpened) continue;
      try {
        await startChild(discrepancyWorkflow, {
          workflowId: d.id, args: [d], parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
        started += 1;
      } catch (err) {
        // Found again by a re-run: the case is already open (or settled).
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    }
    const last = page[page.length - 1];
    if (!last) break;
    after = { agency: last.agency, bank: last.bank, paymentId: last.paymentId, seq: last.seq };
    if (workflowInfo().historyLength > HISTORY_LIMIT) {
      await continueAsNew<typeof reconciliationWorkflow>({ txnDate: input.txnDate, resume: { after, transactions: counts.transactions, discrepancies: counts.discrepancies, started, awaitingUpload: counts.awaitingUpload } });
    }
  }
  let revisited = input.resume?.revisited ?? 0;
  if (patched(REVISIT_OPEN_CASES)) {
    let afterId = input.resume?.revisitAfter || undefined;
    for (;;) {
      const page = await revisitedCases({ txnDate: input.txnDate, after: afterId, limit: PAGE });
      for (const c of page) {
        const reason = c.current
          ? `the difference changed when ${input.txnDate} was reconciled again (${workflowId})`
          : `the difference disappeared when ${input.txnDate} was reconciled again (${workflowId}), e.g. after a corrected statement`;
        try {
          await getExternalWorkflowHandle(c.id).signal(differenceRevisitedSignal, { txnDate: input.txnDate, current: c.current, reason });
          revisited += 1;
        } catch (err) {
          // The case closed meanwhile (its projection had not caught up): nothing left to tell it.
          log.info('discrepancy case not running; not revisited', { discrepancyId: c.id, error: err instanceof Error ? err.message : String(err) });
        }
      }
      const last = page[page.length - 1];
      if (!last) break;
      afterId = last.id;
      if (workflowInfo().historyLength > HISTORY_LIMIT) {
        await continueAsNew<typeof reconciliationWorkflow>({
          txnDate: input.txnDate,
          resume: { after: after ?? { agency: '', bank: '', paymentId: '', seq: 0 }, transactions: counts.transactions, discrepancies: counts.discrepancies, started, awaitingUpload: counts.awaitingUpload, revisitAfter: afterId, revisited },
        });
      }
    }
  }
  await markDayReconciled({ txnDate: input.txnDate, workflowId, transactions: counts.transactions, discrepancies: counts.discrepancies });
  return {
    txnDate: input.txnDate, transactions: counts.transactions, discrepancies: counts.discrepancies, casesStarted: started,
    ...(counts.awaitingUpload !== undefined ? { awaitingUpload: counts.awaitingUpload } : {}),
    ...(patched(REVISIT_OPEN_CASES) ? { casesRevisited: revisited } : {}),
  };
}

/**
 * Started by the daily Schedule: on a working day, reconciles every day of the window up to
 * yesterday not reconciled yet (catching up rest days and missed runs); on a rest day does nothing.
 */
export async function dailyReconciliationWorkflow(input: { maxDays?: number } = {}): Promise<DailyReconciliationResult> {
  const due = await reconciliationDaysDue({ now: new Date().toISOString(), maxDays: input.maxDays });
  const reconciled: ReconciliationResult[] = [];
  if (due.olderUnreconciled.length > 0) {
    log.warn('days with payments older than the reconciliation window were never reconciled; run them with POST /v1/reconciliation/runs', {
      alert: 'reconciliation-days-outside-window', days: due.olderUnreconciled,
    });
  }
  // Days reconciled before whose uploads changed since (absent from results recorded before this existed).
  const again = new Set(due.again ?? []);
  for (const txnDate of [...due.days, ...again].sort()) {
    try {
      reconciled.push(
        await executeChild(reconciliationWorkflow, {
          workflowId: reconciliationWorkflowId(txnDate), args: [{ txnDate }],
          workflowIdReusePolicy: again.has(txnDate) ? WorkflowIdReusePolicy.ALLOW_DUPLICATE : WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        }),
      );
    } catch (err) {
      // A manual run of the same day is under way or done: that day is covered.
      if (err instanceof WorkflowExecutionAlreadyStartedError) continue;
      throw err;
    }
  }
  return { today: due.today, workingDay: due.workingDay, reconciled, ...(due.olderUnreconciled.length > 0 ? { olderUnreconciled: due.olderUnreconciled } : {}) };
}
