import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import { findBusinessKey } from '../../db/queries/record.js';
import { and, eq } from 'drizzle-orm';
import { businessKeys, payments } from '../../db/schema/index.js';
import { bearer, testConfig, uniqueId } from '../support/env.js';

/**
 * Hostile review of the payment start path (Art 31.2b, 33.3: one payment per request reference)
 * with no worker polling the task queue — the API alone answers: concurrent duplicates, a retry
 * after a lost answer, an Idempotency-Key reused with another body, and a GET right after the 201.
 */
describe('hostile review: starting a payment with no worker running (API, Temporal dev server, PostgreSQL)', () => {
  // No worker polls this task queue: every answer below comes from the API, PostgreSQL and Temporal's frontend.
  const config = testConfig({ UPDATE_WAIT_MS: 1_500 });
  let app: FastifyInstance;
  let database: DatabaseHandle;
  const agency: Actor = { userId: 'officer-hostile', role: 'agency', agency: 'BTP' };
  const started: string[] = [];

  beforeAll(async () => {
    database = createDatabase(config.DATABASE_URL);
    app = await buildApp(config, undefined, false);
    await app.ready();
  });
  afterAll(async () => {
    for (const id of started) await app.temporal.workflow.getHandle(id).terminate('hostile review finished').catch(() => undefined);
    await app?.close();
    await database?.close();
  });

  const payment = (requestRef: string, amount = 200_000) => ({
    agency: 'BTP', requestRef, dossierCode: 'H01.23-000999', feeTypeCode: 'LEPHI-HT', amount,
    beneficiary: { kind: 'treasury', institution: 'KBNN', account: '7111-1234567', name: 'Kho bạc Nhà nước Hà Nội' },
  });

  async function call(method: string, url: string, body?: unknown, key?: string) {
    const res = await app.inject({
      method: method as 'GET' | 'POST', url,
      headers: { authorization: await bearer(config, agency), ...(key ? { 'idempotency-key': key } : {}) },
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    });
    return { status: res.statusCode, body: res.json() as Record<string, unknown>, headers: res.headers };
  }

  it('Art 31.2b, 33.3: the same registration sent 6 times at once is one payment — one 201, the others 200 with it, none 409 or 5xx — and a GET finds it at once', async () => {
    const ref = uniqueId('dup');
    const answers = await Promise.all(Array.from({ length: 6 }, () => call('POST', '/v1/payments', payment(ref))));
    const id = `payment-BTP-${ref}`;
    started.push(id);
    expect(answers.map((a) => a.status).sort(), JSON.stringify(answers.map((a) => a.body))).toEqual([200, 200, 200, 200, 200, 201]);
    for (const a of answers) expect(a.body).toMatchObject({ paymentId: id, status: 'awaitingPayer' });
    expect(await call('GET', `/v1/payments/${id}`)).toMatchObject({ status: 200, body: { paymentId: id, status: 'awaitingPayer', amount: 200_000 } });
    expect(await findBusinessKey(database.db, 'payment', `BTP/${ref}`)).toMatchObject({ workflowId: id, started: true });
  }, 60_000);

  it('Art 31.2b: two registrations of one request reference with different amounts sent at once — one is the payment (201), the other 409 already-exists; the payment keeps the first one\'s amount', async () => {
    const ref = uniqueId('clash');
    const [a, b] = await Promise.all([call('POST', '/v1/payments', payment(ref, 100_000)), call('POST', '/v1/payments', payment(ref, 300_000))]);
    const id = `payment-BTP-${ref}`;
    started.push(id);
    expect([a!.status, b!.status].sort()).toEqual([201, 409]);
    const winner = a!.status === 201 ? 100_000 : 300_000;
    expect((a!.status === 409 ? a! : b!).body.type).toBe('urn:dvcqg:problem:already-exists');
    expect(await call('GET', `/v1/payments/${id}`)).toMatchObject({ status: 200, body: { paymentId: id, amount: winner } });
  }, 60_000);

  it('Art 31.2b: a retry after the first answer was lost — with or without the Idempotency-Key — is the same payment (the replayed 201, or 200), never a second case', async () => {
    const ref = uniqueId('lost');
    const key = uniqueId('k');
    const first = await call('POST', '/v1/payments', payment(ref), key);
    expect(first.status).toBe(201);
    started.push(String(first.body.paymentId));
    const replay = await call('POST', '/v1/payments', payment(ref), key);
    expect(replay).toMatchObject({ status: 201, body: first.body });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await call('POST', '/v1/payments', payment(ref))).toMatchObject({ status: 200, body: { paymentId: first.body.paymentId, status: 'awaitingPayer' } });
    expect(await call('POST', '/v1/payments', payment(ref), uniqueId('other-key'))).toMatchObject({ status: 200, body: { paymentId: first.body.paymentId } });
  }, 60_000);

  it('Art 31.2b, 33.3: a retry after the first attempt died between starting the case and landing its first row (key claimed, not marked started, no projection row, no worker) is answered with the payment (200), not 409', async () => {
    const ref = uniqueId('crash');
    const first = await call('POST', '/v1/payments', payment(ref));
    expect(first.status).toBe(201);
    const id = String(first.body.paymentId);
    started.push(id);
    // The state a crash right after Temporal's start leaves: the claim unmarked, no projection row yet.
    await database.db.update(businessKeys).set({ started: false }).where(and(eq(businessKeys.kind, 'payment'), eq(businessKeys.key, `BTP/${ref}`)));
    await database.db.delete(payments).where(eq(payments.id, id));
    const began = Date.now();
    const retry = await call('POST', '/v1/payments', payment(ref));
    expect(retry, JSON.stringify(retry.body)).toMatchObject({ status: 200, body: { paymentId: id, status: 'awaitingPayer' } });
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(await findBusinessKey(database.db, 'payment', `BTP/${ref}`)).toMatchObject({ started: true });
    // Other content under the reference is still a conflict.
    expect((await call('POST', '/v1/payments', payment(ref, 1))).body.type).toBe('urn:dvcqg:problem:already-exists');
  }, 60_000);

  it('Art 31.2b (Idempotency-Key): the key reused with another body is 409 idempotency-key-reused and starts nothing — also when both are sent at once', async () => {
    const key = uniqueId('k');
    const ref = uniqueId('idem');
    expect((await call('POST', '/v1/payments', payment(ref), key)).status).toBe(201);
    started.push(`payment-BTP-${ref}`);
    const otherRef = uniqueId('idem-other');
    const reused = await call('POST', '/v1/payments', payment(otherRef), key);
    expect(reused).toMatchObject({ status: 409, body: { type: 'urn:dvcqg:problem:idempotency-key-reused' } });
    expect((await call('GET', `/v1/payments/payment-BTP-${otherRef}`)).status).toBe(404);
    expect(await findBusinessKey(database.db, 'payment', `BTP/${otherRef}`)).toBeUndefined();

    const raceKey = uniqueId('k');
    const [x, y] = [uniqueId('race-x'), uniqueId('race-y')];
    const answers = await Promise.all([call('POST', '/v1/payments', payment(x), raceKey), call('POST', '/v1/payments', payment(y), raceKey)]);
    started.push(`payment-BTP-${x}`, `payment-BTP-${y}`);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    const loser = answers[0]!.status === 409 ? x : y;
    expect(answers.find((a) => a.status === 409)!.body.type).toBe('urn:dvcqg:problem:idempotency-key-reused');
    expect(answers.find((a) => a.status === 201)!.body.paymentId).not.toBe(`payment-BTP-${loser}`);
    expect((await call('GET', `/v1/payments/payment-BTP-${loser}`)).status).toBe(404);
  }, 60_000);
});
