import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq } from 'drizzle-orm';
import { createActivities } from '../../activities/index.js';
import type { DatabaseHandle } from '../../db/client.js';
import { refundPayouts, refunds, slaClocks } from '../../db/schema/index.js';
import type { ActorRef } from '../../workflows/actors.js';
import { closeUnfoundedRefundUpdate, decideRefundUpdate, payRefundUpdate, refundQuery, refundWorkflowId, type RefundInput } from '../../workflows/refund.definitions.js';
import { slaClocksQuery } from '../../workflows/sla.definitions.js';
import { eventually, testDatabase, testLogger, timeSkippingEnv, uniqueId, workflowBundle } from '../support/env.js';

describe('refunds (Art 34.6, time-skipping, real activities and PostgreSQL)', () => {
  let env: TestWorkflowEnvironment;
  let database: DatabaseHandle;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueId('tq');
  const bank = `R${uniqueId('').slice(1, 9)}`;
  const bankActor: ActorRef = { userId: 'ops', role: 'bank', bank };
  const agencyActor: ActorRef = { userId: 'ke-toan', role: 'agency', agency: 'BTP' };
  const portal: ActorRef = { userId: 'portal', role: 'portal' };
  let payoutAttempts = 0;

  beforeAll(async () => {
    env = await timeSkippingEnv();
    database = testDatabase();
    const activities = createActivities({ db: database.db, logger: testLogger() });
    worker = await Worker.create({
      connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(),
      activities: {
        ...activities,
        // The payout is recorded, then the first attempt "loses" its answer: Temporal retries it.
        async recordRefundPayout(input: Parameters<typeof activities.recordRefundPayout>[0]) {
          payoutAttempts += 1;
          const outcome = await activities.recordRefundPayout(input);
          if (Context.current().info.attempt === 1) throw ApplicationFailure.retryable('connection lost after the payout was recorded');
          return outcome;
        },
      },
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
    await database?.close();
  });

  function start(input: Omit<RefundInput, 'agency' | 'bank' | 'actor'> & { actor?: ActorRef }): Promise<WorkflowHandle> {
    const full: RefundInput = { agency: 'BTP', bank, actor: portal, ...input };
    return env.client.workflow.start('refundWorkflow', { taskQueue, workflowId: refundWorkflowId(full), args: [full] });
  }
  const payoutsOf = (paymentId: string) => database.db.select().from(refundPayouts).where(eq(refundPayouts.paymentId, paymentId));

  it('Art 34.6a: a duplicate payment found by reconciliation is refunded by the bank exactly once, even when the payout activity is retried', async () => {
    const paymentId = uniqueId('pay');
    const handle = await start({ origin: 'reconciliation', paymentId, bankTxnRef: 'T-dup', amount: 150_000, reason: 'duplicate payment (Art 34.6a)', discrepancyId: `discrepancy-${paymentId}` });
    expect((await eventually(() => handle.query(refundQuery), (v) => v.actions.length > 0)).status).toBe('awaitingRefund');
    const before = payoutAttempts;
    const paid = await handle.executeUpdate(payRefundUpdate, { args: [{ payoutRef: 'HT-001', actor: bankActor }] });
    expect(payoutAttempts - before).toBe(2);
    expect(paid.status).toBe('refunded');
    expect(paid.payout?.payoutRef).toBe('HT-001');
    // Workflow state: the case closed once refunded, so a second payout cannot even be asked for.
    const again = await handle.executeUpdate(payRefundUpdate, { args: [{ payoutRef: 'HT-002', actor: bankActor }] }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(WorkflowNotFoundError);
    const rows = await payoutsOf(paymentId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ amount: 150_000, payoutRef: 'HT-001', paidBy: bank, paidByKind: 'bank' });

    // Unique keys: a payer's request for the same debit cannot be paid a second time.
    const request = await start({ origin: 'payerRequest', paymentId, bankTxnRef: 'T-dup', amount: 150_000, reason: 'I paid twice' });
    await request.executeUpdate(decideRefundUpdate, { args: [{ finding: 'bankFault', note: 'double debit on our side', actor: bankActor }] });
    const second = await request.executeUpdate(payRefundUpdate, { args: [{ payoutRef: 'HT-003', actor: bankActor }] });
    expect(second.status).toBe('alreadyRefunded');
    expect(second.refundedBy).toBe(handle.workflowId);
    expect(await payoutsOf(paymentId)).toHaveLength(1);
  });

  it("Art 34.6b: a payer's request found to be the agency's fault is routed to the agency, which refunds; the bank may not", async () => {
    const paymentId = uniqueId('pay');
    const handle = await start({ origin: 'payerRequest', paymentId, bankTxnRef: 'T-1', amount: 20_000, reason: 'fee charged twice by the agency' });
    const otherBank = await handle.executeUpdate(decideRefundUpdate, { args: [{ finding: 'bankFault', note: 'x', actor: { userId: 'u', role: 'bank', bank: 'OTHER' } }] }).catch((e: unknown) => e);
    expect(otherBank).toBeInstanceOf(WorkflowUpdateFailedError);
    const routed = await handle.executeUpdate(decideRefundUpdate, { args: [{ finding: 'agencyFault', note: 'agency issued two payment requests', actor: bankActor }] });
    expect(routed).toMatchObject({ status: 'awaitingRefund', responsibleKind: 'agency', finding: 'agencyFault' });
    const byBank = await handle.executeUpdate(payRefundUpdate, { args: [{ payoutRef: 'x', actor: bankActor }] }).catch((e: unknown) => e);
    expect(byBank).toBeInstanceOf(WorkflowUpdateFailedError);
    const paid = await handle.executeUpdate(payRefundUpdate, { args: [{ payoutRef: 'KBNN-HT-9', actor: agencyActor }] });
    expect(paid.status).toBe('refunded');
    const [payout] = await payoutsOf(paymentId);
    expect(payout).toMatchObject({ paidByKind: 'agency', paidBy: 'BTP', amount: 20_000 });
    const [row] = await eventually(() => database.db.select().from(refunds).where(eq(refunds.id, handle.workflowId)), ([r]) => r?.status === 'refunded');
    expect(row?.responsibleKind).toBe('agency');
  });

  it("Art 34.6b: an unfounded request is rejected by the bank, and nothing is paid", async () => {
    const paymentId = uniqueId('pay');
    const handle = await start({ origin: 'payerRequest', paymentId, bankTxnRef: 'T-2', amount: 20_000, reason: 'not sure' });
    const rejected = await handle.executeUpdate(decideRefundUpdate, { args: [{ finding: 'unfounded', note: 'single debit, settled to KBNN', actor: bankActor }] });
    expect(rejected.status).toBe('rejected');
    expect(await payoutsOf(paymentId)).toHaveLength(0);
  });

  it('Art 34.6b (period: project rule): a bank that has not investigated a request by the end of the next working day is in breach; its late finding is still recorded', async () => {
    const paymentId = uniqueId('pay');
    const handle = await start({ origin: 'payerRequest', paymentId, bankTxnRef: 'T-3', amount: 20_000, reason: 'debited but the dossier shows unpaid' });
    const clocks = await eventually(() => handle.query(slaClocksQuery), (c) => c.some((k) => k.key === 'investigate'));
    const due = Date.parse(clocks.find((c) => c.key === 'investigate')!.dueAt);
    await env.sleep(due - (await env.currentTimeMs()) + 60_000);
    const clockRow = async () => (await database.db.select().from(slaClocks).where(and(eq(slaClocks.workflowId, handle.workflowId), eq(slaClocks.clockKey, 'investigate'))))[0];
    const breached = await eventually(clockRow, (c) => c?.outcome === 'breached');
    expect(breached).toMatchObject({ owner: bank, ownerKind: 'bank' });
    const decided = await handle.executeUpdate(decideRefundUpdate, { args: [{ finding: 'unfounded', note: 'single debit, settled', actor: bankActor }] });
    expect(decided.status).toBe('rejected');
    const late = await clockRow();
    expect(late?.outcome).toBe('breached');
    expect(late?.completedBy).toBe(bank);
  });

  it('the action gate: two payouts sent at the same time pay once', async () => {
    const paymentId = uniqueId('pay');
    const handle = await start({ origin: 'reconciliation', paymentId, bankTxnRef: 'T-4', amount: 9_000, reason: 'duplicate payment (Art 34.6a)', discrepancyId: `discrepancy-${paymentId}` });
    await eventually(() => handle.query(refundQuery), (v) => v.actions.length > 0);
    const outcomes = await Promise.allSettled([
      handle.executeUpdate(payRefundUpdate, { args: [{ payoutRef: 'P-A', actor: bankActor }] }),
      handle.executeUpdate(payRefundUpdate, { args: [{ payoutRef: 'P-B', actor: bankActor }] }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(await payoutsOf(paymentId)).toHaveLength(1);
  });

  it('Art 34.6: a refund from an unfounded difference is closed as unfounded by the bank, with the reason, and nothing is paid', async () => {
    const paymentId = uniqueId('pay');
    const handle = await start({ origin: 'reconciliation', paymentId, bankTxnRef: 'T-5', amount: 5_000, reason: 'over-payment (Art 34.6a)', discrepancyId: `discrepancy-${paymentId}` });
    await eventually(() => handle.query(refundQuery), (v) => v.actions.length > 0);
    const refused = (update: Promise<unknown>) => update.then(() => undefined, (e: unknown) => e);
    // Another bank, the agency, and an empty reason are refused by the validator.
    expect(await refused(handle.executeUpdate(closeUnfoundedRefundUpdate, { args: [{ reason: 'x', actor: { userId: 'o', role: 'bank', bank: 'OTHER' } }] }))).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(await refused(handle.executeUpdate(closeUnfoundedRefundUpdate, { args: [{ reason: 'x', actor: agencyActor }] }))).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(await refused(handle.executeUpdate(closeUnfoundedRefundUpdate, { args: [{ reason: '', actor: bankActor }] }))).toBeInstanceOf(WorkflowUpdateFailedError);
    const closed = await handle.executeUpdate(closeUnfoundedRefundUpdate, { args: [{ reason: 'corrected statement: the amount was 150,000, not 155,000', actor: bankActor }] });
    expect(closed).toMatchObject({ status: 'rejected', finding: 'unfounded' });
    expect(closed.actions.at(-1)).toMatchObject({ action: 'closedUnfounded', note: 'corrected statement: the amount was 150,000, not 155,000', actor: bankActor });
    const [row] = await eventually(() => database.db.select().from(refunds).where(eq(refunds.id, handle.workflowId)), ([r]) => r?.status === 'rejected');
    expect(row?.finding).toBe('unfounded');
    expect(await payoutsOf(paymentId)).toHaveLength(0);
  });

  it('Art 34.6: VPCP may close a reconciliation refund as unfounded; a paid refund or a payer request cannot be closed that way', async () => {
    const vpcp: ActorRef = { userId: 'vpcp-1', role: 'vpcp', agency: 'VPCP' };
    const paymentId = uniqueId('pay');
    const handle = await start({ origin: 'reconciliation', paymentId, bankTxnRef: 'T-6', amount: 7_000, reason: 'duplicate payment (Art 34.6a)', discrepancyId: `discrepancy-${paymentId}` });
    await eventually(() => handle.query(refundQuery), (v) => v.actions.length > 0);
    expect((await handle.executeUpdate(closeUnfoundedRefundUpdate, { args: [{ reason: 'the second debit was a display error', actor: vpcp }] })).status).toBe('rejected');

    const request = await start({ origin: 'payerRequest', paymentId: uniqueId('pay'), bankTxnRef: 'T-7', amount: 7_000, reason: 'I paid twice' });
    await eventually(() => request.query(refundQuery), (v) => v.actions.length > 0);
    const refused = await request.executeUpdate(closeUnfoundedRefundUpdate, { args: [{ reason: 'x', actor: bankActor }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    await request.executeUpdate(decideRefundUpdate, { args: [{ finding: 'unfounded', note: 'test done', actor: bankActor }] });
  });

  it('Art 34.6c: a refund the agency starts is the agency\'s to pay (with the bank or Treasury), without a bank investigation', async () => {
    const paymentId = uniqueId('pay');
    const handle = await start({ origin: 'agencyInitiated', paymentId, bankTxnRef: 'T-8', amount: 30_000, reason: 'fee charged for a dossier that was withdrawn', actor: agencyActor });
    expect(handle.workflowId).toBe(`refund-agency-${paymentId}-T-8`);
    const view = await eventually(() => handle.query(refundQuery), (v) => v.actions.length > 0);
    expect(view).toMatchObject({ status: 'awaitingRefund', responsibleKind: 'agency', origin: 'agencyInitiated' });
    expect((await handle.query(slaClocksQuery)).map((c) => c.key)).toEqual([]);
    const byBank = await handle.executeUpdate(payRefundUpdate, { args: [{ payoutRef: 'X', actor: bankActor }] }).catch((e: unknown) => e);
    expect(byBank).toBeInstanceOf(WorkflowUpdateFailedError);
    const paid = await handle.executeUpdate(payRefundUpdate, { args: [{ payoutRef: 'KBNN-HT-10', actor: agencyActor }] });
    expect(paid.status).toBe('refunded');
    const [payout] = await payoutsOf(paymentId);
    expect(payout).toMatchObject({ paidByKind: 'agency', paidBy: 'BTP', amount: 30_000 });
  });
});
