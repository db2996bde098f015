import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { WorkingCalendar } from '../../domain/calendar/index.js';
import { loadCalendarVersion } from '../../db/queries/calendar.js';
import type { DatabaseHandle } from '../../db/client.js';
import { discrepancies, refunds, slaClocks } from '../../db/schema/index.js';
import type { ActorRef } from '../../workflows/actors.js';
import {
  discrepancyQuery,
  discrepancyWorkflowId,
  recordDiscrepancyCauseUpdate,
  resolveDiscrepancyUpdate,
  type DiscrepancyCase,
  type DiscrepancyView,
} from '../../workflows/discrepancy.definitions.js';
import { vietnamDate } from '../../workflows/payment.definitions.js';
import { eventually, timeSkippingHarness, type TimeSkippingHarness, uniqueId } from '../support/env.js';

describe('discrepancy cases (Art 34.5, time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let database: DatabaseHandle;
  let harness: TimeSkippingHarness;
  let calendar: WorkingCalendar;
  let taskQueue: string;
  const bank = `D${uniqueId('').slice(1, 9)}`;
  const agency = 'BTC';
  const bankActor: ActorRef = { userId: 'recon-1', role: 'bank', bank };
  const agencyActor: ActorRef = { userId: 'ke-toan', role: 'agency', agency };

  beforeAll(async () => {
    harness = await timeSkippingHarness();
    ({ env, database } = harness);
    calendar = new WorkingCalendar((await loadCalendarVersion(database.db))!);
    // One worker for the whole file: cases left open (discrepancies, refunds) keep being served.
    taskQueue = await harness.serve();
  });
  afterAll(async () => {
    await harness?.teardown();
  });

  function start(kind: DiscrepancyCase['kind'], ownerKind: DiscrepancyCase['ownerKind']): Promise<WorkflowHandle> {
    const base = { txnDate: '2031-04-01', agency, bank, paymentId: uniqueId('pay'), seq: 1 };
    const input: DiscrepancyCase = { ...base, id: discrepancyWorkflowId(base), kind, ownerKind, owner: ownerKind === 'bank' ? bank : agency, portalAmount: 10_000, bankTxnRef: 'T1' };
    return env.client.workflow.start('discrepancyWorkflow', { taskQueue, workflowId: input.id, args: [input] });
  }

  it('Art 34.5: the owner settles a difference by the end of the next working day (met); a party records the cause; others are refused', async () => {
    const handle = await start('missingAtAgency', 'agency');
    const open = await eventually(() => handle.query(discrepancyQuery), (v) => v.dueAt !== undefined);
    expect(vietnamDate(open.dueAt!)).toBe(calendar.nextWorkingDay(vietnamDate(open.detectedAt)));
    await handle.executeUpdate(recordDiscrepancyCauseUpdate, { args: [{ cause: 'Agency ledger import skipped a file', actor: bankActor }] });
    const notOwner = await handle.executeUpdate(resolveDiscrepancyUpdate, { args: [{ resolution: 'x', actor: bankActor }] }).catch((e: unknown) => e);
    expect(notOwner).toBeInstanceOf(WorkflowUpdateFailedError);
    const outsider = await handle.executeUpdate(recordDiscrepancyCauseUpdate, { args: [{ cause: 'x', actor: { userId: 'o', role: 'agency', agency: 'BYT' } }] }).catch((e: unknown) => e);
    expect(outsider).toBeInstanceOf(WorkflowUpdateFailedError);
    const resolved = await handle.executeUpdate(resolveDiscrepancyUpdate, { args: [{ resolution: 'Ledger re-imported', actor: agencyActor }] });
    expect(resolved.status).toBe('resolved');
    expect(resolved.breached).toBe(false);
    const [clock] = await database.db.select().from(slaClocks).where(and(eq(slaClocks.workflowId, handle.workflowId), eq(slaClocks.clockKey, 'resolve')));
    expect(clock?.outcome).toBe('met');
    expect(clock?.owner).toBe(agency);
    const [row] = await database.db.select().from(discrepancies).where(eq(discrepancies.id, handle.workflowId));
    expect(row?.cause).toBe('Agency ledger import skipped a file');
    expect(row?.status).toBe('resolved');
  });

  it('Art 34.5: a difference not settled by the end of the next working day is a breach of its owner, and the late settlement is recorded', async () => {
    const handle = await start('missingAtBank', 'bank');
    const open = await eventually(() => handle.query(discrepancyQuery), (v) => v.dueAt !== undefined);
    await env.sleep(Date.parse(open.dueAt!) - (await env.currentTimeMs()) + 60_000);
    const [late] = await eventually(() => database.db.select().from(discrepancies).where(eq(discrepancies.id, handle.workflowId)), ([d]) => d?.breached === true);
    expect(late?.status).toBe('open');
    const [clock] = await database.db.select().from(slaClocks).where(and(eq(slaClocks.workflowId, handle.workflowId), eq(slaClocks.clockKey, 'resolve')));
    expect(clock?.outcome).toBe('breached');
    expect(clock?.owner).toBe(bank);
    expect(clock?.ownerKind).toBe('bank');
    expect(clock?.article).toBe('Art 34.5');
    const resolved = await handle.executeUpdate(resolveDiscrepancyUpdate, { args: [{ resolution: 'Statement re-sent', actor: bankActor }] });
    expect(resolved.breached).toBe(true);
    await eventually(() => handle.describe(), (d) => d.status.name !== 'RUNNING');
    const final = (await new Client({ connection: env.connection, namespace: env.namespace }).workflow.getHandle(handle.workflowId).result()) as DiscrepancyView;
    expect(final.actions.map((a) => a.action)).toEqual(['detected', 'resolved']);
  });

  // Last in this file: the refund it starts is a child that stays open and would stall time skipping.
  it('project rule (Art 34.6a): a debit the Portal records as unpaid (e.g. after expiry) found by reconciliation is refunded by the bank in full', async () => {
    const base = { txnDate: '2031-04-02', agency, bank, paymentId: uniqueId('pay'), seq: 1 };
    const input: DiscrepancyCase = {
      ...base, id: discrepancyWorkflowId(base), kind: 'statusMismatch', ownerKind: 'bank', owner: bank,
      portalAmount: 30_000, bankAmount: 30_000, portalStatus: 'failed', bankStatus: 'success', bankTxnRef: 'T-late',
    };
    const handle = await env.client.workflow.start('discrepancyWorkflow', { taskQueue, workflowId: input.id, args: [input] });
    const open = await eventually(() => handle.query(discrepancyQuery), (v) => v.refundId !== undefined);
    const [refund] = await eventually(() => database.db.select().from(refunds).where(eq(refunds.id, open.refundId!)), (r) => r.length === 1);
    expect(refund).toMatchObject({ paymentId: base.paymentId, bankTxnRef: 'T-late', amount: 30_000, responsibleKind: 'bank', status: 'awaitingRefund' });
  });
});
