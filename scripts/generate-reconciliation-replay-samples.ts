/**
 * Generates the committed replay samples of reconciliation re-runs and the refunds they disprove
 * (issue 16.7–16.8; the day's first run, the payment and the other cases are in
 * scripts/generate-payment-replay-samples.ts):
 *   npx tsx scripts/generate-reconciliation-replay-samples.ts [outDir]   (default test/replay/histories/)
 * It runs on the harness of scripts/replay-samples.ts (its own database `dvcqg_reconciliation_samples`).
 * Cases captured:
 *   reconciliationWorkflow-rerunClosesGoneCase  a corrected statement re-run tells the open case its
 *                                               difference disappeared (Art 34.5; patch reconciliation-revisits-open-cases)
 *   discrepancyWorkflow-goneOnRerun             that case: detected, then settled by the re-run (differenceGone)
 *   refundWorkflow-closedUnfounded              a refund from a reconciliation difference closed as unfounded by the bank (Art 34.6)
 */
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { registerBank } from '../db/queries/payment.js';
import { replaceUpload } from '../db/queries/reconciliation.js';
import { discrepancies } from '../db/schema/index.js';
import type { ActorRef } from '../workflows/actors.js';
import { discrepancyWorkflowId, type DiscrepancyView } from '../workflows/discrepancy.definitions.js';
import { vietnamDate } from '../workflows/payment.definitions.js';
import { closeUnfoundedRefundUpdate, REFUND_PROCESS, refundQuery, refundWorkflowId, type RefundInput } from '../workflows/refund.definitions.js';
import { RECONCILIATION_PROCESS, reconciliationWorkflowId, type ReconciliationResult } from '../workflows/reconciliation.definitions.js';
import { agencyKey, processKey, stageKey } from '../workflows/search-attributes.js';
import { btp, ensure, runSampleGenerator, until, type Sample, type SampleContext } from './replay-samples.js';

const BANK = 'VCB';
const bank: ActorRef = { userId: 'sample-vcb-api', role: 'bank', bank: BANK };
const vpcp: ActorRef = { userId: 'sample-vpcp', role: 'vpcp', agency: 'VPCP' };

runSampleGenerator({
  name: 'reconciliation-replay-samples',
  database: 'dvcqg_reconciliation_samples',
  cases: async (ctx) => {
    await registerBank(ctx.db, { code: BANK, name: 'Vietcombank', nameVi: 'Ngân hàng TMCP Ngoại thương Việt Nam', kind: 'bank' }, vpcp);
    return [...(await rerunSamples(ctx)), await refundSample(ctx)];
  },
});

/** As POST /v1/reconciliation/runs, twice: a statement line the Portal does not know, then the corrected statement without it. */
async function rerunSamples({ client, taskQueue, db }: SampleContext): Promise<Sample[]> {
  const day = vietnamDate(new Date().toISOString());
  const run = async () => {
    const handle = await client.workflow.start('reconciliationWorkflow', {
      taskQueue, workflowId: reconciliationWorkflowId(day), args: [{ txnDate: day }], workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      typedSearchAttributes: [{ key: agencyKey, value: 'VPCP' }, { key: processKey, value: RECONCILIATION_PROCESS }, { key: stageKey, value: 'reconciling' }],
    });
    return { handle, result: (await handle.result()) as ReconciliationResult };
  };
  const statement = (lines: Parameters<typeof replaceUpload>[2]) => replaceUpload(db, { source: 'bank', agency: 'BTP', bank: BANK, txnDate: day }, lines, { format: 'csv', uploadedBy: bank.userId });
  await replaceUpload(db, { source: 'agency', agency: 'BTP', bank: BANK, txnDate: day }, [], { format: 'json', uploadedBy: btp.userId });
  await statement([{ paymentId: 'PAY-DISPLAY-ERROR', bankTxnRef: 'FT-SAMPLE-8', amount: 12_000, status: 'success' }]);
  ensure((await run()).result.casesStarted, 1, 'cases opened by the first run');
  const caseId = discrepancyWorkflowId({ txnDate: day, agency: 'BTP', bank: BANK, paymentId: 'PAY-DISPLAY-ERROR', seq: 1 });
  // The re-run reads the open cases from their projection: wait for the case's first write.
  await until(async () => (await db.select().from(discrepancies).where(eq(discrepancies.id, caseId)))[0]?.dueAt != null, `${caseId} projected`);

  await statement([]);
  const rerun = await run();
  ensure(rerun.result.casesRevisited, 1, 'cases revisited by the re-run');
  const opened = client.workflow.getHandle(caseId);
  const final = (await opened.result()) as DiscrepancyView;
  ensure(final.actions.map((a) => a.action).join(','), 'detected,differenceGone', 'case actions');
  return [
    { name: 'reconciliationWorkflow-rerunClosesGoneCase', handle: rerun.handle },
    { name: 'discrepancyWorkflow-goneOnRerun', handle: opened },
  ];
}

/** A refund as a duplicate's discrepancy case starts it, then closed as unfounded (POST /v1/refunds/:id/close-unfounded). */
async function refundSample({ client, taskQueue }: SampleContext): Promise<Sample> {
  const discrepancyId = discrepancyWorkflowId({ txnDate: vietnamDate(new Date().toISOString()), agency: 'BTP', bank: BANK, paymentId: 'payment-BTP-SAMPLE-3', seq: 2 });
  const input: RefundInput = {
    origin: 'reconciliation', paymentId: 'payment-BTP-SAMPLE-3', agency: 'BTP', bank: BANK, bankTxnRef: 'FT-SAMPLE-3B', amount: 150_000,
    reason: 'duplicate payment (Art 34.6a)', discrepancyId, actor: { userId: 'system:reconciliation', role: 'vpcp' },
  };
  const handle = await client.workflow.start('refundWorkflow', {
    taskQueue, workflowId: refundWorkflowId(input), args: [input], workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    typedSearchAttributes: [{ key: agencyKey, value: 'BTP' }, { key: processKey, value: REFUND_PROCESS }, { key: stageKey, value: 'awaitingRefund' }],
  });
  await until(async () => (await handle.query(refundQuery)).actions.length > 0, `${handle.workflowId} started`);
  const closed = await handle.executeUpdate(closeUnfoundedRefundUpdate, { args: [{ reason: 'Sao kê đã sửa: FT-SAMPLE-3B không trừ tiền / corrected statement: no second debit', actor: bank }] });
  ensure(closed.status, 'rejected', 'refund');
  await handle.result();
  return { name: 'refundWorkflow-closedUnfounded', handle };
}
