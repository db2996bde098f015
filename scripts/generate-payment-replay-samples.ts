/**
 * Generates the committed replay samples of the P4–P5 processes (payments, reconciliation,
 * discrepancies, refunds):
 *   npx tsx scripts/generate-payment-replay-samples.ts [outDir]     (default test/replay/histories/)
 * It runs on the harness of scripts/replay-samples.ts (its own database `dvcqg_payment_samples`, a dev
 * server, a real Worker, each case started as the API starts it).
 * Cases captured:
 *   paymentWorkflow-signedReceiptSettled     bank chosen, debit with its time, XML-DSig receipt verified against the bank's
 *                                           registered certificate, settlement within T+1 (Art 31.2c–d, 33.4a)
 *   (paymentWorkflow-settledOnTime, committed earlier, is the path from before receipts were verified.)
 *   refundWorkflow-bankFaultRefunded         a payer's request, the bank finds its own fault and refunds (Art 34.6b)
 *   discrepancyWorkflow-causeThenResolved    a difference owned by the agency: cause recorded by the bank, resolved by the agency (Art 34.5)
 *   reconciliationWorkflow-dayWithDifferences one day reconciled three-way; its differences open cases (Art 34.4–34.5)
 *   dailyReconciliationWorkflow-twoDaysCaughtUp the daily Schedule's run over a 2-day window: both days before
 *                                           today reconciled as child workflows (Art 34.4). Only on a working
 *                                           day (on a rest day the run does nothing): elsewhen it is skipped.
 * Clocks are started and met in real time (the dev server does not skip time).
 */
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { registerBank } from '../db/queries/payment.js';
import { readCertificate, verifyReceipt } from '../domain/payments/receipt.js';
import { createFakeBankSigner } from '../test/support/fake-bank.js';
import { replaceUpload } from '../db/queries/reconciliation.js';
import type { ActorRef } from '../workflows/actors.js';
import { agencyKey, processKey, stageKey } from '../workflows/search-attributes.js';
import {
  choosePayerBankUpdate,
  PAYMENT_PROCESS,
  paymentWorkflowId,
  reportDebitUpdate,
  reportReceiptUpdate,
  reportSettlementUpdate,
  vietnamDate,
  type PaymentRequest,
  type PaymentView,
} from '../workflows/payment.definitions.js';
import { decideRefundUpdate, payRefundUpdate, REFUND_PROCESS, refundQuery, refundWorkflowId, type RefundInput } from '../workflows/refund.definitions.js';
import { discrepancyQuery, discrepancyWorkflowId, recordDiscrepancyCauseUpdate, resolveDiscrepancyUpdate, type DiscrepancyCase } from '../workflows/discrepancy.definitions.js';
import {
  RECONCILIATION_PROCESS,
  RECONCILIATION_SCHEDULE_ID,
  reconciliationWorkflowId,
  type DailyReconciliationResult,
  type ReconciliationResult,
} from '../workflows/reconciliation.definitions.js';
import { btp, ensure, portal, runSampleGenerator, until, type Sample, type SampleContext } from './replay-samples.js';

const BANK = 'VCB';
const bank: ActorRef = { userId: 'sample-vcb-api', role: 'bank', bank: BANK };
const vpcp: ActorRef = { userId: 'sample-vpcp', role: 'vpcp', agency: 'VPCP' };
const signer = createFakeBankSigner(BANK);

runSampleGenerator({
  name: 'payment-replay-samples',
  database: 'dvcqg_payment_samples',
  cases: async (ctx) => {
    const receiptCertificate = { pem: signer.certificatePem, fingerprint: readCertificate(signer.certificatePem).fingerprint };
    await registerBank(ctx.db, { code: BANK, name: 'Vietcombank', nameVi: 'Ngân hàng TMCP Ngoại thương Việt Nam', kind: 'bank', receiptCertificate }, vpcp);
    const samples = [await paymentSample(ctx), await refundSample(ctx), await discrepancySample(ctx), await reconciliationSample(ctx)];
    const daily = await dailyReconciliationSample(ctx);
    return daily ? [...samples, daily] : samples;
  },
});

