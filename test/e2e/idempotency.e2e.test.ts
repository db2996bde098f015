import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import { findBusinessKey } from '../../db/queries/record.js';
import { bearer, eventually, testConfig, uniqueId } from '../support/env.js';
import { stoppableWorker } from '../support/e2e.js';

/**
 * Every state-changing request is safe to retry (Idempotency-Key → Temporal updateId), and the API
 * waits a bounded time for a case: past it, 202 with where to read the outcome.
 */
describe('retries and bounded waits through HTTP (dev server, worker, PostgreSQL)', () => {
  const config = testConfig({ UPDATE_WAIT_MS: 1_500 });
  let app: FastifyInstance;
  let database: DatabaseHandle;
  let baseUrl: string;
  let worker: ReturnType<typeof stoppableWorker> | undefined;
  const bank = `I${uniqueId('').slice(1, 9)}`.toUpperCase();
  const actors: Record<string, Actor> = {
    vpcp: { userId: 'vpcp-1', role: 'vpcp', agency: 'VPCP' },
    agency: { userId: 'officer-1', role: 'agency', agency: 'BTP' },
    portal: { userId: 'portal', role: 'portal' },
    otherPortal: { userId: 'portal-2', role: 'portal' },
    bank: { userId: 'bank-api', role: 'bank', bank },
    otherBank: { userId: 'other-bank-api', role: 'bank', bank: `${bank}X` },
  };

  async function call(who: keyof typeof actors, method: string, path: string, body?: unknown, key?: string) {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: await bearer(config, actors[who]!),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
  }


  const payment = (requestRef: string) => ({
    agency: 'BTP', requestRef, dossierCode: 'H01.23-000888', feeTypeCode: 'LEPHI-HT', amount: 200_000,
    beneficiary: { kind: 'treasury', institution: 'KBNN', account: '7111-1234567', name: 'Kho bạc Nhà nước Hà Nội' },
  });

  beforeAll(async () => {
    database = createDatabase(config.DATABASE_URL);
    worker = stoppableWorker(config, database);
    await worker.start();
    app = await buildApp(config, undefined, false);
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    for (const code of [bank, `${bank}X`]) {
      expect((await call('vpcp', 'PUT', `/v1/banks/${code}`, { name: `Bank ${code}`, nameVi: `Ngân hàng ${code}`, kind: 'bank' })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await app?.close();
    await worker?.stop();
    await database?.close();
  });

  it('Art 31.2b: a retried payer-bank choice with its Idempotency-Key gets the first answer; the key on another request is 409 idempotency-key-reused', async () => {
    const created = await call('agency', 'POST', '/v1/payments', payment(uniqueId('idem')));
    expect(created.status).toBe(201);
    const id = created.body.paymentId as string;
    const key = uniqueId('k');
    const first = await call('portal', 'POST', `/v1/payments/${id}/payer-bank`, { bank }, key);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ paymentId: id, status: 'awaitingDebit', payerBank: bank });
    const retry = await call('portal', 'POST', `/v1/payments/${id}/payer-bank`, { bank }, key);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    const reused = await call('portal', 'POST', `/v1/payments/${id}/payer-bank`, { bank: 'OTHERBANK' }, key);
    expect(reused.status).toBe(409);
    expect(reused.body.type).toBe('urn:dvcqg:problem:idempotency-key-reused');
    // Keys are per caller: another caller's same key is its own.
    const other = await call('otherPortal', 'POST', `/v1/payments/${id}/payer-bank`, { bank }, key);
    expect(other.status).toBe(200);
    expect(other.headers.get('idempotent-replayed')).toBeNull();
  });

  it('project rule: without a key, choosing the same payer bank again is no error — the payment as it is now', async () => {
    const id = (await call('agency', 'POST', '/v1/payments', payment(uniqueId('same')))).body.paymentId as string;
    expect((await call('portal', 'POST', `/v1/payments/${id}/payer-bank`, { bank })).status).toBe(200);
    const again = await call('portal', 'POST', `/v1/payments/${id}/payer-bank`, { bank });
    expect(again).toMatchObject({ status: 200, body: { paymentId: id, status: 'awaitingDebit', payerBank: bank } });
  });

  it('a bounded wait: with no worker the action is answered 202 with where to read its outcome; the retry with the same key and the outcome route give the one result', async () => {
    const id = (await call('agency', 'POST', '/v1/payments', payment(uniqueId('wait')))).body.paymentId as string;
    await eventually(() => call('agency', 'GET', `/v1/payments/${id}`), (r) => r.status === 200);
    await worker?.stop();
    const key = uniqueId('k');
    const started = Date.now();
    const accepted = await call('portal', 'POST', `/v1/payments/${id}/payer-bank`, { bank }, key);
    expect(accepted.status).toBe(202);
    expect(Date.now() - started).toBeLessThan(10_000);
    const location = accepted.headers.get('location');
    expect(location).toBe(`/v1/actions/${encodeURIComponent(id)}/${encodeURIComponent(String(accepted.body.updateId))}`);
    // Still no worker: still pending.
    expect((await call('portal', 'GET', location!)).status).toBe(202);
    await worker!.start();
    const outcome = await eventually(() => call('portal', 'GET', location!), (r) => r.status === 200, 30_000);
    expect(outcome.body).toMatchObject({ paymentId: id, status: 'awaitingDebit', payerBank: bank });
    // The same key again: Temporal applied the update once and hands back its result.
    const retry = await call('portal', 'POST', `/v1/payments/${id}/payer-bank`, { bank }, key);
    expect(retry).toMatchObject({ status: 200, body: { paymentId: id, status: 'awaitingDebit', payerBank: bank } });
  }, 90_000);

  it('Art 31.2b, 33.3: read your writes — a 201 payment is found by a GET at once, even with no worker running; the workflow\'s own writes then replace that first row', async () => {
    await worker?.stop();
    const ref = uniqueId('ryw');
    const created = await call('agency', 'POST', '/v1/payments', payment(ref));
    expect(created.status).toBe(201);
    const id = created.body.paymentId as string;
    const read = await call('agency', 'GET', `/v1/payments/${id}`);
    expect(read).toMatchObject({ status: 200, body: { paymentId: id, status: 'awaitingPayer', agency: 'BTP' } });
    // The same statement marked its business key started: a retry after Temporal purged the case is not started again.
    expect(await findBusinessKey(database.db, 'payment', `BTP/${ref}`)).toMatchObject({ workflowId: id, started: true });
    // The same request again answers the payment as it is (200), not a second case.
    expect(await call('agency', 'POST', '/v1/payments', payment(ref))).toMatchObject({ status: 200, body: { paymentId: id } });
    await worker!.start();
    // The worker runs the case: the payer's bank can be chosen, and the projection follows the workflow.
    expect((await call('portal', 'POST', `/v1/payments/${id}/payer-bank`, { bank })).status).toBe(200);
    expect((await call('agency', 'GET', `/v1/payments/${id}`)).body).toMatchObject({ status: 'awaitingDebit', payerBank: bank });
  }, 90_000);

  it('Art 31.2c: a callback id is the bank\'s idempotency key — the same report again gets the first answer, another bank gets 403, other content under the id gets 409', async () => {
    const id = (await call('agency', 'POST', '/v1/payments', payment(uniqueId('cb')))).body.paymentId as string;
    expect((await call('portal', 'POST', `/v1/payments/${id}/payer-bank`, { bank })).status).toBe(200);
    const debit = { callbackId: uniqueId('cb'), bankTxnRef: uniqueId('txn'), amount: 200_000, debitedAt: new Date().toISOString() };
    const first = await call('bank', 'POST', `/v1/payments/${id}/callbacks/debit`, debit);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ paymentId: id, kind: 'debit', status: 'debited' });
    const again = await call('bank', 'POST', `/v1/payments/${id}/callbacks/debit`, debit);
    expect(again).toMatchObject({ status: 200, body: first.body });
    const stranger = await call('otherBank', 'POST', `/v1/payments/${id}/callbacks/debit`, debit);
    expect(stranger.status).toBe(403);
    expect(stranger.body.paymentId).toBeUndefined();
    const altered = await call('bank', 'POST', `/v1/payments/${id}/callbacks/debit`, { ...debit, amount: 210_000 });
    expect(altered.status).toBe(409);
  });

  it('a bounded wait on a bank callback: the bank reads the outcome of its own callback at the 202 Location, another bank cannot', async () => {
    const id = (await call('agency', 'POST', '/v1/payments', payment(uniqueId('cbwait')))).body.paymentId as string;
    expect((await call('portal', 'POST', `/v1/payments/${id}/payer-bank`, { bank })).status).toBe(200);
    await worker?.stop();
    const debit = { callbackId: uniqueId('cb'), bankTxnRef: uniqueId('txn'), amount: 200_000, debitedAt: new Date().toISOString() };
    const accepted = await call('bank', 'POST', `/v1/payments/${id}/callbacks/debit`, debit);
    expect(accepted.status).toBe(202);
    const location = accepted.headers.get('location')!;
    expect((await call('otherBank', 'GET', location)).status).toBe(404);
    expect((await call('bank', 'GET', location)).status).toBe(202);
    await worker!.start();
    const outcome = await eventually(() => call('bank', 'GET', location), (r) => r.status === 200, 30_000);
    expect(outcome.body).toMatchObject({ paymentId: id, kind: 'debit', status: 'debited' });
  }, 90_000);
});
