/**
 * Generates the committed replay samples of the P4–P5 processes (payments, reconciliation,
 * discrepancies, refunds), modelled on scripts/generate-replay-samples.ts:
 *   npx tsx scripts/generate-payment-replay-samples.ts [outDir]     (default test/replay/histories/)
 * It provisions its own database (`dvcqg_payment_samples`, recreated, dropped at the end) and an
 * in-memory Temporal dev server, runs a real Worker with the real activities on a task queue of its
 * own, drives each case through its updates exactly as the API does (same start input, search
 * attributes, reuse policy, actors from the token), then writes every run's history as the
 * Temporal CLI prints it (`temporal workflow show --output json`).
 * Cases captured:
 *   paymentWorkflow-settledOnTime            bank chosen, debit, signed receipt, settlement within T+1 (Art 31.2c, 33.4a)
 *   refundWorkflow-bankFaultRefunded         a payer's request, the bank finds its own fault and refunds (Art 34.6b)
 *   discrepancyWorkflow-causeThenResolved    a difference owned by the agency: cause recorded by the bank, resolved by the agency (Art 34.5)
 *   reconciliationWorkflow-dayWithDifferences one day reconciled three-way; its differences open cases (Art 34.4–34.5)
 *   dailyReconciliationWorkflow-twoDaysCaughtUp the daily Schedule's run over a 2-day window: both days before
 *                                           today reconciled as child workflows (Art 34.4). Only on a working
 *                                           day (on a rest day the run does nothing): elsewhen it is skipped.
 * Clocks are started and met in real time (the dev server does not skip time).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowIdReusePolicy, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { benchDatabase, benchTemporal } from '../bench/support.js';
import { dropDatabase, ensureTemporalCli } from './runtime.js';
import { registerBank } from '../db/queries/payment.js';
import { replaceUpload } from '../db/queries/reconciliation.js';
import type { Database } from '../db/client.js';
import { createLogger } from '../runtime/logger.js';
import { createWorker } from '../runtime/worker.js';
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

const DATABASE = 'dvcqg_payment_samples';
const NAMESPACE = 'default';
const outDir = process.argv[2] ?? fileURLToPath(new URL('../test/replay/histories/', import.meta.url));

const BANK = 'VCB';
const btp: ActorRef = { userId: 'sample-officer-btp', role: 'agency', agency: 'BTP' };
const portal: ActorRef = { userId: 'sample-portal', role: 'portal' };
const bank: ActorRef = { userId: 'sample-vcb-api', role: 'bank', bank: BANK };
const vpcp: ActorRef = { userId: 'sample-vpcp', role: 'vpcp', agency: 'VPCP' };

interface Sample {
  /** `<workflowType>-<case>` */
  name: string;
  handle: WorkflowHandle;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const logger = createLogger('warn', { script: 'generate-payment-replay-samples' });
  const database = await benchDatabase(DATABASE);
  const server = await benchTemporal();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: NAMESPACE });
  const taskQueue = `payment-replay-samples-${randomUUID()}`;
  const { worker, connection: workerConnection } = await createWorker({ address: server.address, namespace: NAMESPACE, taskQueue, deps: { db: database.db, logger } });
  try {
    await worker.runUntil(async () => {
      await registerBank(database.db, { code: BANK, name: 'Vietcombank', nameVi: 'Ngân hàng TMCP Ngoại thương Việt Nam', kind: 'bank' }, vpcp);
      const samples: Sample[] = [
        await paymentSample(client, taskQueue),
        await refundSample(client, taskQueue),
        await discrepancySample(client, taskQueue),
        await reconciliationSample(client, taskQueue, database.db),
      ];
      const daily = await dailyReconciliationSample(client, taskQueue);
      if (daily) samples.push(daily);
      await mkdir(outDir, { recursive: true });
      for (const sample of samples) {
        const description = await sample.handle.describe();
        if (description.status.name !== 'COMPLETED') throw new Error(`${sample.name}: unexpected status ${description.status.name}`);
        const runs = historiesOf(server.address, sample.handle.workflowId, description.runId);
        for (const [i, history] of runs.entries()) {
          const path = `${outDir}${sample.name}${runs.length === 1 ? '' : `-run${i + 1}`}.json`;
          const json = `${JSON.stringify(history, null, 2)}\n`;
          await writeFile(path, json);
          process.stdout.write(`${path} (${(json.length / 1024).toFixed(0)} KiB)\n`);
        }
      }
    });
  } finally {
    await workerConnection.close();
    await connection.close();
    await database.close();
    await server.stop();
    await dropDatabase(database.url.replace(/\/[^/]*$/, ''), DATABASE);
  }
}