/** As POST /v1/payments, then the Portal and the bank's callbacks. */
async function paymentSample({ client, taskQueue }: SampleContext): Promise<Sample> {
  const request: PaymentRequest = {
    agency: 'BTP', requestRef: 'SAMPLE-PAY-1', dossierCode: '000.00.00.H01-250101-0001', feeTypeCode: 'LEPHI-HT', amount: 150_000,
    beneficiary: { kind: 'treasury', institution: 'KBNN', account: '7111-1234567', name: 'Kho bạc Nhà nước Hà Nội' }, actor: btp,
  };
  const handle = await client.workflow.start('paymentWorkflow', {
    taskQueue, workflowId: paymentWorkflowId(request.agency, request.requestRef), args: [request], workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    typedSearchAttributes: [{ key: agencyKey, value: 'BTP' }, { key: processKey, value: PAYMENT_PROCESS }, { key: stageKey, value: 'awaitingPayer' }],
  });
  await handle.executeUpdate(choosePayerBankUpdate, { args: [{ bank: BANK, actor: portal }] });
  const debitedAt = new Date().toISOString();
  await handle.executeUpdate(reportDebitUpdate, { args: [{ callbackId: 'cb-1', bankTxnRef: 'FT-SAMPLE-1', amount: 150_000, debitedAt, actor: bank }] });
  // As the API passes it: the signed document and the facts verified against the registered certificate.
  const document = signer.signReceipt({ receiptNo: 'CT-0001', paymentId: handle.workflowId, bank: BANK, bankTxnRef: 'FT-SAMPLE-1', amount: 150_000, debitedAt });
  const verified = verifyReceipt(document, signer.certificatePem, new Date());
  await handle.executeUpdate(reportReceiptUpdate, { args: [{ callbackId: 'cb-2', document, verified, actor: bank }] });
  await handle.executeUpdate(reportSettlementUpdate, { args: [{ callbackId: 'cb-3', transferRef: 'TT-SAMPLE-1', amount: 150_000, actor: bank }] });
  const view = (await handle.result()) as PaymentView;
  ensure(view.status, 'settled', 'payment');
  ensure(view.settlement?.breached, false, 'payment settled on time');
  return { name: 'paymentWorkflow-signedReceiptSettled', handle };
}

/** As POST /v1/refunds, then the bank's decision and payout. */
async function refundSample({ client, taskQueue }: SampleContext): Promise<Sample> {
  const input: RefundInput = {
    origin: 'payerRequest', paymentId: paymentWorkflowId('BTP', 'SAMPLE-PAY-1'), agency: 'BTP', bank: BANK, bankTxnRef: 'FT-SAMPLE-1',
    amount: 150_000, reason: 'Bị trừ tiền hai lần / debited twice', actor: portal,
  };
  const handle = await client.workflow.start('refundWorkflow', {
    taskQueue, workflowId: refundWorkflowId(input), args: [input], workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    typedSearchAttributes: [{ key: agencyKey, value: 'BTP' }, { key: processKey, value: REFUND_PROCESS }, { key: stageKey, value: 'investigating' }],
  });
  await until(async () => (await handle.query(refundQuery)).actions.length > 0, `${handle.workflowId} started`);
  await handle.executeUpdate(decideRefundUpdate, { args: [{ finding: 'bankFault', note: 'Lỗi hệ thống ngân hàng / bank system error', actor: bank }] });
  ensure((await handle.executeUpdate(payRefundUpdate, { args: [{ payoutRef: 'HT-SAMPLE-1', actor: bank }] })).status, 'refunded', 'refund');
  await handle.result();
  return { name: 'refundWorkflow-bankFaultRefunded', handle };
}

