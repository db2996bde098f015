import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq } from 'drizzle-orm';
import { createActivities } from '../../activities/index.js';
import { WorkingCalendar } from '../../domain/calendar/index.js';
import { loadCalendarVersion } from '../../db/queries/calendar.js';
import { findCallback, findReceipt, registerBank, setBankStatus } from '../../db/queries/payment.js';
import { verifyReceipt } from '../../domain/payments/receipt.js';
import type { DatabaseHandle } from '../../db/client.js';
import { notifications, payments, slaClocks } from '../../db/schema/index.js';
import type { ActorRef } from '../../workflows/actors.js';
import { slaClocksQuery } from '../../workflows/sla.definitions.js';
import {
  cancelPaymentUpdate,
  choosePayerBankUpdate,
  paymentQuery,
  paymentWorkflowId,
  recordReceiptExceptionUpdate,
  reportDebitUpdate,
  reportFailureUpdate,
  reportReceiptUpdate,
  reportSettlementUpdate,
  vietnamDate,
  type PaymentRequest,
  type PaymentView,
} from '../../workflows/payment.definitions.js';
import { eventually, testDatabase, testLogger, timeSkippingEnv, uniqueId, workflowBundle } from '../support/env.js';
import { createFakeBankSigner, type FakeBankSigner } from '../support/fake-bank.js';

const officer: ActorRef = { userId: 'officer-1', role: 'agency', agency: 'BTP' };
const portal: ActorRef = { userId: 'portal', role: 'portal' };
const bankActor = (bank: string): ActorRef => ({ userId: `${bank}-api`, role: 'bank', bank });

async function refusal(promise: Promise<unknown>): Promise<{ type?: string; message: string }> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return { type: (cause as ApplicationFailure).type ?? undefined, message: (cause as ApplicationFailure).message };
}

