import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { and, eq, inArray } from 'drizzle-orm';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import { upsertPayment } from '../../db/queries/payment.js';
import { liveRefundsOfDebit, REFUND_START_LOCK_WAIT_MS, withRefundStartLock } from '../../db/queries/reconciliation.js';
import { findBusinessKey } from '../../db/queries/record.js';
import { businessKeys, payments, refunds } from '../../db/schema/index.js';
import { startedPaymentView } from '../../domain/payments/types.js';
import { bearer, testConfig, uniqueId } from '../support/env.js';

/**
 * Hostile review of the refund start path (Art 34.6b–c) with no worker polling the task queue: the
 * API answers 201 and lands the refund's first row itself, a GET finds it at once, duplicates sent at
 * once are one case, a payer's request and the agency's own refund of one debit sent at once are one
 * case, and a retry after the first attempt died before landing its row is answered at once with the case.
 */
describe('hostile review: starting a refund with no worker running (API, Temporal dev server, PostgreSQL)', () => {
  const config = testConfig({ UPDATE_WAIT_MS: 1_500 });
  let app: FastifyInstance;
  let database: DatabaseHandle;
  const portal: Actor = { userId: 'portal-hostile', role: 'portal' };
  const agency: Actor = { userId: 'officer-hostile', role: 'agency', agency: 'BTP' };
  const paymentIds: string[] = [];
  const refundIds: string[] = [];

  beforeAll(async () => {
    database = createDatabase(config.DATABASE_URL);
    app = await buildApp(config, undefined, false);
    await app.ready();
  });
  afterAll(async () => {
    for (const id of refundIds) await app.temporal.workflow.getHandle(id).terminate('hostile review finished').catch(() => undefined);
    if (refundIds.length > 0) await database.db.delete(refunds).where(inArray(refunds.id, refundIds)).catch(() => undefined);
    if (paymentIds.length > 0) await database.db.delete(payments).where(inArray(payments.id, paymentIds)).catch(() => undefined);
    await app?.close();
    await database?.close();
  });

  /** A debited payment as the payment workflow projects it (no worker needed to refund it). */
  async function debitedPayment() {
    const ref = uniqueId('rf');
    const id = `payment-BTP-${ref}`;
    const view = startedPaymentView(id, {
      agency: 'BTP', requestRef: ref, dossierCode: 'H01.23-000777', feeTypeCode: 'LEPHI-HT', amount: 150_000,
      beneficiary: { kind: 'treasury', institution: 'KBNN', account: '7111-1234567', name: 'KBNN' },
    }, new Date().toISOString());
    await upsertPayment(database.db, {
      ...view, status: 'debited', payerBank: 'VCB', bankTxnRef: `TXN-${ref}`, debitedAt: new Date().toISOString(), txnDate: '2026-03-02', revision: 3,
    });
    paymentIds.push(id);
    return { id, txn: `TXN-${ref}` };
  }

  async function call(actor: Actor, method: string, url: string, body?: unknown) {
    const res = await app.inject({
      method: method as 'GET' | 'POST', url, headers: { authorization: await bearer(config, actor) },
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  }

  it('Art 34.6b: a payer\'s refund request is answered 201 (investigating) with no worker, and a GET right after finds it; the same request sent 4 times at once is one case', async () => {
    const { id, txn } = await debitedPayment();
    const refundId = `refund-request-${id}-${txn}`;
    refundIds.push(refundId);
    const answers = await Promise.all(Array.from({ length: 4 }, () => call(portal, 'POST', '/v1/refunds', { paymentId: id, amount: 150_000, reason: 'Trừ tiền hai lần' })));
    expect(answers.map((a) => a.status).sort(), JSON.stringify(answers.map((a) => a.body))).toEqual([200, 200, 200, 201]);
    for (const a of answers) expect(a.body).toMatchObject({ refundId, status: 'investigating' });
    expect(await call(portal, 'GET', `/v1/refunds/${refundId}`)).toMatchObject({ status: 200, body: { id: refundId, status: 'investigating', amount: 150_000, responsibleKind: 'bank' } });
    expect(await findBusinessKey(database.db, 'refund', refundId)).toMatchObject({ started: true });
    // Another amount for the same debit is a conflict, not a second case.
    expect((await call(portal, 'POST', '/v1/refunds', { paymentId: id, amount: 1_000, reason: 'x' })).body.type).toBe('urn:dvcqg:problem:already-exists');
  }, 60_000);

  it('Art 34.6c: the agency\'s own refund is answered 201 (awaitingRefund, the agency pays) with no worker and found by a GET at once', async () => {
    const { id, txn } = await debitedPayment();
    const created = await call(agency, 'POST', '/v1/refunds', { paymentId: id, amount: 50_000, reason: 'Thu thừa' });
    expect(created).toMatchObject({ status: 201, body: { refundId: `refund-agency-${id}-${txn}`, status: 'awaitingRefund' } });
    refundIds.push(String(created.body.refundId));
    expect(await call(agency, 'GET', `/v1/refunds/${String(created.body.refundId)}`)).toMatchObject({ status: 200, body: { status: 'awaitingRefund', responsibleKind: 'agency', amount: 50_000 } });
  }, 60_000);

  it('Art 34.6b: a retry after the first attempt died between starting the case and landing its first row is answered at once (200, the case) and lands the row, instead of waiting out a query no worker answers', async () => {
    const { id, txn } = await debitedPayment();
    const refundId = `refund-request-${id}-${txn}`;
    refundIds.push(refundId);
    expect((await call(portal, 'POST', '/v1/refunds', { paymentId: id, amount: 150_000, reason: 'Trừ tiền hai lần' })).status).toBe(201);
    // The state a crash right after Temporal's start leaves: the claim unmarked, no projection row yet.
    await database.db.update(businessKeys).set({ started: false }).where(and(eq(businessKeys.kind, 'refund'), eq(businessKeys.key, refundId)));
    await database.db.delete(refunds).where(eq(refunds.id, refundId));
    const began = Date.now();
    const retry = await call(portal, 'POST', '/v1/refunds', { paymentId: id, amount: 150_000, reason: 'Trừ tiền hai lần' });
    expect(retry, JSON.stringify(retry.body)).toMatchObject({ status: 200, body: { refundId, status: 'investigating' } });
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(await call(portal, 'GET', `/v1/refunds/${refundId}`)).toMatchObject({ status: 200, body: { id: refundId, status: 'investigating' } });
  }, 60_000);

  it('Art 34.6: one live refund case per debit: the payer\'s request and the agency\'s own refund of the same debit sent at the same moment give exactly one case (201), the other is refused (409 already-exists) as if it came second', async () => {
    for (let round = 0; round < 6; round++) {
      const { id, txn } = await debitedPayment();
      refundIds.push(`refund-request-${id}-${txn}`, `refund-agency-${id}-${txn}`);
      const [request, own] = await Promise.all([
        call(portal, 'POST', '/v1/refunds', { paymentId: id, amount: 150_000, reason: 'Trừ tiền hai lần' }),
        call(agency, 'POST', '/v1/refunds', { paymentId: id, amount: 150_000, reason: 'Thu thừa' }),
      ]);
      const answers = JSON.stringify([request, own]);
      expect([request.status, own.status].sort(), answers).toEqual([201, 409]);
      const [created, refused] = request.status === 201 ? [request, own] : [own, request];
      expect(refused.body, answers).toMatchObject({ type: 'urn:dvcqg:problem:already-exists', detail: expect.stringContaining(String(created.body.refundId)) });
      expect(await liveRefundsOfDebit(database.db, id, txn), answers).toEqual([expect.objectContaining({ id: created.body.refundId })]);
    }
  }, 60_000);

  it('Art 34.6: a refund start waits a bounded time for another start of the same debit, then is told to retry (409 busy), never waiting unboundedly', async () => {
    const { id, txn } = await debitedPayment();
    refundIds.push(`refund-request-${id}-${txn}`);
    const held = await withRefundStartLock(database.db, { paymentId: id, bankTxnRef: txn }, async () => {
      const began = Date.now();
      const answer = await call(portal, 'POST', '/v1/refunds', { paymentId: id, amount: 150_000, reason: 'Trừ tiền hai lần' });
      return { answer, waited: Date.now() - began };
    });
    expect(held.acquired).toBe(true);
    if (!held.acquired) return;
    expect(held.value.answer, JSON.stringify(held.value.answer.body)).toMatchObject({ status: 409, body: { type: 'urn:dvcqg:problem:busy' } });
    expect(held.value.waited).toBeLessThan(REFUND_START_LOCK_WAIT_MS + 2_000);
    // Once the other start is done, the same request goes through.
    expect((await call(portal, 'POST', '/v1/refunds', { paymentId: id, amount: 150_000, reason: 'Trừ tiền hai lần' })).status).toBe(201);
  }, 60_000);
});