/** A difference owned by the agency, started as the reconciliation starts it. */
async function discrepancySample({ client, taskQueue }: SampleContext): Promise<Sample> {
  const base = { txnDate: vietnamDate(new Date().toISOString()), agency: 'BTP', bank: BANK, paymentId: 'payment-BTP-SAMPLE-2', seq: 1 };
  const input: DiscrepancyCase = { ...base, id: discrepancyWorkflowId(base), kind: 'missingAtAgency', ownerKind: 'agency', owner: 'BTP', portalAmount: 50_000, bankAmount: 50_000 };
  const handle = await client.workflow.start('discrepancyWorkflow', { taskQueue, workflowId: input.id, args: [input], workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE });
  await until(async () => (await handle.query(discrepancyQuery)).dueAt !== undefined, `${handle.workflowId} clock`);
  await handle.executeUpdate(recordDiscrepancyCauseUpdate, { args: [{ cause: 'Sổ kế toán thiếu tệp / ledger import skipped a file', actor: bank }] });
  ensure((await handle.executeUpdate(resolveDiscrepancyUpdate, { args: [{ resolution: 'Đã nhập lại / re-imported', actor: btp }] })).status, 'resolved', 'discrepancy');
  await handle.result();
  return { name: 'discrepancyWorkflow-causeThenResolved', handle };
}

/** One day with a matched payment and a statement line the Portal does not know, as POST /v1/reconciliation/runs. */
async function reconciliationSample({ client, taskQueue, db }: SampleContext): Promise<Sample> {
  const day = vietnamDate(new Date().toISOString());
  const paymentId = paymentWorkflowId('BTP', 'SAMPLE-PAY-1');
  await replaceUpload(db, { source: 'bank', agency: 'BTP', bank: BANK, txnDate: day }, [
    { paymentId, bankTxnRef: 'FT-SAMPLE-1', amount: 150_000, status: 'success' },
    { paymentId: 'PAY-UNKNOWN', bankTxnRef: 'FT-SAMPLE-9', amount: 12_000, status: 'success' },
  ], { format: 'json', uploadedBy: bank.userId });
  await replaceUpload(db, { source: 'agency', agency: 'BTP', bank: BANK, txnDate: day }, [
    { paymentId, bankTxnRef: 'FT-SAMPLE-1', amount: 150_000, status: 'success' },
  ], { format: 'json', uploadedBy: btp.userId });
  const handle = await client.workflow.start('reconciliationWorkflow', {
    taskQueue, workflowId: reconciliationWorkflowId(day), args: [{ txnDate: day }], workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: [{ key: agencyKey, value: 'VPCP' }, { key: processKey, value: RECONCILIATION_PROCESS }, { key: stageKey, value: 'reconciling' }],
  });
  const result = (await handle.result()) as ReconciliationResult;
  ensure(result.casesStarted, 1, 'reconciliation cases');
  // The case it opened is settled so that nothing keeps running on the sample server.
  const caseId = discrepancyWorkflowId({ txnDate: day, agency: 'BTP', bank: BANK, paymentId: 'PAY-UNKNOWN', seq: 1 });
  const opened = client.workflow.getHandle(caseId);
  await until(async () => (await opened.query(discrepancyQuery)).dueAt !== undefined, `${caseId} clock`);
  await opened.executeUpdate(resolveDiscrepancyUpdate, { args: [{ resolution: 'Giao dịch thử, đã hoàn / test transaction, reversed', actor: bank }] });
  return { name: 'reconciliationWorkflow-dayWithDifferences', handle };
}

/** The daily Schedule's action (api/routes/reconciliation/schedule.ts) over a small window, started directly. */
async function dailyReconciliationSample({ client, taskQueue }: SampleContext): Promise<Sample | undefined> {
  const maxDays = 2;
  const handle = await client.workflow.start('dailyReconciliationWorkflow', {
    taskQueue, workflowId: `${RECONCILIATION_SCHEDULE_ID}-run-sample`, args: [{ maxDays }], workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });
  const result = (await handle.result()) as DailyReconciliationResult;
  if (!result.workingDay) {
    process.stderr.write(`dailyReconciliationWorkflow-twoDaysCaughtUp skipped: ${result.today} is a rest day, the run reconciles nothing\n`);
    return undefined;
  }
  ensure(result.reconciled.length, maxDays, 'days reconciled by the daily run');
  return { name: 'dailyReconciliationWorkflow-twoDaysCaughtUp', handle };
}
