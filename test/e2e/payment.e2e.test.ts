import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Worker } from '@temporalio/worker';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { createWorker } from '../../runtime/worker.js';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import { vietnamDate } from '../../workflows/payment.definitions.js';
import { RECONCILIATION_SCHEDULE_ID } from '../../workflows/reconciliation.definitions.js';
import { bearer, eventually, testConfig, testLogger, uniqueId, workflowBundle } from '../support/env.js';
import { createFakeBankSigner } from '../support/fake-bank.js';
import { holdReconciliationOfToday, reconcileAndWait } from '../support/reconciliation.js';

describe('online payments and reconciliation through HTTP (dev server, worker, PostgreSQL)', () => {
  const config = testConfig();
  let app: FastifyInstance;
  let worker: Worker;
  let running: Promise<void>;
  let database: DatabaseHandle;
  let baseUrl: string;
  const bank = `E${uniqueId('').slice(1, 9)}`.toUpperCase();
  const otherBank = `O${uniqueId('').slice(1, 9)}`.toUpperCase();
  /** The payer's bank signs its receipts; VPCP registers its certificate (Art 31.2c). */
  const signer = createFakeBankSigner(bank);
  const debitNow = (callbackId: string, bankTxnRef: string, amount: number) => ({ callbackId, bankTxnRef, amount, debitedAt: new Date().toISOString() });
  const signedReceipt = (callbackId: string, paymentId: string, debit: { bankTxnRef: string; amount: number; debitedAt: string }, receiptNo = `CT-${callbackId}`) =>
    ({ callbackId, document: signer.signReceipt({ receiptNo, paymentId, bank, bankTxnRef: debit.bankTxnRef, amount: debit.amount, debitedAt: debit.debitedAt }) });
  const actors: Record<string, Actor> = {
    vpcp: { userId: 'vpcp-1', role: 'vpcp', agency: 'VPCP' },
    agency: { userId: 'officer-1', role: 'agency', agency: 'BTP' },
    otherAgency: { userId: 'officer-2', role: 'agency', agency: 'BYT' },
    portal: { userId: 'portal', role: 'portal' },
    bank: { userId: 'bank-api', role: 'bank', bank },
    otherBank: { userId: 'other-api', role: 'bank', bank: otherBank },
  };

  async function call(who: keyof typeof actors, method: string, path: string, body?: unknown, contentType = 'application/json') {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: await bearer(config, actors[who]!), ...(body !== undefined ? { 'content-type': contentType } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, type, body: (type.includes('json') ? JSON.parse(text) : text) as Record<string, unknown> & string };
  }

  const request = (requestRef: string, amount: unknown = 150_000) => ({
    agency: 'BTP', requestRef, dossierCode: 'H01.23-000777', feeTypeCode: 'LEPHI-HT', amount,
    beneficiary: { kind: 'treasury', institution: 'KBNN', account: '7111-1234567', name: 'Kho bạc Nhà nước Hà Nội' },
  });

  beforeAll(async () => {
    database = createDatabase(config.DATABASE_URL);
    ({ worker } = await createWorker({
      address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TASK_QUEUE,
      deps: { db: database.db, logger: testLogger() }, workflowBundle: await workflowBundle(),
    }));
    running = worker.run();
    app = await buildApp(config, undefined, false);
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    for (const code of [bank, otherBank]) {
      const res = await call('vpcp', 'PUT', `/v1/banks/${code}`, { name: `Bank ${code}`, nameVi: `Ngân hàng ${code}`, kind: 'bank', ...(code === bank ? { receiptCertificate: signer.certificatePem } : {}) });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await app?.close();
    worker?.shutdown();
    await running;
    await database?.close();
  });

  it('Art 31–33: request → bank chosen → debit (agency sees it at once) → receipt → T+1 settlement, with idempotent bank callbacks and bank scoping', async () => {
    expect((await call('agency', 'POST', '/v1/payments', request(uniqueId('r'), 1500.5))).status).toBe(400);
    expect((await call('otherAgency', 'POST', '/v1/payments', request(uniqueId('r')))).status).toBe(403);
    expect((await call('bank', 'POST', '/v1/payments', request(uniqueId('r')))).status).toBe(403);
    const created = await call('agency', 'POST', '/v1/payments', request(uniqueId('r')));
    expect(created.status).toBe(201);
    const id = created.body.paymentId as string;
    const requestRef = id.replace('payment-BTP-', '');
    // The same request again is answered with the existing payment; different content is a conflict.
    const replay = await call('agency', 'POST', '/v1/payments', request(requestRef));
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ paymentId: id, status: 'awaitingPayer' });
    const conflict = await call('agency', 'POST', '/v1/payments', request(requestRef, 160_000));
    expect(conflict.status).toBe(409);
    expect(conflict.body.type).toBe('urn:dvcqg:problem:already-exists');

    expect((await call('portal', 'POST', `/v1/payments/${id}/payer-bank`, { bank })).status).toBe(200);
    const debit = debitNow('cb-1', 'FT-E2E-1', 150_000);
    const foreign = await call('otherBank', 'POST', `/v1/payments/${id}/callbacks/debit`, debit);
    expect(foreign.status).toBe(403);
    const first = await call('bank', 'POST', `/v1/payments/${id}/callbacks/debit`, debit);
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('debited');
    await eventually(async () => (await database.sql`select 1 from payment_callbacks where callback_id = 'cb-1' and payment_id = ${id}`).length, (n) => n === 1);
    const historyLength = async () => (await app.temporal.workflow.getHandle(id).fetchHistory()).events?.length ?? 0;
    const before = await historyLength();
    const duplicate = await call('bank', 'POST', `/v1/payments/${id}/callbacks/debit`, debit);
    expect(duplicate.body).toEqual(first.body);
    // A known callback id is answered from the record: the workflow's history does not grow.
    expect(await historyLength()).toBe(before);

    const seen = await call('agency', 'GET', `/v1/payments/${id}`);
    expect(seen.body).toMatchObject({ status: 'debited', payerBank: bank, bankTxnRef: 'FT-E2E-1', amount: 150_000 });
    expect(Date.parse(seen.body.settlementDueAt as string)).toBeGreaterThan(Date.now());
    expect((await call('otherBank', 'GET', `/v1/payments/${id}`)).status).toBe(403);
    expect((await call('otherAgency', 'GET', `/v1/payments/${id}`)).status).toBe(403);
    const otherList = await call('otherBank', 'GET', '/v1/payments');
    expect((otherList.body.items as { paymentId: string }[]).some((p) => p.paymentId === id)).toBe(false);

    const receipt = signedReceipt('cb-2', id, debit, 'CT-0001');
    expect((await call('bank', 'POST', `/v1/payments/${id}/callbacks/receipt`, receipt)).status).toBe(200);
    const stored = await call('agency', 'GET', `/v1/payments/${id}/receipt`);
    expect(stored.body).toMatchObject({ receiptNo: 'CT-0001', document: receipt.document, signature: { algorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256' } });
    expect((stored.body.verification as { certFingerprint: string }).certFingerprint).toBe((await call('vpcp', 'GET', `/v1/banks/${bank}`)).body.receiptCertFingerprint);

    const settlement = { callbackId: 'cb-3', transferRef: 'TT-E2E-1', amount: 150_000 };
    const settled = await call('bank', 'POST', `/v1/payments/${id}/callbacks/settlement`, settlement);
    expect(settled.body.status).toBe('settled');
    await eventually(() => call('agency', 'GET', `/v1/payments/${id}`), (r) => r.body.status === 'settled');
    // The case has closed; the bank's retry of the same callback still gets the same answer.
    const retried = await call('bank', 'POST', `/v1/payments/${id}/callbacks/settlement`, settlement);
    expect(retried.status).toBe(200);
    expect(retried.body).toEqual(settled.body);

    // Registering the same request after the payment closed starts nothing: the closed payment is the answer.
    const again = await call('agency', 'POST', '/v1/payments', request(requestRef));
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ paymentId: id, status: 'settled' });
    expect((await call('agency', 'POST', '/v1/payments', request(requestRef, 1))).status).toBe(409);
    expect((await call('agency', 'GET', `/v1/payments/${id}`)).body.status).toBe('settled');
  });

  it('Art 31.2c–d: a receipt that does not verify against the bank\'s registered certificate is refused with the reason (422) and changes nothing; only VPCP may let the payment settle without one', async () => {
    expect((await call('vpcp', 'PUT', `/v1/banks/${otherBank}`, { name: 'x', nameVi: 'x', kind: 'bank', receiptCertificate: 'not a certificate' })).status).toBe(400);
    const created = await call('agency', 'POST', '/v1/payments', request(uniqueId('r'), 70_000));
    const id = created.body.paymentId as string;
    expect((await call('portal', 'POST', `/v1/payments/${id}/payer-bank`, { bank, payerEmail: 'payer@example.vn' })).status).toBe(200);
    const debit = debitNow('v-d', 'FT-V1', 70_000);
    expect((await call('bank', 'POST', `/v1/payments/${id}/callbacks/debit`, debit)).status).toBe(200);
    const historyLength = async () => (await app.temporal.workflow.getHandle(id).fetchHistory()).events?.length ?? 0;
    const before = await historyLength();

    const forged = createFakeBankSigner(bank).signReceipt({ receiptNo: 'CT-F', paymentId: id, bank, bankTxnRef: 'FT-V1', amount: 70_000, debitedAt: debit.debitedAt });
    const refused = await call('bank', 'POST', `/v1/payments/${id}/callbacks/receipt`, { callbackId: 'v-r1', document: forged });
    expect(refused.status).toBe(422);
    expect(refused.type).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ type: 'urn:dvcqg:problem:refused', detail: expect.stringContaining("does not verify with the bank's registered certificate") });
    const tampered = Buffer.from(Buffer.from(signedReceipt('v-r2', id, debit).document, 'base64').toString('utf8').replace('<Amount>70000<', '<Amount>7000<')).toString('base64');
    expect((await call('bank', 'POST', `/v1/payments/${id}/callbacks/receipt`, { callbackId: 'v-r2', document: tampered })).status).toBe(422);
    const otherPayment = signedReceipt('v-r3', 'payment-BTP-someone-else', debit);
    expect((await call('bank', 'POST', `/v1/payments/${id}/callbacks/receipt`, otherPayment)).body.detail).toContain('payment-BTP-someone-else');
    expect((await call('bank', 'POST', `/v1/payments/${id}/callbacks/receipt`, { callbackId: 'v-r4', document: 'not base64!' })).status).toBe(400);
    // Nothing entered the case: no history event, no receipt.
    expect(await historyLength()).toBe(before);
    expect((await call('agency', 'GET', `/v1/payments/${id}/receipt`)).status).toBe(404);

    const transferred = await call('bank', 'POST', `/v1/payments/${id}/callbacks/settlement`, { callbackId: 'v-s', transferRef: 'TT-V1', amount: 70_000 });
    expect(transferred.body).toMatchObject({ status: 'debited', awaitingReceipt: true });
    expect((await call('agency', 'POST', `/v1/payments/${id}/receipt-exception`, { reason: 'x' })).status).toBe(403);
    const excepted = await call('vpcp', 'POST', `/v1/payments/${id}/receipt-exception`, { reason: "bank's signing service down; paper receipt checked" });
    expect(excepted.body).toMatchObject({ status: 'settled' });
    const seen = await eventually(() => call('agency', 'GET', `/v1/payments/${id}`), (r) => r.body.status === 'settled');
    expect(seen.body).toMatchObject({ receiptVerifiedAt: null, receiptException: "bank's signing service down; paper receipt checked" });
  });

  it('Art 33.4a: the bank states when the payer was debited — not after its report, not before the request — and T is that day', async () => {
    const created = await call('agency', 'POST', '/v1/payments', request(uniqueId('r'), 20_000));
    const id = created.body.paymentId as string;
    await call('portal', 'POST', `/v1/payments/${id}/payer-bank`, { bank });
    const missing = await call('bank', 'POST', `/v1/payments/${id}/callbacks/debit`, { callbackId: 't-0', bankTxnRef: 'FT-T1', amount: 20_000 });
    expect(missing.status).toBe(400);
    const future = await call('bank', 'POST', `/v1/payments/${id}/callbacks/debit`, { ...debitNow('t-1', 'FT-T1', 20_000), debitedAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect(future.status).toBe(422);
    expect(future.body.detail).toContain('after the report');
    const early = await call('bank', 'POST', `/v1/payments/${id}/callbacks/debit`, { ...debitNow('t-2', 'FT-T1', 20_000), debitedAt: new Date(Date.now() - 86_400_000).toISOString() });
    expect(early.status).toBe(422);
    expect(early.body.detail).toContain('before the payment request');
    const debitedAt = new Date(Date.now() - 1000).toISOString();
    expect((await call('bank', 'POST', `/v1/payments/${id}/callbacks/debit`, { callbackId: 't-3', bankTxnRef: 'FT-T1', amount: 20_000, debitedAt })).status).toBe(200);
    const seen = await eventually(() => call('vpcp', 'GET', `/v1/payments/${id}`), (r) => r.body.status === 'debited');
    expect(seen.body).toMatchObject({ debitedAt, txnDate: vietnamDate(debitedAt), debitReportedLate: false });
    expect(Date.parse(seen.body.debitReportedAt as string)).toBeGreaterThanOrEqual(Date.parse(debitedAt));
    const onTime = await call('vpcp', 'GET', `/v1/payments?debitReportedLate=false&agency=BTP&limit=500`);
    expect((onTime.body.items as { paymentId: string }[]).some((p) => p.paymentId === id)).toBe(true);
    const late = await call('vpcp', 'GET', `/v1/payments?debitReportedLate=true&agency=BTP&limit=500`);
    expect((late.body.items as { paymentId: string }[]).some((p) => p.paymentId === id)).toBe(false);
    // Close the case (the dev server runs in real time).
    await call('bank', 'POST', `/v1/payments/${id}/callbacks/receipt`, signedReceipt('t-r', id, { bankTxnRef: 'FT-T1', amount: 20_000, debitedAt }));
    expect((await call('bank', 'POST', `/v1/payments/${id}/callbacks/settlement`, { callbackId: 't-s', transferRef: 'TT-T1', amount: 20_000 })).body.status).toBe('settled');
  });

  it('Art 34.6: a payer refunds only a debit the payment took (the Portal\'s or a duplicate found by reconciliation), once, at most its amount', async () => {
    const created = await call('agency', 'POST', '/v1/payments', request(uniqueId('r'), 40_000));
    const id = created.body.paymentId as string;
    await call('portal', 'POST', `/v1/payments/${id}/payer-bank`, { bank });
    await call('bank', 'POST', `/v1/payments/${id}/callbacks/debit`, debitNow('rd', 'FT-RF1', 40_000));
    await eventually(() => call('agency', 'GET', `/v1/payments/${id}`), (r) => r.body.status === 'debited');

    const invented = await call('portal', 'POST', '/v1/refunds', { paymentId: id, bankTxnRef: 'FT-INVENTED', amount: 40_000, reason: 'x' });
    expect(invented.status).toBe(422);
    expect((await call('portal', 'POST', '/v1/refunds', { paymentId: id, amount: 40_001, reason: 'x' })).status).toBe(422);
    const opened = await call('portal', 'POST', '/v1/refunds', { paymentId: id, amount: 40_000, reason: 'paid twice by mistake' });
    expect(opened.status).toBe(201);
    await eventually(() => call('bank', 'GET', `/v1/refunds/${opened.body.refundId as string}`), (r) => r.status === 200);
    const same = await call('portal', 'POST', '/v1/refunds', { paymentId: id, amount: 40_000, reason: 'paid twice by mistake' });
    expect(same.status).toBe(200);
    expect(same.body.refundId).toBe(opened.body.refundId);
    expect((await call('portal', 'POST', '/v1/refunds', { paymentId: id, bankTxnRef: 'FT-RF1', amount: 10_000, reason: 'again' })).status).toBe(409);
    const list = await call('bank', 'GET', `/v1/refunds?paymentId=${id}`);
    expect((list.body.items as unknown[]).length).toBe(1);
    // Close the case (the dev server runs in real time): unfounded.
    expect((await call('bank', 'POST', `/v1/refunds/${opened.body.refundId as string}/decision`, { finding: 'unfounded', note: 'test done' })).status).toBe(200);
  });

  it('Art 33.7: VPCP suspends a bank: new payments through it are refused with the reason (422); only VPCP may suspend', async () => {
    expect((await call('agency', 'POST', `/v1/banks/${otherBank}/suspend`, { reason: 'x' })).status).toBe(403);
    const suspended = await call('vpcp', 'POST', `/v1/banks/${otherBank}/suspend`, { reason: 'repeated late settlements' });
    expect(suspended.body.status).toBe('suspended');
    const created = await call('agency', 'POST', '/v1/payments', request(uniqueId('r')));
    const refused = await call('portal', 'POST', `/v1/payments/${created.body.paymentId as string}/payer-bank`, { bank: otherBank });
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toContain('suspended');
    expect((await call('agency', 'POST', `/v1/payments/${created.body.paymentId as string}/cancel`, { reason: 'test done' })).status).toBe(200);
    const history = await call('vpcp', 'GET', `/v1/banks/${otherBank}`);
    expect((history.body.history as { status: string }[]).map((h) => h.status)).toEqual(['active', 'suspended']);
  });

  it('Art 34: statements (CSV) and agency records (JSON) are uploaded, the day is reconciled, and each party reads only its own report', async () => {
    // Today is reconciled for every agency and bank at once: no other test file uploads for or reconciles it until this test ends.
    await holdReconciliationOfToday(database);
    const created = await call('agency', 'POST', '/v1/payments', request(uniqueId('r'), 90_000));
    const id = created.body.paymentId as string;
    await call('portal', 'POST', `/v1/payments/${id}/payer-bank`, { bank });
    await call('bank', 'POST', `/v1/payments/${id}/callbacks/debit`, debitNow('d', 'FT-R1', 90_000));
    const day = vietnamDate((await call('agency', 'GET', `/v1/payments/${id}`)).body.debitedAt as string);
    // A payment the Portal knows but never saw debited: the bank's statement says it was.
    const unseen = (await call('agency', 'POST', '/v1/payments', request(uniqueId('r'), 12_000))).body.paymentId as string;
    await call('portal', 'POST', `/v1/payments/${unseen}/payer-bank`, { bank });

    const csv = `payment_id,bank_txn_ref,amount,status\r\n${id},FT-R1,90000,success\r\n${unseen},FT-R2,"12000",success\r\n`;
    // A payment id the Portal never issued is the statement's mistake: refused, naming the line.
    const unknown = await call('bank', 'PUT', `/v1/reconciliation/statements/${bank}/BTP/${day}`, `${csv}PAY-UNKNOWN,FT-R3,5000,success\r\n`, 'text/csv');
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([{ path: 'line 4', message: 'PAY-UNKNOWN is no payment of agency BTP' }]);
    expect((await call('otherBank', 'PUT', `/v1/reconciliation/statements/${bank}/BTP/${day}`, csv, 'text/csv')).status).toBe(403);
    const badCsv = await call('bank', 'PUT', `/v1/reconciliation/statements/${bank}/BTP/${day}`, 'payment_id,bank_txn_ref,amount,status\nX,Y,12.5,success\n', 'text/csv');
    expect(badCsv.status).toBe(400);
    const uploaded = await call('bank', 'PUT', `/v1/reconciliation/statements/${bank}/BTP/${day}`, csv, 'text/csv');
    expect(uploaded.body).toMatchObject({ lineCount: 2, format: 'csv' });
    expect((await call('otherAgency', 'PUT', `/v1/reconciliation/agency-records/BTP/${bank}/${day}`, { lines: [] })).status).toBe(403);
    const records = await call('agency', 'PUT', `/v1/reconciliation/agency-records/BTP/${bank}/${day}`, { lines: [{ paymentId: id, bankTxnRef: 'FT-R1', amount: 90_000, status: 'success' }] });
    expect(records.body).toMatchObject({ lineCount: 1, format: 'json' });

    expect((await call('bank', 'POST', '/v1/reconciliation/runs', { txnDate: day })).status).toBe(403);
    await reconcileAndWait(app.temporal, config.TASK_QUEUE, day, () => call('vpcp', 'POST', '/v1/reconciliation/runs', { txnDate: day }));
    // The run has ended: the report is this run's, not one an earlier run of the day left.
    const report = await call('agency', 'GET', `/v1/reconciliation/reports/${day}/BTP/${bank}`);
    expect(report.status).toBe(200);
    const detail = report.body.detail as { paymentId: string; outcome: string; ownerKind: string | null }[];
    expect(detail.find((d) => d.paymentId === id)?.outcome).toBe('matched');
    expect(detail.find((d) => d.paymentId === unseen)).toMatchObject({ outcome: 'missingAtPortal', ownerKind: 'bank' });

    const download = await call('bank', 'GET', `/v1/reconciliation/reports/${day}/BTP/${bank}?format=csv`);
    expect(download.type).toContain('text/csv');
    expect(download.body.split('\r\n')[0]).toContain('paymentId,seq,outcome');
    expect(download.body).toContain(unseen);
    expect((await call('otherBank', 'GET', `/v1/reconciliation/reports/${day}/BTP/${bank}`)).status).toBe(403);
    const otherSummary = await call('otherBank', 'GET', `/v1/reconciliation/reports/${day}`);
    expect((otherSummary.body.pairs as { bank: string }[]).every((p) => p.bank === otherBank)).toBe(true);

    const cases = await eventually(() => call('bank', 'GET', `/v1/reconciliation/discrepancies?txnDate=${day}`), (r) => (r.body.items as { paymentId: string }[]).some((d) => d.paymentId === unseen), 30_000);
    const found = (cases.body.items as { id: string; paymentId: string; owner: string }[]).find((d) => d.paymentId === unseen);
    expect(found?.owner).toBe(bank);
    const resolved = await call('bank', 'POST', `/v1/reconciliation/discrepancies/${found!.id}/resolve`, { resolution: 'test transaction, reversed' });
    expect(resolved.body).toMatchObject({ status: 'resolved', breached: false });
    expect((await call('otherBank', 'GET', `/v1/reconciliation/discrepancies/${found!.id}`)).status).toBe(403);
  });

  it('Art 34.2: the daily reconciliation Schedule is created once, at 06:00 Asia/Ho_Chi_Minh, by VPCP only', async () => {
    expect((await call('bank', 'PUT', '/v1/reconciliation/schedule')).status).toBe(403);
    const first = await call('vpcp', 'PUT', '/v1/reconciliation/schedule');
    const again = await call('vpcp', 'PUT', '/v1/reconciliation/schedule');
    expect(first.body).toEqual({ scheduleId: RECONCILIATION_SCHEDULE_ID, created: true });
    expect(again.body).toEqual({ scheduleId: RECONCILIATION_SCHEDULE_ID, created: false });
    const schedule = app.temporal.schedule.getHandle(RECONCILIATION_SCHEDULE_ID);
    const described = await schedule.describe();
    expect(described.spec.timezone).toBe('Asia/Ho_Chi_Minh');
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'dailyReconciliationWorkflow', taskQueue: config.TASK_QUEUE });
    await schedule.delete();
  });
});
