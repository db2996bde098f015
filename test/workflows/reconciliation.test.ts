import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { and, eq, sql } from 'drizzle-orm';
import { createActivities } from '../../activities/index.js';
import { WorkingCalendar } from '../../domain/calendar/index.js';
import { loadCalendarVersion } from '../../db/queries/calendar.js';
import { awaitingUploads, markDay, replaceUpload } from '../../db/queries/reconciliation.js';
import type { DatabaseHandle } from '../../db/client.js';
import { discrepancies, reconciliationDays, reconciliationResults, refunds, slaClocks } from '../../db/schema/index.js';
import type { ActorRef } from '../../workflows/actors.js';
import { discrepancyQuery, discrepancyWorkflowId } from '../../workflows/discrepancy.definitions.js';
import { closeUnfoundedRefundUpdate } from '../../workflows/refund.definitions.js';
import { reconciliationWorkflowId, type ReconciliationResult } from '../../workflows/reconciliation.definitions.js';
import { vietnamDate } from '../../workflows/payment.definitions.js';
import { eventually, testLogger, timeSkippingHarness, type TimeSkippingHarness, uniqueId } from '../support/env.js';

const N = 5_000;

/**
 * Plants every kind of difference among N generated payments of one day for AGENCY × BANK:
 *   P1 missing in the bank statement, P2 missing in the agency records, P3 bank over-paid (+5,000),
 *   P4 agency amount differs, P5 bank says failed, P6 debited twice (second bank line),
 *   X1 known to bank and agency but not to the Portal. Everything else matches.
 */
async function plant(database: DatabaseHandle, day: string, agency: string, bank: string) {
  const id = (n: string) => `${day}-${bank}-${n}`;
  await database.sql`
    insert into payments (id, agency, request_ref, dossier_code, fee_type_code, amount, beneficiary_kind, beneficiary_institution,
      beneficiary_account, beneficiary_name, payer_bank, bank_txn_ref, status, txn_date, revision, created_at)
    select ${day} || '-' || ${bank} || '-' || g, ${agency}, ${day} || '-' || ${bank} || '-' || g, 'D' || g, 'LEPHI', 10000 + g, 'treasury', 'KBNN', '7111', 'KBNN',
      ${bank}, 'T' || g, 'settled', ${day}::date, 1, now()
    from generate_series(1, ${N}) g`;
  await database.sql`
    insert into reconciliation_lines (source, agency, bank, txn_date, payment_id, bank_txn_ref, amount, status, fee_type_code)
    select s.source::reconciliation_source, ${agency}, ${bank}, ${day}::date, ${day} || '-' || ${bank} || '-' || g, 'T' || g, 10000 + g, 'success', 'LEPHI'
    from generate_series(1, ${N}) g cross join (values ('bank'), ('agency')) s(source)`;
  // Both parties uploaded (Art 34.2): the lines above stand for their uploads.
  await database.sql`
    insert into reconciliation_uploads (source, agency, bank, txn_date, line_count, format, uploaded_by)
    values ('bank', ${agency}, ${bank}, ${day}::date, ${N}, 'csv', 'bank-api'), ('agency', ${agency}, ${bank}, ${day}::date, ${N}, 'json', 'ke-toan')`;
  const exec = (q: string) => database.sql.unsafe(q);
  const where = (n: number, source: string) => `source = '${source}' and txn_date = '${day}' and payment_id = '${id(String(n))}'`;
  await exec(`delete from reconciliation_lines where ${where(1, 'bank')}`);
  await exec(`delete from reconciliation_lines where ${where(2, 'agency')}`);
  await exec(`update reconciliation_lines set amount = amount + 5000 where ${where(3, 'bank')}`);
  await exec(`update reconciliation_lines set amount = amount + 1 where ${where(4, 'agency')}`);
  await exec(`update reconciliation_lines set status = 'failed' where ${where(5, 'bank')}`);
  await exec(`insert into reconciliation_lines (source, agency, bank, txn_date, payment_id, bank_txn_ref, amount, status)
              values ('bank', '${agency}', '${bank}', '${day}', '${id('6')}', 'T6-second', 10006, 'success'),
                     ('bank', '${agency}', '${bank}', '${day}', '${id('X1')}', 'TX1', 77000, 'success'),
                     ('agency', '${agency}', '${bank}', '${day}', '${id('X1')}', 'TX1', 77000, 'success')`);
  return id;
}

