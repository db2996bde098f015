import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import { findRefund } from '../../db/queries/reconciliation.js';
import { findBusinessKey } from '../../db/queries/record.js';
import { vietnamDate } from '../../workflows/payment.definitions.js';
import { bearer, eventually, testConfig, uniqueId } from '../support/env.js';
import { stoppableWorker } from '../support/e2e.js';
import { holdReconciliationOfToday, reconcileAndWait } from '../support/reconciliation.js';

/**
 * Fee types, beneficiaries, reconciliation reports, re-runs and refunds (Art 33.4, 34) walked as an
 * agency officer, VPCP and a bank would, through HTTP (dev server, worker, PostgreSQL).
 */
describe('reconciliation and refunds through HTTP (Art 33.4, 34)', () => {
  const config = testConfig();
  let app: FastifyInstance;
  let worker: ReturnType<typeof stoppableWorker> | undefined;
  let database: DatabaseHandle;
  let baseUrl: string;
  const bank = `F${uniqueId('').slice(1, 9)}`.toUpperCase();
  const otherBank = `G${uniqueId('').slice(1, 9)}`.toUpperCase();
  const intermediary = `I${uniqueId('').slice(1, 9)}`.toUpperCase();
  const actors: Record<string, Actor> = {
    vpcp: { userId: 'vpcp-1', role: 'vpcp', agency: 'VPCP' },
    agency: { userId: 'officer-1', role: 'agency', agency: 'BTP' },
    otherAgency: { userId: 'officer-2', role: 'agency', agency: 'BYT' },
    portal: { userId: 'portal', role: 'portal' },
    bank: { userId: 'bank-api', role: 'bank', bank },
    otherBank: { userId: 'other-api', role: 'bank', bank: otherBank },
    auditor: { userId: 'audit-1', role: 'auditor', agency: 'VPCP' },
  };

  async function call(who: keyof typeof actors, method: string, path: string, body?: unknown, contentType = 'application/json') {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: await bearer(config, actors[who]!), ...(body !== undefined ? { 'content-type': contentType } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, type, headers: res.headers, body: (type.includes('json') ? JSON.parse(text) : text) as Record<string, unknown> & string };
  }

  const request = (overrides: Record<string, unknown> = {}) => ({
    agency: 'BTP', requestRef: uniqueId('r'), dossierCode: 'H01.23-000555', feeTypeCode: 'LEPHI-HT', amount: 150_000,
    beneficiary: { kind: 'treasury', institution: 'KBNN', account: '7111-1234567', name: 'Kho bạc Nhà nước Hà Nội' }, ...overrides,
  });

  /** A payment debited by `payerBank`; returns its id and its reconciliation day. */
  async function debited(payerBank: string, bankTxnRef: string, amount = 150_000, overrides: Record<string, unknown> = {}) {
    const created = await call('agency', 'POST', '/v1/payments', request({ amount, ...overrides }));
    expect(created.status).toBe(201);
    const id = created.body.paymentId as string;
    expect((await call('portal', 'POST', `/v1/payments/${id}/payer-bank`, { bank: payerBank })).status).toBe(200);
    expect((await call(payerBank === bank ? 'bank' : 'otherBank', 'POST', `/v1/payments/${id}/callbacks/debit`, { callbackId: uniqueId('cb'), bankTxnRef, amount, debitedAt: new Date().toISOString() })).status).toBe(200);
    const seen = await eventually(() => call('agency', 'GET', `/v1/payments/${id}`), (r) => r.body.status === 'debited' && r.body.debitedAt !== null);
    return { id, day: vietnamDate(seen.body.debitedAt as string) };
  }

  /** VPCP reconciles the day (again) and waits for the run to end (the test holds holdReconciliationOfToday). */
  const reconcile = (day: string) => reconcileAndWait(app.temporal, config.TASK_QUEUE, day, () => call('vpcp', 'POST', '/v1/reconciliation/runs', { txnDate: day }));

  beforeAll(async () => {
    database = createDatabase(config.DATABASE_URL);
    worker = stoppableWorker(config, database);
    await worker.start();
    app = await buildApp(config, undefined, false);
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    for (const [code, kind] of [[bank, 'bank'], [otherBank, 'bank'], [intermediary, 'intermediary']] as const) {
      expect((await call('vpcp', 'PUT', `/v1/banks/${code}`, { name: `Bank ${code}`, nameVi: `Ngân hàng ${code}`, kind })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await app?.close();
    await worker?.stop();
    await database?.close();
  });

  it('Art 34.1: the fee-type catalogue is readable by every role and maintained by VPCP; a payment with a code outside it is refused with 400 naming the field', async () => {
    const catalogue = await call('bank', 'GET', '/v1/fee-types');
    expect(catalogue.status).toBe(200);
    expect((catalogue.body.items as { code: string }[]).map((f) => f.code)).toEqual(expect.arrayContaining(['LEPHI', 'LEPHI-HT', 'PHI', 'THUE']));
    expect((await call('portal', 'GET', '/v1/fee-types/LEPHI-HT')).body).toMatchObject({ code: 'LEPHI-HT', nameVi: 'Lệ phí đăng ký hộ tịch', category: 'charge' });

    const code = `PHI-${uniqueId('').slice(1, 7)}`.toUpperCase();
    const unknown = await call('agency', 'POST', '/v1/payments', request({ feeTypeCode: code }));
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([{ path: 'body.feeTypeCode', message: expect.stringContaining('not in the fee-type catalogue') }]);
    expect((await call('agency', 'PUT', `/v1/fee-types/${code}`, { name: 'Test fee', nameVi: 'Phí thử nghiệm', category: 'fee' })).status).toBe(403);
    expect((await call('vpcp', 'PUT', `/v1/fee-types/${code}`, { name: 'Test fee', nameVi: 'Phí thử nghiệm', category: 'fee' })).status).toBe(201);
    expect((await call('agency', 'POST', '/v1/payments', request({ feeTypeCode: code }))).status).toBe(201);
  });

  it('Art 33.4 (issue 16.8): a payment\'s beneficiary is a registered bank or the State Treasury (KBNN), else 400 naming the field', async () => {
    const refused = async (beneficiary: Record<string, string>) => {
      const res = await call('agency', 'POST', '/v1/payments', request({ beneficiary: { account: '0011', name: 'Tài khoản thu', ...beneficiary } }));
      expect(res.status, JSON.stringify(beneficiary)).toBe(400);
      expect((res.body.errors as { path: string }[]).map((e) => e.path)).toEqual(['body.beneficiary.institution']);
    };
    await refused({ kind: 'treasury', institution: 'KBNN-HN' });
    await refused({ kind: 'bank', institution: 'NOTABANK' });
    await refused({ kind: 'bank', institution: 'KBNN' });
    await refused({ kind: 'bank', institution: intermediary });
    const atBank = await call('agency', 'POST', '/v1/payments', request({ beneficiary: { kind: 'bank', institution: otherBank, account: '0011', name: 'Tài khoản thu' } }));
    expect(atBank.status).toBe(201);
  });

  it('Art 34.5, 34.6: a second debit found by reconciliation starts the bank\'s refund; a corrected statement re-run closes the case, and the bank closes the refund as unfounded', async () => {
    // Today is reconciled for every agency and bank at once: no other test file uploads for or reconciles it until this test ends.
    await holdReconciliationOfToday(database);
    const { id, day } = await debited(bank, 'FT-D1');
    const statement = (lines: string[]) => `payment_id,bank_txn_ref,amount,status,fee_type_code\r\n${lines.join('\r\n')}\r\n`;
    expect((await call('bank', 'PUT', `/v1/reconciliation/statements/${bank}/BTP/${day}`, statement([`${id},FT-D1,150000,success,LEPHI-HT`, `${id},FT-D2,150000,success,LEPHI-HT`]), 'text/csv')).status).toBe(200);
    expect((await call('agency', 'PUT', `/v1/reconciliation/agency-records/BTP/${bank}/${day}`, { lines: [{ paymentId: id, bankTxnRef: 'FT-D1', amount: 150_000, status: 'success', feeTypeCode: 'LEPHI-HT' }] })).status).toBe(200);
    await reconcile(day);
    const cases = await eventually(() => call('bank', 'GET', `/v1/reconciliation/discrepancies?txnDate=${day}&bank=${bank}`), (r) => (r.body.items as { paymentId: string; refundId: string | null }[]).some((d) => d.paymentId === id && d.refundId));
    const duplicate = (cases.body.items as { id: string; paymentId: string; kind: string; refundId: string }[]).find((d) => d.paymentId === id)!;
    expect(duplicate.kind).toBe('duplicate');
    const refund = await eventually(() => call('bank', 'GET', `/v1/refunds/${duplicate.refundId}`), (r) => r.status === 200);
    expect(refund.body).toMatchObject({ origin: 'reconciliation', bankTxnRef: 'FT-D2', status: 'awaitingRefund' });

    // The bank corrects its statement: FT-D2 was a display error. The re-run closes the difference.
    expect((await call('bank', 'PUT', `/v1/reconciliation/statements/${bank}/BTP/${day}`, statement([`${id},FT-D1,150000,success,LEPHI-HT`]), 'text/csv')).status).toBe(200);
    await reconcile(day);
    const closed = await eventually(() => call('agency', 'GET', `/v1/reconciliation/discrepancies/${duplicate.id}`), (r) => r.body.status === 'resolved', 30_000);
    expect(closed.body.resolution).toContain('disappeared');

    expect((await call('agency', 'POST', `/v1/refunds/${duplicate.refundId}/close-unfounded`, { reason: 'x' })).status).toBe(403);
    expect((await call('otherBank', 'POST', `/v1/refunds/${duplicate.refundId}/close-unfounded`, { reason: 'x' })).status).toBe(403);
    const unfounded = await call('bank', 'POST', `/v1/refunds/${duplicate.refundId}/close-unfounded`, { reason: `corrected statement of ${day}: FT-D2 never debited` });
    expect(unfounded.status).toBe(200);
    expect(unfounded.body).toMatchObject({ status: 'rejected', finding: 'unfounded' });
    await eventually(() => call('vpcp', 'GET', `/v1/refunds/${duplicate.refundId}`), (r) => r.body.status === 'rejected');

    // Art 34.3: a report of any period, filtered, summary and detail, JSON or CSV; each bank its own.
    const from = new Date(Date.parse(`${day}T00:00:00Z`) - 3 * 86_400_000).toISOString().slice(0, 10);
    const report = await call('bank', 'GET', `/v1/reconciliation/reports?from=${from}&to=${day}&feeTypeCode=LEPHI-HT&status=success&view=detail&limit=1`);
    expect(report.status).toBe(200);
    expect((report.body.summary as { agency: string; bank: string; transactions: number }[])).toEqual([expect.objectContaining({ agency: 'BTP', bank, transactions: 1 })]);
    expect(report.body.detail).toEqual([expect.objectContaining({ txnDate: day, paymentId: id, outcome: 'matched', feeTypeCode: 'LEPHI-HT' })]);
    const byOtherBank = await call('otherBank', 'GET', `/v1/reconciliation/reports?from=${from}&to=${day}&bank=${bank}&view=detail`);
    expect((byOtherBank.body.summary as { bank: string }[]).every((p) => p.bank === otherBank)).toBe(true);
    expect((byOtherBank.body.detail as { bank: string }[]).every((d) => d.bank === otherBank)).toBe(true);
    const csv = await call('auditor', 'GET', `/v1/reconciliation/reports?from=${from}&to=${day}&bank=${bank}&format=csv`);
    expect(csv.type).toContain('text/csv');
    expect(csv.body.split('\r\n')[0]).toBe('txnDate,agency,bank,paymentId,seq,outcome,ownerKind,feeTypeCode,bankTxnRef,portalAmount,bankAmount,agencyAmount,portalStatus,bankStatus,agencyStatus');
    expect(csv.body).toContain(`${day},BTP,${bank},${id},1,matched`);
    expect((await call('vpcp', 'GET', `/v1/reconciliation/reports?from=${day}&to=${from}`)).status).toBe(400);
  });

  it('Art 34.2: a day a party has not uploaded for is reported awaiting upload, not a difference per payment', async () => {
    // Today is reconciled for every agency and bank at once: no other test file uploads for or reconciles it until this test ends.
    await holdReconciliationOfToday(database);
    const { id, day } = await debited(otherBank, 'FT-W1', 60_000);
    await reconcile(day);
    const report = await eventually(
      () => call('vpcp', 'GET', `/v1/reconciliation/reports?from=${day}&to=${day}&bank=${otherBank}`),
      (r) => (r.body.awaitingUpload as unknown[]).length > 0,
    );
    expect(report.body.awaitingUpload).toEqual([{ txnDate: day, agency: 'BTP', bank: otherBank, payments: expect.any(Number), awaiting: ['bank', 'agency'] }]);
    expect((report.body.summary as { outcomes: Record<string, number> }[])[0]?.outcomes).toMatchObject({ awaitingUpload: expect.any(Number), missingAtBank: 0, missingAtAgency: 0 });
    const cases = await call('vpcp', 'GET', `/v1/reconciliation/discrepancies?txnDate=${day}&bank=${otherBank}`);
    expect((cases.body.items as { paymentId: string }[]).some((d) => d.paymentId === id)).toBe(false);
  });

  it('Art 34.6c: an agency starts a refund of its own payment, which it pays (with the bank or Treasury); another agency may not', async () => {
    const { id } = await debited(bank, 'FT-A1', 80_000);
    expect((await call('otherAgency', 'POST', '/v1/refunds', { paymentId: id, amount: 80_000, reason: 'x' })).status).toBe(403);
    const started = await call('agency', 'POST', '/v1/refunds', { paymentId: id, amount: 80_000, reason: 'dossier withdrawn before processing; fee returned' });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ status: 'awaitingRefund' });
    const refundId = started.body.refundId as string;
    expect((await call('agency', 'GET', `/v1/refunds/${refundId}`)).body).toMatchObject({ origin: 'agencyInitiated', responsibleKind: 'agency', status: 'awaitingRefund' });
    expect((await call('bank', 'POST', `/v1/refunds/${refundId}/payout`, { payoutRef: 'X' })).status).toBe(403);
    const paid = await call('agency', 'POST', `/v1/refunds/${refundId}/payout`, { payoutRef: 'KBNN-HT-77' });
    expect(paid.body).toMatchObject({ status: 'refunded', payoutRef: 'KBNN-HT-77' });
  });

  it('Art 34.6b: read your writes — a 201 refund request is found by a GET at once, even with no worker running; the workflow\'s own writes then replace that first row', async () => {
    const { id } = await debited(bank, 'FT-RYW', 60_000);
    await worker?.stop();
    try {
      const request = { paymentId: id, amount: 60_000, reason: 'debited twice for one dossier' };
      const started = await call('portal', 'POST', '/v1/refunds', request);
      expect(started).toMatchObject({ status: 201, body: { status: 'investigating' } });
      const refundId = started.body.refundId as string;
      const read = await call('bank', 'GET', `/v1/refunds/${refundId}`);
      expect(read).toMatchObject({ status: 200, body: { id: refundId, origin: 'payerRequest', status: 'investigating', responsibleKind: 'bank', amount: 60_000, bank } });
      expect((await findRefund(database.db, refundId))?.revision).toBe(0);
      // The same statement marked its business key started: a retry after Temporal purged the case is not started again.
      expect(await findBusinessKey(database.db, 'refund', refundId)).toMatchObject({ workflowId: refundId, started: true });
      // The same request again answers the refund as it is (200); another amount for the same debit is a conflict.
      expect(await call('portal', 'POST', '/v1/refunds', request)).toMatchObject({ status: 200, body: { refundId, status: 'investigating' } });
      expect((await call('portal', 'POST', '/v1/refunds', { ...request, amount: 50_000 })).status).toBe(409);
      await worker!.start();
      // The worker runs the case: the bank decides, and the projection follows the workflow; the opening instant stays.
      const decided = await call('bank', 'POST', `/v1/refunds/${refundId}/decision`, { finding: 'bankFault', note: 'our duplicate debit' });
      expect(decided).toMatchObject({ status: 200, body: { status: 'awaitingRefund', finding: 'bankFault' } });
      const after = await eventually(() => call('bank', 'GET', `/v1/refunds/${refundId}`), (r) => r.body.status === 'awaitingRefund');
      expect(after.body).toMatchObject({ finding: 'bankFault', createdAt: read.body.createdAt });
      expect((await findRefund(database.db, refundId))?.revision).toBeGreaterThan(1);
    } finally {
      await worker!.start();
    }
  }, 90_000);
});
