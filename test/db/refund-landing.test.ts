import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { DatabaseHandle } from '../../db/client.js';
import { findRefund, landStartedRefund, upsertRefund } from '../../db/queries/reconciliation.js';
import { claimBusinessKey, findBusinessKey } from '../../db/queries/record.js';
import { refunds } from '../../db/schema/index.js';
import { refundRecord, refundWorkflowId, startedRefundView, type RefundInput, type RefundView } from '../../domain/payments/refund.js';
import { testDatabase, uniqueId } from '../support/env.js';

/**
 * The API's first projection row of a refund (revision 0, `landStartedRefund`) against the
 * workflow's own writes (revision 1 on), in every order and concurrently: the workflow's row always
 * wins, the opening instant stays as first written, the business key ends marked started.
 */
describe('refund read-your-writes: the API\'s revision 0 against the workflow\'s writes (Art 34.6)', () => {
  let database: DatabaseHandle;
  beforeAll(() => {
    database = testDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  async function started(createdAt: string) {
    const input: RefundInput = {
      origin: 'payerRequest', paymentId: uniqueId('pay'), agency: 'BTC', bank: 'VCB', bankTxnRef: 'FT-1', amount: 60_000, reason: 'debited twice',
      actor: { userId: 'portal-1', role: 'portal' },
    };
    const refundId = refundWorkflowId(input);
    const business = { kind: 'refund', key: refundId };
    await claimBusinessKey(database.db, { ...business, workflowId: refundId, contentSha256: 'x'.repeat(64) });
    return { view: startedRefundView(refundId, input, createdAt), business };
  }
  /** The workflow's write at `revision` (its own opening instant: the workflow started a little later). */
  const workflowWrite = (view: RefundView, revision: number, over: Partial<RefundView> = {}) =>
    upsertRefund(database.db, refundRecord({ ...view, createdAt: '2035-01-01T00:00:09.000Z', ...over }, revision));

  it('Art 34.6b: the API\'s row landing after the workflow decided leaves the workflow\'s row (revision 0 never overwrites) and marks the key started', async () => {
    const { view, business } = await started('2035-01-01T00:00:00.000Z');
    await workflowWrite(view, 1);
    await workflowWrite(view, 2, { status: 'awaitingRefund', finding: 'bankFault' });
    await landStartedRefund(database.db, view, business);
    expect(await findRefund(database.db, view.refundId)).toMatchObject({ revision: 2, status: 'awaitingRefund', finding: 'bankFault', createdAt: new Date('2035-01-01T00:00:09.000Z') });
    expect(await findBusinessKey(database.db, business.kind, business.key)).toMatchObject({ started: true });
  });

  it('Art 34.6b: the workflow\'s first write replaces the API\'s row; the opening instant stays the API\'s (the list\'s keyset does not move)', async () => {
    const { view, business } = await started('2035-01-01T00:00:00.000Z');
    await landStartedRefund(database.db, view, business);
    expect(await findRefund(database.db, view.refundId)).toMatchObject({ revision: 0, status: 'investigating', responsibleKind: 'bank' });
    await workflowWrite(view, 1, { status: 'awaitingRefund', finding: 'bankFault' });
    expect(await findRefund(database.db, view.refundId)).toMatchObject({ revision: 1, status: 'awaitingRefund', createdAt: new Date('2035-01-01T00:00:00.000Z') });
    // A retried landing (the same request's second statement) changes nothing.
    await landStartedRefund(database.db, view, business);
    expect(await findRefund(database.db, view.refundId)).toMatchObject({ revision: 1, status: 'awaitingRefund' });
  });

  it('Art 34.6b: concurrent identical landings and the workflow\'s writes leave one row, the workflow\'s latest', async () => {
    const { view, business } = await started('2035-01-01T00:00:00.000Z');
    await Promise.all([
      ...Array.from({ length: 4 }, () => landStartedRefund(database.db, view, business)),
      workflowWrite(view, 1),
      workflowWrite(view, 2, { status: 'rejected', finding: 'unfounded' }),
      ...Array.from({ length: 4 }, () => landStartedRefund(database.db, view, business)),
    ]);
    const rows = await database.db.select().from(refunds).where(eq(refunds.id, view.refundId));
    expect(rows.map((r) => [r.revision, r.status, r.finding])).toEqual([[2, 'rejected', 'unfounded']]);
    expect(await findBusinessKey(database.db, business.kind, business.key)).toMatchObject({ started: true });
  });
});