describe('daily reconciliation and discrepancies (time-skipping, real activities and PostgreSQL)', () => {
  let env: TestWorkflowEnvironment;
  let database: DatabaseHandle;
  let harness: TimeSkippingHarness;
  let calendar: WorkingCalendar;
  let taskQueue: string;
  const bank = `B${uniqueId('').slice(1, 9)}`;
  const agency = 'BTC';

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

  /**
   * A closed workflow's result, read through a plain client: the time-skipping client's result()
   * lets the server skip ahead, which would breach every open discrepancy clock on the way.
   */
  async function finished<T>(handle: WorkflowHandle): Promise<T> {
    await eventually(() => handle.describe(), (d) => d.status.name !== 'RUNNING', 60_000);
    return (await new Client({ connection: env.connection, namespace: env.namespace }).workflow.getHandle(handle.workflowId).result()) as T;
  }

  it('Art 34.4 a–c: the three-way comparison finds every planted difference among generated transactions, set-based', async () => {
    const day = '2031-03-04';
    const id = await plant(database, day, agency, bank);
    const handle = await env.client.workflow.start('reconciliationWorkflow', { taskQueue, workflowId: reconciliationWorkflowId(day), args: [{ txnDate: day }] });
    const result = await finished<ReconciliationResult>(handle);
    expect(result.transactions).toBe(N + 2);
    expect(result.discrepancies).toBe(7);
    expect(result.casesStarted).toBe(7);

    const rows = await database.db
      .select({ paymentId: reconciliationResults.paymentId, seq: reconciliationResults.seq, outcome: reconciliationResults.outcome, ownerKind: reconciliationResults.ownerKind })
      .from(reconciliationResults)
      .where(and(eq(reconciliationResults.txnDate, day), sql`${reconciliationResults.outcome} <> 'matched'`));
    const found = Object.fromEntries(rows.map((r) => [`${r.paymentId}#${r.seq}`, `${r.outcome}/${r.ownerKind}`]));
    expect(found).toEqual({
      [`${id('1')}#1`]: 'missingAtBank/bank',
      [`${id('2')}#1`]: 'missingAtAgency/agency',
      [`${id('3')}#1`]: 'amountMismatch/bank',
      [`${id('4')}#1`]: 'amountMismatch/agency',
      [`${id('5')}#1`]: 'statusMismatch/bank',
      [`${id('6')}#2`]: 'duplicate/bank',
      [`${id('X1')}#1`]: 'missingAtPortal/bank',
    });
    const [dayRow] = await database.db.select().from(reconciliationDays).where(eq(reconciliationDays.txnDate, day));
    expect(dayRow?.status).toBe('reconciled');

    // Art 34.5: each difference is a case with an owner code and a clock to the end of the next working day.
    const cases = await eventually(() => database.db.select().from(discrepancies).where(eq(discrepancies.txnDate, day)), (r) => r.length === 7 && r.every((d) => d.dueAt));
    for (const d of cases) {
      expect(d.owner).toBe(d.ownerKind === 'bank' ? bank : agency);
      expect(vietnamDate(d.dueAt!.toISOString())).toBe(calendar.nextWorkingDay(vietnamDate(d.detectedAt.toISOString())));
    }
    // Art 34.6a: the duplicate and the over-payment start the bank's refunds, for the right debit and amount.
    const started = await eventually(() => database.db.select().from(refunds).where(eq(refunds.bank, bank)), (r) => r.length === 2);
    expect(started.map((r) => [r.paymentId, r.bankTxnRef, r.amount, r.responsibleKind, r.status]).sort()).toEqual([
      [id('3'), 'T3', 5000, 'bank', 'awaitingRefund'],
      [id('6'), 'T6-second', 10006, 'bank', 'awaitingRefund'],
    ]);

    // A re-run of the day (a corrected statement) replaces the results and finds the same open cases.
    await database.sql`update reconciliation_lines set amount = amount - 5000 where source = 'bank' and payment_id = ${id('3')}`;
    const rerun = await env.client.workflow.start('reconciliationWorkflow', { taskQueue, workflowId: `${reconciliationWorkflowId(day)}-rerun`, args: [{ txnDate: day }] });
    const again = await finished<ReconciliationResult>(rerun);
    expect(again.discrepancies).toBe(6);
    expect(again.casesStarted).toBe(0);
  });

  it('Art 34.2: the daily run reconciles every unreconciled day of its window on a working day (a manual run of a later day hides none), and nothing on a rest day', async () => {
    const activities = createActivities({ db: database.db, logger: testLogger() });
    // A year no other test uses: the window's days are this test's own.
    const days = calendar.listDays('2036-01-01', '2036-03-31');
    const monday = days.find((d, i) => d.weekday === 1 && d.working && days[i - 3]?.weekday === 5 && days[i - 3]?.working && i >= 10)!.date;
    const saturday = days.find((d) => d.weekday === 6 && !d.working)!.date;
    const window = [-7, -6, -5, -4, -3, -2, -1].map((n) => addDays(monday, n));
    // The day before the window's last: reconciled by a manual run; the earlier days were never reconciled.
    await markDay(database.db, { txnDate: window[5]!, workflowId: 'manual', status: 'reconciled' });
    await markDay(database.db, { txnDate: window[1]!, workflowId: 'test', status: 'reconciled' });
    // A day older than the window with payments, never reconciled: reported, not silently dropped.
    const older = addDays(monday, -20);
    await database.sql`
      insert into payments (id, agency, request_ref, dossier_code, fee_type_code, amount, beneficiary_kind, beneficiary_institution,
        beneficiary_account, beneficiary_name, payer_bank, bank_txn_ref, status, txn_date, revision, created_at)
      values (${`old-${bank}`}, ${agency}, ${`old-${bank}`}, 'D', 'LEPHI', 1000, 'treasury', 'KBNN', '7111', 'KBNN', ${bank}, 'T-old', 'settled', ${older}::date, 1, now())`;
    const onMonday = await activities.reconciliationDaysDue({ now: `${monday}T06:00:00+07:00`, maxDays: 7 });
    expect(onMonday.workingDay).toBe(true);
    expect(onMonday.days).toEqual([window[0], window[2], window[3], window[4], window[6]]);
    expect(onMonday.olderUnreconciled).toContain(older);
    const onSaturday = await activities.reconciliationDaysDue({ now: `${saturday}T06:00:00+07:00` });
    expect(onSaturday).toEqual({ today: saturday, workingDay: false, days: [], again: [], olderUnreconciled: [] });
  });

  it('Art 34.5: a re-run after a corrected statement closes the cases whose difference disappeared and updates those whose difference changed, with the reason; Art 34.6: the bank closes the refund the disproved difference started as unfounded', async () => {
    const day = '2031-03-05';
    const pairBank = `C${uniqueId('').slice(1, 9)}`;
    const bankActor: ActorRef = { userId: 'recon', role: 'bank', bank: pairBank };
    const id = await plant(database, day, agency, pairBank);
    const first = await finished<ReconciliationResult>(await env.client.workflow.start('reconciliationWorkflow', { taskQueue, workflowId: reconciliationWorkflowId(day), args: [{ txnDate: day }] }));
    expect(first.casesStarted).toBe(7);
    const caseOf = (n: string) => discrepancyWorkflowId({ txnDate: day, agency, bank: pairBank, paymentId: id(n), seq: 1 });
    const row = async (n: string) => (await database.db.select().from(discrepancies).where(eq(discrepancies.id, caseOf(n))))[0];
    await eventually(() => database.db.select().from(discrepancies).where(eq(discrepancies.txnDate, day)), (r) => r.filter((d) => d.owner === pairBank || d.bank === pairBank).length === 7 && r.every((d) => d.dueAt));
    const [refund] = await eventually(() => database.db.select().from(refunds).where(and(eq(refunds.bank, pairBank), eq(refunds.paymentId, id('3')))), (r) => r.length === 1);

    // Corrected statement: P3 was not over-paid after all (gone); the agency's P4 amount is off by 2, not 1 (changed);
    // P5: the bank now reports success and the agency failed, so the agency is the odd one out (new owner).
    await database.sql`update reconciliation_lines set amount = amount - 5000 where source = 'bank' and bank = ${pairBank} and payment_id = ${id('3')}`;
    await database.sql`update reconciliation_lines set amount = amount + 1 where source = 'agency' and bank = ${pairBank} and payment_id = ${id('4')}`;
    await database.sql`update reconciliation_lines set status = case when source = 'bank' then 'success' else 'failed' end::reconciliation_line_status where bank = ${pairBank} and payment_id = ${id('5')}`;
    const rerun = await finished<ReconciliationResult>(await env.client.workflow.start('reconciliationWorkflow', { taskQueue, workflowId: `${reconciliationWorkflowId(day)}-corrected`, args: [{ txnDate: day }] }));
    expect(rerun.discrepancies).toBe(6);
    expect(rerun.casesStarted).toBe(0);
    expect(rerun.casesRevisited).toBe(3);

    const gone = await eventually(() => row('3'), (d) => d?.status === 'resolved');
    expect(gone?.resolution).toContain('disappeared');
    const goneView = await env.client.workflow.getHandle(caseOf('3')).query(discrepancyQuery);
    expect(goneView.actions.map((a) => a.action)).toEqual(['detected', 'refundStarted', 'differenceGone']);
    const [goneClock] = await database.db.select().from(slaClocks).where(and(eq(slaClocks.workflowId, caseOf('3')), eq(slaClocks.clockKey, 'resolve')));
    expect(goneClock).toMatchObject({ outcome: 'met', completedBy: 'system:reconciliation' });

    const changed = await eventually(() => row('4'), (d) => d?.agencyAmount === 10_004 + 2);
    expect(changed).toMatchObject({ status: 'open', kind: 'amountMismatch', ownerKind: 'agency' });
    const handed = await eventually(() => row('5'), (d) => d?.ownerKind === 'agency');
    expect(handed).toMatchObject({ status: 'open', kind: 'statusMismatch', owner: agency });
    const view = await env.client.workflow.getHandle(caseOf('5')).query(discrepancyQuery);
    expect(view.actions.map((a) => a.action)).toEqual(['detected', 'differenceChanged']);
    expect(view.actions[1]?.note).toContain(`statusMismatch (bank ${pairBank}) → statusMismatch (agency ${agency})`);
    const [handedClock] = await eventually(() => database.db.select().from(slaClocks).where(and(eq(slaClocks.workflowId, caseOf('5')), eq(slaClocks.clockKey, 'resolve'))), ([c]) => c?.owner === agency);
    expect(handedClock).toMatchObject({ ownerKind: 'agency', outcome: 'pending' });
    // The untouched differences stay as they were.
    expect((await row('1'))?.status).toBe('open');

    // Art 34.6: the over-payment refund is now unfounded; the bank closes it, unpaid, with the reason.
    const closed = await env.client.workflow.getHandle(refund!.id).executeUpdate(closeUnfoundedRefundUpdate, { args: [{ reason: 'corrected statement of 2031-03-05: no over-payment', actor: bankActor }] });
    expect(closed).toMatchObject({ status: 'rejected', finding: 'unfounded' });
  });

  it('Art 34.2: a pair whose bank has not uploaded its statement is awaiting upload, not a difference per payment; the late statement makes the day due again', async () => {
    const day = '2031-03-06';
    const lateBank = `L${uniqueId('').slice(1, 9)}`;
    const ids = Array.from({ length: 20 }, (_, i) => `${day}-${lateBank}-${i + 1}`);
    await database.sql`
      insert into payments (id, agency, request_ref, dossier_code, fee_type_code, amount, beneficiary_kind, beneficiary_institution,
        beneficiary_account, beneficiary_name, payer_bank, bank_txn_ref, status, txn_date, revision, created_at)
      select ${day} || '-' || ${lateBank} || '-' || g, ${agency}, ${day} || '-' || ${lateBank} || '-' || g, 'D' || g, 'LEPHI', 10000 + g, 'treasury', 'KBNN', '7111', 'KBNN',
        ${lateBank}, 'T' || g, 'settled', ${day}::date, 1, now()
      from generate_series(1, 20) g`;
    const lines = ids.map((paymentId, i) => ({ paymentId, bankTxnRef: `T${i + 1}`, amount: 10_001 + i, status: 'success' as const }));
    await replaceUpload(database.db, { source: 'agency', agency, bank: lateBank, txnDate: day }, lines, { format: 'json', uploadedBy: 'ke-toan' });

    const first = await finished<ReconciliationResult>(await env.client.workflow.start('reconciliationWorkflow', { taskQueue, workflowId: reconciliationWorkflowId(day), args: [{ txnDate: day }] }));
    expect(first).toMatchObject({ discrepancies: 0, casesStarted: 0, awaitingUpload: 20 });
    expect(await awaitingUploads(database.db, { from: day, to: day, bank: lateBank })).toEqual([{ txnDate: day, agency, bank: lateBank, payments: 20, awaiting: ['bank'] }]);
    expect(await database.db.select().from(discrepancies).where(eq(discrepancies.bank, lateBank))).toEqual([]);

    // The statement arrives (one debit missing from it): the next working day's run reconciles the day again.
    await replaceUpload(database.db, { source: 'bank', agency, bank: lateBank, txnDate: day }, lines.slice(1), { format: 'csv', uploadedBy: 'bank-api' });
    const activities = createActivities({ db: database.db, logger: testLogger() });
    const due = await activities.reconciliationDaysDue({ now: `${calendar.nextWorkingDay(day)}T06:00:00+07:00`, maxDays: 1 });
    expect(due.again).toEqual([day]);
    const second = await finished<ReconciliationResult>(await env.client.workflow.start('reconciliationWorkflow', { taskQueue, workflowId: `${reconciliationWorkflowId(day)}-late`, args: [{ txnDate: day }] }));
    expect(second).toMatchObject({ discrepancies: 1, casesStarted: 1, awaitingUpload: 0 });
    expect(await awaitingUploads(database.db, { from: day, to: day, bank: lateBank })).toEqual([]);
    const [missing] = await eventually(() => database.db.select().from(discrepancies).where(eq(discrepancies.bank, lateBank)), (r) => r.length === 1);
    expect(missing).toMatchObject({ paymentId: ids[0], kind: 'missingAtBank', owner: lateBank });
  });
});

function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}