describe('payment workflow (time-skipping, real activities and PostgreSQL)', () => {
  let env: TestWorkflowEnvironment;
  let database: DatabaseHandle;
  let bundle: WorkflowBundleWithSourceMap;
  let calendar: WorkingCalendar;
  const bank = uniqueId('VCB').slice(0, 16);
  const otherBank = uniqueId('TCB').slice(0, 16);
  const signers = new Map<string, FakeBankSigner>();

  const nowIso = async () => new Date(await env.currentTimeMs()).toISOString();
  /** The bank's debit report; the payer was debited at `debitedAt` (default: now, in workflow time). */
  const debit = async (callbackId: string, bankTxnRef: string, from = bank, debitedAt?: string) =>
    ({ callbackId, bankTxnRef, amount: 150_000, debitedAt: debitedAt ?? (await nowIso()), actor: bankActor(from) });
  /**
   * A receipt as the API hands it to the workflow: the bank's signed document and the facts
   * verified against its certificate (the same domain function the API runs).
   */
  const signedReceipt = (callbackId: string, paymentId: string, bankTxnRef: string, debitedAt: string, from = bank, overrides: { amount?: number } = {}) => {
    const signer = signers.get(from)!;
    const document = signer.signReceipt({ receiptNo: `R-${callbackId}`, paymentId, bank: from, bankTxnRef, amount: 150_000, debitedAt, ...overrides });
    return { callbackId, document, verified: verifyReceipt(document, signer.certificatePem, new Date()), actor: bankActor(from) };
  };
  /** Debit, signed receipt and transfer of a payment whose bank was chosen. */
  const payInFull = async (handle: WorkflowHandle, tag: string, from = bank) => {
    const d = await debit(`${tag}-d`, `FT-${tag}`, from);
    await handle.executeUpdate(reportDebitUpdate, { args: [d] });
    await handle.executeUpdate(reportReceiptUpdate, { args: [signedReceipt(`${tag}-r`, handle.workflowId, `FT-${tag}`, d.debitedAt, from)] });
  };

  beforeAll(async () => {
    env = await timeSkippingEnv();
    database = testDatabase();
    bundle = await workflowBundle();
    calendar = new WorkingCalendar((await loadCalendarVersion(database.db))!);
    for (const code of [bank, otherBank]) await registerBank(database.db, { code, name: code, nameVi: code, kind: 'bank' }, { userId: 'vpcp-1', role: 'vpcp' });
    for (const code of [bank, otherBank]) signers.set(code, createFakeBankSigner(code));
  });
  afterAll(async () => {
    await env?.teardown();
    await database?.close();
  });

  async function run<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
    const taskQueue = uniqueId('tq');
    const worker = await Worker.create({
      connection: env.nativeConnection, taskQueue, workflowBundle: bundle,
      activities: createActivities({ db: database.db, logger: testLogger() }),
    });
    return worker.runUntil(fn(taskQueue));
  }

  async function start(taskQueue: string, overrides: Partial<PaymentRequest> = {}): Promise<WorkflowHandle> {
    const request: PaymentRequest = {
      agency: 'BTP', requestRef: uniqueId('req'), dossierCode: 'H01.23-000123', feeTypeCode: 'LEPHI-HT', amount: 150_000,
      beneficiary: { kind: 'treasury', institution: 'KBNN', account: '7111-1234567', name: 'Kho bạc Nhà nước Hà Nội' }, actor: officer, ...overrides,
    };
    return env.client.workflow.start('paymentWorkflow', { taskQueue, workflowId: paymentWorkflowId(request.agency, request.requestRef), args: [request] });
  }

  /** Advances workflow time to 10:00 (UTC+7) of the given local day. */
  async function sleepUntilLocal(date: string) {
    const target = Date.parse(`${date}T10:00:00+07:00`);
    const now = await env.currentTimeMs();
    if (target > now) await env.sleep(target - now);
  }

  const row = async (paymentId: string) => (await database.db.select().from(payments).where(eq(payments.id, paymentId)))[0];

  it('Art 31.2c, 33.4a: the debit reaches the Portal and the agency at once; a settlement by the end of T+1 is met', async () => {
    await run(async (taskQueue) => {
      const handle = await start(taskQueue);
      await handle.executeUpdate(choosePayerBankUpdate, { args: [{ bank, actor: portal }] });
      const report = await debit('cb-1', 'FT001');
      const debited = await handle.executeUpdate(reportDebitUpdate, { args: [report] });
      expect(debited.status).toBe('debited');
      // Portal status updated right after the debit, and the agency notified on the Portal channel.
      const projected = await row(handle.workflowId);
      expect(projected?.status).toBe('debited');
      expect(projected?.bankTxnRef).toBe('FT001');
      const [note] = await database.db.select().from(notifications).where(eq(notifications.key, `${handle.workflowId}:debited:portal`));
      expect(note?.recipient).toBe('BTP');
      expect(note?.channel).toBe('portal');
      expect(note?.subjectVi).toContain('đã thanh toán');

      const view = await handle.query(paymentQuery);
      const expected = calendar.computeDeadline({ from: view.debitedAt!, amount: 1, unit: 'settlementDay' });
      expect(view.settlementDueAt).toBe(expected.dueAt);

      const signed = signedReceipt('cb-2', handle.workflowId, 'FT001', report.debitedAt);
      await handle.executeUpdate(reportReceiptUpdate, { args: [signed] });
      const stored = await findReceipt(database.db, handle.workflowId);
      expect(stored?.signer).toContain(`CN=${bank} receipts`);
      expect(stored?.signatureAlgorithm).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
      expect(stored?.signatureValue).toBe(signed.verified.signatureValue);
      expect(stored?.certFingerprint).toBe(signed.verified.certFingerprint);

      await env.sleep('2 hours');
      await handle.executeUpdate(reportSettlementUpdate, { args: [{ callbackId: 'cb-3', transferRef: 'TT-1', amount: 150_000, actor: bankActor(bank) }] });
      const result = await finished(handle);
      expect(result.status).toBe('settled');
      expect(result.settlement?.breached).toBe(false);
      expect(result.settlement?.workingDaysLate).toBe(0);
      const [clock] = await database.db.select().from(slaClocks).where(and(eq(slaClocks.workflowId, handle.workflowId), eq(slaClocks.clockKey, 'settlement')));
      expect(clock?.outcome).toBe('met');
      expect(clock?.owner).toBe(bank);
      expect(clock?.unit).toBe('settlementDay');
      expect((await row(handle.workflowId))?.status).toBe('settled');
    });
  });

  it('Art 33.4a: a debit on a Friday is due at the end of the next interbank working day after the weekend', async () => {
    const now = vietnamDate(new Date(await env.currentTimeMs()).toISOString());
    const friday = calendar.listDays(now, addDays(now, 60)).find((d) => d.weekday === 5 && d.working && d.date > now)!.date;
    await sleepUntilLocal(friday);
    await run(async (taskQueue) => {
      const handle = await start(taskQueue);
      await handle.executeUpdate(choosePayerBankUpdate, { args: [{ bank, actor: portal }] });
      await payInFull(handle, 'FRI');
      const view = await handle.query(paymentQuery);
      expect(view.txnDate).toBe(friday);
      const due = vietnamDate(view.settlementDueAt!);
      expect(due).toBe(calendar.nextWorkingDay(friday));
      expect(Date.parse(due) - Date.parse(friday)).toBeGreaterThanOrEqual(3 * 86_400_000);
      // Settled on Monday morning: still on time.
      await env.sleep(Date.parse(`${due}T09:00:00+07:00`) - (await env.currentTimeMs()));
      await handle.executeUpdate(reportSettlementUpdate, { args: [{ callbackId: 'fri-s', transferRef: 'TT-FRI', amount: 150_000, actor: bankActor(bank) }] });
      expect((await finished(handle)).settlement?.breached).toBe(false);
    });
  });

  it('Art 33.4a: T+1 skips a public holiday, and a late settlement is the bank\'s breach with the working days late recorded', async () => {
    const now = vietnamDate(new Date(await env.currentTimeMs()).toISOString());
    // The next working day followed by a holiday on a weekday (not a mere weekend).
    const days = calendar.listDays(now, addDays(now, 400));
    const eve = days.find((d, i) => d.date > now && d.working && days[i + 1] && !days[i + 1]!.working && days[i + 1]!.weekday <= 5)!.date;
    await sleepUntilLocal(eve);
    await run(async (taskQueue) => {
      const handle = await start(taskQueue);
      await handle.executeUpdate(choosePayerBankUpdate, { args: [{ bank, actor: portal }] });
      await payInFull(handle, 'HOL');
      const view = await handle.query(paymentQuery);
      const dueDay = vietnamDate(view.settlementDueAt!);
      expect(dueDay).toBe(calendar.nextWorkingDay(eve));
      expect(calendar.day(addDays(eve, 1)).reasons.some((r) => r.code !== 'weekend')).toBe(true);

      // Two working days after the due day, the bank finally transfers.
      const settleDay = calendar.nextWorkingDay(calendar.nextWorkingDay(dueDay));
      await env.sleep(Date.parse(`${settleDay}T10:00:00+07:00`) - (await env.currentTimeMs()));
      const flagged = await eventually(() => row(handle.workflowId), (r) => r?.settlementBreached === true);
      expect(flagged?.status).toBe('debited');
      await handle.executeUpdate(reportSettlementUpdate, { args: [{ callbackId: 'hol-s', transferRef: 'TT-LATE', amount: 150_000, actor: bankActor(bank) }] });
      const result = await finished(handle);
      expect(result.settlement?.breached).toBe(true);
      expect(result.settlement?.workingDaysLate).toBe(2);
      const [clock] = await database.db.select().from(slaClocks).where(and(eq(slaClocks.workflowId, handle.workflowId), eq(slaClocks.clockKey, 'settlement')));
      expect(clock?.outcome).toBe('breached');
      expect(clock?.owner).toBe(bank);
      expect(clock?.ownerKind).toBe('bank');
      expect((await row(handle.workflowId))?.settlementWorkingDaysLate).toBe(2);
    });
  });

  it('Art 31.2c: bank callbacks are idempotent — a duplicate gets the same answer, a reordered receipt is buffered, a settlement before the debit is refused', async () => {
    await run(async (taskQueue) => {
      const handle = await start(taskQueue);
      await handle.executeUpdate(choosePayerBankUpdate, { args: [{ bank, actor: portal }] });
      // Receipt before debit: kept, applied when the debit comes.
      const debitedAt = await nowIso();
      const early = await handle.executeUpdate(reportReceiptUpdate, { args: [signedReceipt('cb-r', handle.workflowId, 'FT002', debitedAt)] });
      expect(early.receiptBuffered).toBe(true);
      expect(early.status).toBe('awaitingDebit');
      const tooEarly = await refusal(handle.executeUpdate(reportSettlementUpdate, { args: [{ callbackId: 'cb-s0', transferRef: 'TT', amount: 150_000, actor: bankActor(bank) }] }));
      expect(tooEarly.type).toBe('InvalidTransition');
      // Another bank may not report on this payment.
      const foreign = await refusal(handle.executeUpdate(reportDebitUpdate, { args: [await debit('x', 'FT9', otherBank)] }));
      expect(foreign.type).toBe('Forbidden');

      // The debit must agree with what the bank signed in the receipt that came first.
      const contradicting = await refusal(handle.executeUpdate(reportDebitUpdate, { args: [await debit('cb-x', 'FT-OTHER', bank, debitedAt)] }));
      expect(contradicting.message).toContain('signed receipt');
      const first = await handle.executeUpdate(reportDebitUpdate, { args: [await debit('cb-d', 'FT002', bank, debitedAt)] });
      const again = await handle.executeUpdate(reportDebitUpdate, { args: [await debit('cb-d', 'FT002', bank, debitedAt)] });
      expect(again).toEqual(first);
      // The same debit under a new callback id changes nothing; a different debit is refused.
      await handle.executeUpdate(reportDebitUpdate, { args: [await debit('cb-d2', 'FT002', bank, debitedAt)] });
      const second = await refusal(handle.executeUpdate(reportDebitUpdate, { args: [await debit('cb-d3', 'FT003')] }));
      expect(second.message).toContain('duplicate payment');

      const view = await handle.query(paymentQuery);
      expect(view.receipt?.receiptNo).toBe('R-cb-r');
      expect(view.receipt?.verification?.bankTxnRef).toBe('FT002');
      expect(view.actions.filter((a) => a.action === 'debited')).toHaveLength(1);
      const settled = await handle.executeUpdate(reportSettlementUpdate, { args: [{ callbackId: 'cb-s', transferRef: 'TT-2', amount: 150_000, actor: bankActor(bank) }] });
      await finished(handle);
      // After the case closed, the callback's answer is still on record for the API to replay.
      expect(await findCallback(database.db, bank, 'cb-s')).toEqual(settled);
      expect(await findCallback(database.db, bank, 'cb-d')).toEqual(first);
    });
  });

  it('Art 33.7: a suspended bank takes no new payment, while a payment already in flight through it completes', async () => {
    await run(async (taskQueue) => {
      const inFlight = await start(taskQueue);
      await inFlight.executeUpdate(choosePayerBankUpdate, { args: [{ bank: otherBank, actor: portal }] });
      await setBankStatus(database.db, otherBank, 'suspended', 'quality review', { userId: 'vpcp-1', role: 'vpcp' });
      try {
        const fresh = await start(taskQueue);
        const refused = await refusal(fresh.executeUpdate(choosePayerBankUpdate, { args: [{ bank: otherBank, actor: portal }] }));
        expect(refused.type).toBe('Refused');
        expect(refused.message).toContain('suspended');
        expect((await fresh.query(paymentQuery)).status).toBe('awaitingPayer');
        // Close it: an open case on this test's task queue would stall time skipping in later tests.
        await fresh.executeUpdate(cancelPaymentUpdate, { args: [{ reason: 'test done', actor: officer }] });

        await payInFull(inFlight, 'S', otherBank);
        await inFlight.executeUpdate(reportSettlementUpdate, { args: [{ callbackId: 'c2', transferRef: 'TT-S', amount: 150_000, actor: bankActor(otherBank) }] });
        expect((await finished(inFlight)).status).toBe('settled');
      } finally {
        await setBankStatus(database.db, otherBank, 'active', 'quality restored', { userId: 'vpcp-1', role: 'vpcp' });
      }
    });
  });

  it('Art 31.2c: two identical callbacks delivered at the same time are applied once (the action gate serializes handlers)', async () => {
    await run(async (taskQueue) => {
      const handle = await start(taskQueue);
      await handle.executeUpdate(choosePayerBankUpdate, { args: [{ bank, actor: portal }] });
      const report = await debit('cc-d', 'FT-CC');
      await handle.executeUpdate(reportDebitUpdate, { args: [report] });
      const receipt = signedReceipt('cc-r', handle.workflowId, 'FT-CC', report.debitedAt);
      const send = () => handle.executeUpdate(reportReceiptUpdate, { args: [receipt] });
      const outcomes = await Promise.allSettled([send(), send(), send()]);
      const answered = outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value);
      expect(answered.length).toBeGreaterThanOrEqual(1);
      for (const a of answered) expect(a).toEqual(answered[0]);
      for (const o of outcomes) {
        // A duplicate that came while the first was being applied is refused as busy (retryable), never applied twice.
        if (o.status === 'rejected') expect(((o.reason as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('Busy');
      }
      // Retried once the first has finished, the duplicate gets the first answer.
      expect(await send()).toEqual(answered[0]);
      const settle = () => handle.executeUpdate(reportSettlementUpdate, { args: [{ callbackId: 'cc-s', transferRef: 'TT-CC', amount: 150_000, actor: bankActor(bank) }] });
      await Promise.allSettled([settle(), settle()]);
      const result = await finished(handle);
      expect(result.actions.filter((a) => a.action === 'receiptIssued')).toHaveLength(1);
      expect(result.actions.filter((a) => a.action === 'settled')).toHaveLength(1);
    });
  });

  it('project rule: a debit reported after the request expired is accepted within the late-debit window and settles as usual', async () => {
    await run(async (taskQueue) => {
      const late = await start(taskQueue, { expiryDays: 1 });
      await late.executeUpdate(choosePayerBankUpdate, { args: [{ bank, actor: portal }] });
      const clocks = await eventually(() => late.query(slaClocksQuery), (c) => c.some((k) => k.key === 'payerPays'));
      const due = Date.parse(clocks.find((c) => c.key === 'payerPays')!.dueAt);
      await env.sleep(due - (await env.currentTimeMs()) + 60_000);
      await eventually(() => late.query(slaClocksQuery), (c) => c.some((k) => k.key === 'lateDebit'));
      expect((await late.query(paymentQuery)).status).toBe('expired');
      expect((await row(late.workflowId))?.status).toBe('expired');

      const report = await debit('late-d', 'FT-LATE');
      const debited = await late.executeUpdate(reportDebitUpdate, { args: [report] });
      expect(debited.status).toBe('debited');
      const view = await late.query(paymentQuery);
      expect(view.debitedAfterExpiry).toBe(true);
      expect(view.settlementDueAt).toBeDefined();
      expect(view.actions.map((a) => a.action)).toContain('debitedAfterExpiry');
      expect((await row(late.workflowId))?.status).toBe('debited');
      await late.executeUpdate(reportReceiptUpdate, { args: [signedReceipt('late-r', late.workflowId, 'FT-LATE', report.debitedAt)] });
      await late.executeUpdate(reportSettlementUpdate, { args: [{ callbackId: 'late-s', transferRef: 'TT-LATE', amount: 150_000, actor: bankActor(bank) }] });
      expect((await finished(late)).status).toBe('settled');
      const [window] = await database.db.select().from(slaClocks).where(and(eq(slaClocks.workflowId, late.workflowId), eq(slaClocks.clockKey, 'lateDebit')));
      expect(window?.outcome).toBe('cancelled');

    });
  });

  it('project rule: failed, expired and cancelled payments end cleanly', async () => {
    await run(async (taskQueue) => {
      const failed = await start(taskQueue);
      await failed.executeUpdate(choosePayerBankUpdate, { args: [{ bank, actor: portal }] });
      await failed.executeUpdate(reportFailureUpdate, { args: [{ callbackId: 'f1', reason: 'insufficient funds', actor: bankActor(bank) }] });
      expect((await finished(failed)).status).toBe('failed');

      const cancelled = await start(taskQueue);
      const wrongAgency = await refusal(cancelled.executeUpdate(cancelPaymentUpdate, { args: [{ reason: 'x', actor: { userId: 'o', role: 'agency', agency: 'BYT' } }] }));
      expect(wrongAgency.type).toBe('Forbidden');
      await cancelled.executeUpdate(cancelPaymentUpdate, { args: [{ reason: 'dossier withdrawn', actor: officer }] });
      expect((await finished(cancelled)).status).toBe('cancelled');

      const expired = await start(taskQueue, { expiryDays: 1 });
      await eventually(() => expired.query(slaClocksQuery), (clocks) => clocks.some((c) => c.key === 'payerPays'));
      await env.sleep('6 days');
      const result = await finished(expired);
      expect(result.status).toBe('expired');
      expect((await row(expired.workflowId))?.status).toBe('expired');
    });
  });
  const receiptUpdatesAccepted = async (handle: WorkflowHandle) =>
    ((await handle.fetchHistory()).events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'reportReceiptUpdate').length;
  const notesOf = (paymentId: string) => database.db.select().from(notifications).where(eq(notifications.workflowId, paymentId));

  it('Art 31.2c–d: the transfer alone does not settle the payment; the verified signed receipt does, and it reaches the agency and the payer', async () => {
    await run(async (taskQueue) => {
      const handle = await start(taskQueue);
      await handle.executeUpdate(choosePayerBankUpdate, { args: [{ bank, payerEmail: 'payer@example.vn', actor: portal }] });
      const report = await debit('a-d', 'FT-A');
      await handle.executeUpdate(reportDebitUpdate, { args: [report] });
      const transferred = await handle.executeUpdate(reportSettlementUpdate, { args: [{ callbackId: 'a-s', transferRef: 'TT-A', amount: 150_000, actor: bankActor(bank) }] });
      expect(transferred).toMatchObject({ status: 'debited', awaitingReceipt: true });
      expect((await row(handle.workflowId))?.status).toBe('debited');
      expect((await handle.describe()).status.name).toBe('RUNNING');
      // The transfer meets T+1: the missing receipt is not the settlement's breach.
      const [clock] = await database.db.select().from(slaClocks).where(and(eq(slaClocks.workflowId, handle.workflowId), eq(slaClocks.clockKey, 'settlement')));
      expect(clock?.outcome).toBe('met');

      const signed = signedReceipt('a-r', handle.workflowId, 'FT-A', report.debitedAt);
      const answer = await handle.executeUpdate(reportReceiptUpdate, { args: [signed] });
      expect(answer.status).toBe('settled');
      const result = await finished(handle);
      expect(result.status).toBe('settled');
      expect(result.debitReportedLate).toBe(false);
      expect(result.actions.map((a) => a.action)).toEqual(['registered', 'payerBankChosen', 'debited', 'transferred', 'receiptIssued', 'settled']);
      expect((await row(handle.workflowId))?.receiptVerifiedAt).toBeInstanceOf(Date);
      // Delivered: the agency's Portal inbox (it continues the dossier) and the payer's e-mail, with the signed document.
      const notes = await notesOf(handle.workflowId);
      const toAgency = notes.find((n) => n.template === 'payment.receipt' && n.channel === 'portal');
      expect(toAgency).toMatchObject({ recipient: 'BTP', recipientKind: 'agency' });
      expect(toAgency?.data).toMatchObject({ receiptNo: 'R-a-r', documentSha256: signed.verified.documentSha256 });
      const toPayer = notes.find((n) => n.template === 'payment.receipt' && n.channel === 'email');
      expect(toPayer).toMatchObject({ recipient: 'payer@example.vn', recipientKind: 'citizen' });
      expect((toPayer?.data as { document?: string }).document).toBe(signed.document);
    });
  });

  it('Art 31.2c–d: a receipt not verified, or signing another payment, amount, transaction or debit time, is refused and never enters the history; only VPCP may let the payment settle without one', async () => {
    await run(async (taskQueue) => {
      const handle = await start(taskQueue);
      await handle.executeUpdate(choosePayerBankUpdate, { args: [{ bank, actor: portal }] });
      const report = await debit('b-d', 'FT-B');
      await handle.executeUpdate(reportDebitUpdate, { args: [report] });
      const unverified = await refusal(handle.executeUpdate(reportReceiptUpdate, { args: [{ callbackId: 'b-r0', document: 'PD94bWw+', actor: bankActor(bank) }] }));
      expect(unverified).toMatchObject({ type: 'Refused', message: expect.stringContaining('not verified') });
      const otherTime = new Date(Date.parse(report.debitedAt) - 60_000).toISOString();
      for (const [receipt, why] of [
        [signedReceipt('b-r1', handle.workflowId, 'FT-B', report.debitedAt, bank, { amount: 160_000 }), 'signed amount'],
        [signedReceipt('b-r2', handle.workflowId, 'FT-OTHER', report.debitedAt), 'signed transaction'],
        [signedReceipt('b-r3', handle.workflowId, 'FT-B', otherTime), 'signed debit time'],
        [signedReceipt('b-r4', 'payment-BTP-another', 'FT-B', report.debitedAt), 'for payment payment-BTP-another'],
      ] as const) {
        expect((await refusal(handle.executeUpdate(reportReceiptUpdate, { args: [receipt] }))).message).toContain(why);
      }
      expect(await receiptUpdatesAccepted(handle)).toBe(0);

      const transferred = await handle.executeUpdate(reportSettlementUpdate, { args: [{ callbackId: 'b-s', transferRef: 'TT-B', amount: 150_000, actor: bankActor(bank) }] });
      expect(transferred.awaitingReceipt).toBe(true);
      expect((await refusal(handle.executeUpdate(recordReceiptExceptionUpdate, { args: [{ reason: 'bank outage', actor: officer }] }))).type).toBe('Forbidden');
      const vpcp: ActorRef = { userId: 'vpcp-1', role: 'vpcp', agency: 'VPCP' };
      expect((await refusal(handle.executeUpdate(recordReceiptExceptionUpdate, { args: [{ reason: ' ', actor: vpcp }] }))).type).toBe('Validation');
      const excepted = await handle.executeUpdate(recordReceiptExceptionUpdate, { args: [{ reason: "the bank's signing service failed; paper receipt checked by VPCP", actor: vpcp }] });
      expect(excepted.status).toBe('settled');
      expect(excepted.receiptException?.reason).toContain('paper receipt');
      const result = await finished(handle);
      expect(result.receipt).toBeUndefined();
      expect((await row(handle.workflowId))?.receiptException).toContain('paper receipt');
      expect((await notesOf(handle.workflowId)).some((n) => n.template === 'payment.receiptException' && n.recipient === 'BTP')).toBe(true);
    });
  });

  it('Art 33.4a: T is the day the payer was debited — a bank that reports late cannot move its own T+1, and a report more than 24 h late is flagged', async () => {
    await run(async (taskQueue) => {
      const handle = await start(taskQueue);
      await handle.executeUpdate(choosePayerBankUpdate, { args: [{ bank, actor: portal }] });
      const debitedAt = await nowIso();
      // Not after the report, not before the request existed.
      const future = await refusal(handle.executeUpdate(reportDebitUpdate, { args: [await debit('t-f', 'FT-T', bank, new Date(Date.parse(debitedAt) + 10 * 60_000).toISOString())] }));
      expect(future.message).toContain('after the report');
      const createdAt = (await handle.query(paymentQuery)).createdAt;
      const before = await refusal(handle.executeUpdate(reportDebitUpdate, { args: [await debit('t-b', 'FT-T', bank, new Date(Date.parse(createdAt) - 3_600_000).toISOString())] }));
      expect(before.message).toContain('before the payment request');

      await env.sleep('30 hours');
      await handle.executeUpdate(reportDebitUpdate, { args: [await debit('t-d', 'FT-T', bank, debitedAt)] });
      const view = await handle.query(paymentQuery);
      expect(view.debitedAt).toBe(debitedAt);
      expect(view.txnDate).toBe(vietnamDate(debitedAt));
      expect(view.settlementDueAt).toBe(calendar.computeDeadline({ from: debitedAt, amount: 1, unit: 'settlementDay' }).dueAt);
      expect(Date.parse(view.debitReportedAt!) - Date.parse(debitedAt)).toBeGreaterThanOrEqual(30 * 3_600_000);
      expect(view.debitReportedLate).toBe(true);
      expect(view.actions.find((a) => a.action === 'debitReportedLate')?.data).toMatchObject({ limitHours: 24 });
      const projected = await eventually(() => row(handle.workflowId), (r) => r?.debitReportedLate === true);
      expect(projected?.debitedAt?.toISOString()).toBe(debitedAt);

      await handle.executeUpdate(reportReceiptUpdate, { args: [signedReceipt('t-r', handle.workflowId, 'FT-T', debitedAt)] });
      await handle.executeUpdate(reportSettlementUpdate, { args: [{ callbackId: 't-s', transferRef: 'TT-T', amount: 150_000, actor: bankActor(bank) }] });
      const result = await finished(handle);
      expect(result.settlement?.dueAt).toBe(view.settlementDueAt);
    });
  });

  // Last in this file: after this case closes on its window timer, the test server stops skipping time.
  it('project rule: without a late debit the window closes at the end of the next working day and the case ends expired', async () => {
    await run(async (taskQueue) => {
      const closed = await start(taskQueue, { expiryDays: 1 });
      await closed.executeUpdate(choosePayerBankUpdate, { args: [{ bank, actor: portal }] });
      const clocks = await eventually(() => closed.query(slaClocksQuery), (c) => c.some((k) => k.key === 'payerPays'));
      await env.sleep(Date.parse(clocks.find((c) => c.key === 'payerPays')!.dueAt) - (await env.currentTimeMs()) + 60_000);
      const windowClock = (await eventually(() => closed.query(slaClocksQuery), (c) => c.some((k) => k.key === 'lateDebit'))).find((c) => c.key === 'lateDebit')!;
      expect(vietnamDate(windowClock.dueAt)).toBe(calendar.nextWorkingDay(vietnamDate(clocks.find((c) => c.key === 'payerPays')!.dueAt)));
      // The window's clock is the case's last timer: the time-skipping result() skips exactly to it.
      const ended = (await closed.result()) as PaymentView;
      expect(ended.status).toBe('expired');
      expect(ended.bankTxnRef).toBeUndefined();
      expect(await env.currentTimeMs()).toBeGreaterThanOrEqual(Date.parse(windowClock.dueAt));
    });
  });
});

/**
 * The final view of a payment, read through a plain client once the workflow has closed: the
 * time-skipping client's result() lets the server jump far ahead (years) when no timer is
 * pending, which would move every later test past the supported calendar.
 */
async function finished(handle: WorkflowHandle): Promise<PaymentView> {
  await eventually(() => handle.describe(), (d) => d.status.name !== 'RUNNING');
  return (await new Client({ connection: handle.client.connection, namespace: handle.client.options.namespace }).workflow.getHandle(handle.workflowId).result()) as PaymentView;
}

function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}