/** As POST /v1/payments, then the Portal and the bank's callbacks. */
async function paymentSample(client: Client, taskQueue: string): Promise<Sample> {
  const request: PaymentRequest = {
    agency: 'BTP', requestRef: 'SAMPLE-PAY-1', dossierCode: '000.00.00.H01-250101-0001', feeTypeCode: 'LEPHI-HT', amount: 150_000,
    beneficiary: { kind: 'treasury', institution: 'KBNN', account: '7111-1234567', name: 'Kho bạc Nhà nước Hà Nội' }, actor: btp,
  };
  const handle = await client.workflow.start('paymentWorkflow', {
    taskQueue, workflowId: paymentWorkflowId(request.agency, request.requestRef), args: [request], workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    typedSearchAttributes: [{ key: agencyKey, value: 'BTP' }, { key: processKey, value: PAYMENT_PROCESS }, { key: stageKey, value: 'awaitingPayer' }],
  });
  await handle.executeUpdate(choosePayerBankUpdate, { args: [{ bank: BANK, actor: portal }] });
  await handle.executeUpdate(reportDebitUpdate, { args: [{ callbackId: 'cb-1', bankTxnRef: 'FT-SAMPLE-1', amount: 150_000, actor: bank }] });
  const now = new Date().toISOString();
  await handle.executeUpdate(reportReceiptUpdate, {
    args: [{ callbackId: 'cb-2', receiptNo: 'CT-0001', issuedAt: now, document: 'PD94bWw+', signature: { signer: 'CN=VCB', algorithm: 'RSA-SHA256', value: 'c2ln', signedAt: now }, actor: bank }],
  });
  await handle.executeUpdate(reportSettlementUpdate, { args: [{ callbackId: 'cb-3', transferRef: 'TT-SAMPLE-1', amount: 150_000, actor: bank }] });
  const view = (await handle.result()) as PaymentView;
  ensure(view.status, 'settled', 'payment');
  ensure(view.settlement?.breached, false, 'payment settled on time');
  return { name: 'paymentWorkflow-settledOnTime', handle };
}

/** As POST /v1/refunds, then the bank's decision and payout. */
async function refundSample(client: Client, taskQueue: string): Promise<Sample> {
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
async function discrepancySample(client: Client, taskQueue: string): Promise<Sample> {
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
async function reconciliationSample(client: Client, taskQueue: string, db: Database): Promise<Sample> {
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
async function dailyReconciliationSample(client: Client, taskQueue: string): Promise<Sample | undefined> {
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

interface HistoryJson {
  events: { workflowExecutionStartedEventAttributes?: { continuedExecutionRunId?: string } }[];
}

/** Every run of the case, oldest first, from the latest back through `continuedExecutionRunId`. */
function historiesOf(address: string, workflowId: string, latestRunId: string): HistoryJson[] {
  const cli = ensureTemporalCli();
  const runs: HistoryJson[] = [];
  for (let runId: string | undefined = latestRunId; runId;) {
    const out = execFileSync(cli, ['workflow', 'show', '--address', address, '--namespace', NAMESPACE, '--workflow-id', workflowId, '--run-id', runId, '--output', 'json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const history = JSON.parse(out) as HistoryJson;
    runs.unshift(history);
    runId = history.events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return runs;
}

async function until(ok: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The case went the way its sample name says, or no sample is written. */
function ensure<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) throw new Error(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
