import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { DatabaseHandle } from '../../db/client.js';
import { listBreaches as listDvcttBreaches, listServices } from '../../db/queries/dvctt.js';
import { listFeedbackItems } from '../../db/queries/feedback.js';
import { listPayments } from '../../db/queries/payment.js';
import { listBreaches, onTimeRates } from '../../db/queries/sla.js';
import { listDecisions } from '../../db/queries/tthc.js';
import { dvcttServices, feedbackItems, payments, tthcDecisions } from '../../db/schema/index.js';
import { insertClock } from '../support/sla-clocks.js';
import { testDatabase, uniqueId } from '../support/env.js';

const all = { limit: 100, offset: 0 };
const day = (n: number) => `2026-11-${String(n).padStart(2, '0')}T16:59:59.999Z`;

/**
 * Supervisor truth: a case is breached only by a counted clock — a regulated period of a party of
 * the Portal. A citizen's wait and a project-rule period (a DVCTT abandonment clock) are shown with
 * the case, never counted: not in breach lists and totals, not in on-time rates, not in a list's flag.
 */
describe('what counts as a breach (PostgreSQL)', () => {
  let database: DatabaseHandle;
  // Every row carries this run's own codes, so other files' rows in the shared database never count.
  const tag = uniqueId('truth').slice(-12).toUpperCase();
  // Owner codes of this run: the agency, VPCP, a second agency and a bank.
  const agency = `T-${tag}`;
  const vpcp = `V-${tag}`;
  const byt = `Y-${tag}`;
  const bank = `B-${tag}`;
  const ids = {
    breached: `feedback-${tag}-breached`, citizen: `feedback-${tag}-citizen`, clean: `feedback-${tag}-clean`, twoOwners: `feedback-${tag}-two`,
    abandoned: `dvctt-${tag}-abandoned`, late: `dvctt-${tag}-late`, unpaid: `payment-${tag}-unpaid`, unsettled: `payment-${tag}-unsettled`, decision: `tthc-decision-${tag}`,
  };

  beforeAll(async () => {
    database = testDatabase();
    const db = database.db;
    const feedback = (workflowId: string, receivedDay: number) => ({
      itemId: workflowId, workflowId, receivingAgency: agency, agency, involvedAgencies: [agency], status: 'processing', category: 'tthc-burden',
      channel: 'portal', senderName: 'Nguyễn Văn A', senderAddress: 'Hà Nội', senderPhone: '0912345678', senderEmail: 'a@example.vn',
      content: 'Thủ tục quá phức tạp', round: 1, receivedAt: new Date(day(receivedDay)), roundStartedAt: new Date(day(receivedDay)), revision: 1,
    });
    await db.insert(feedbackItems).values([feedback(ids.breached, 1), feedback(ids.citizen, 2), feedback(ids.clean, 3), feedback(ids.twoOwners, 4)]);
    const clock = (workflowId: string, process: string, over: Omit<Parameters<typeof insertClock>[1], 'workflowId' | 'process' | 'caseAgency'>) =>
      insertClock(db, { workflowId, process, caseAgency: agency, ...over });
    // Art 42.3: the agency classified late (breached), and answered on time (met).
    await clock(ids.breached, 'feedback', { key: 'classify#1', article: 'Art 42.3', owner: agency, ownerKind: 'agency', outcome: 'breached', dueAt: day(5), breachedAt: day(5) });
    await clock(ids.breached, 'feedback', { key: 'answer#1', article: 'Art 44.1', owner: agency, ownerKind: 'agency', outcome: 'met', dueAt: day(20), completedAt: day(18) });
    // Project rule (Art 42.3b): the citizen never supplemented — the citizen's wait, not a breach.
    await clock(ids.citizen, 'feedback', { key: 'supplement#1', article: 'project rule (Art 42.3b)', owner: 'portal-account-1', ownerKind: 'citizen', outcome: 'breached', dueAt: day(6), breachedAt: day(6) });
    // Transferred and escalated: both another agency and VPCP missed a deadline on the same item.
    await clock(ids.twoOwners, 'feedback', { key: 'classify#1', article: 'Art 42.3', owner: vpcp, ownerKind: 'vpcp', outcome: 'breached', dueAt: day(7), breachedAt: day(7) });
    await clock(ids.twoOwners, 'feedback', { key: 'classify#2', article: 'Art 42.3', owner: byt, ownerKind: 'agency', outcome: 'breached', dueAt: day(8), breachedAt: day(8) });

    await db.insert(dvcttServices).values([
      { code: ids.abandoned, name: 'Dịch vụ bỏ dở', tthcCode: tag, agency: 'BTP', level: 4, declaredBy: 'officer', workflowId: ids.abandoned },
      { code: ids.late, name: 'Dịch vụ VPCP duyệt muộn', tthcCode: tag, agency: 'BTP', level: 4, declaredBy: 'officer', workflowId: ids.late },
    ]);
    // Project rule (abandoned loop): the agency left the loop idle — shown, never counted.
    await clock(ids.abandoned, 'dvctt', { key: 'abandon#1', article: 'project rule (abandoned loop)', owner: agency, ownerKind: 'agency', kind: 'projectRule', outcome: 'breached', dueAt: day(9), breachedAt: day(9) });
    // Art 27.3: VPCP reviewed late; Art 27.4: the agency tested on time.
    await clock(ids.late, 'dvctt', { key: 'review#1', article: 'Art 27.3', owner: vpcp, ownerKind: 'vpcp', outcome: 'breached', dueAt: day(10), breachedAt: day(10), completedAt: day(11) });
    await clock(ids.late, 'dvctt', { key: 'test#1', article: 'Art 27.4', owner: agency, ownerKind: 'agency', outcome: 'met', dueAt: day(17), completedAt: day(16) });
    await clock(ids.late, 'dvctt', { key: 'abandonTesting#1', article: 'project rule (abandoned loop)', owner: agency, ownerKind: 'agency', kind: 'projectRule', outcome: 'met', dueAt: day(25), completedAt: day(16) });

    const payment = (id: string) => ({
      id, agency, requestRef: id, dossierCode: `HS-${id}`, feeTypeCode: 'LEPHI', amount: 50_000, beneficiaryKind: 'treasury' as const,
      beneficiaryInstitution: 'KBNN', beneficiaryAccount: '7111', beneficiaryName: 'Kho bạc', status: 'expired' as const, revision: 1, createdAt: new Date(day(1)),
    });
    await db.insert(payments).values([payment(ids.unpaid), { ...payment(ids.unsettled), status: 'debited', payerBank: bank, settlementBreached: true }]);
    // Project rule: the payer never paid (a citizen's wait); Art 33.4a: the bank settled after T+1.
    await clock(ids.unpaid, 'payment', { key: 'payerPays', article: 'project rule', owner: 'payer', ownerKind: 'citizen', outcome: 'breached', dueAt: day(4), breachedAt: day(4) });
    await clock(ids.unsettled, 'payment', { key: 'settlement', article: 'Art 33.4a', owner: bank, ownerKind: 'bank', outcome: 'breached', dueAt: day(3), breachedAt: day(3) });

    await db.insert(tthcDecisions).values({
      id: ids.decision, workflowId: ids.decision, revision: 1, number: `${tag}/QĐ-BTP`, title: 'Công bố TTHC', agency, authorityKind: 'minister',
      signedOn: '2026-11-02', legalEffectiveOn: '2026-12-15', stage: 'entering', items: [], lateIssue: false,
    });
    // Decree 63/2010 Art 24.1: not published within 10 working days of signing.
    await clock(ids.decision, 'tthc', { key: 'publish', article: 'Decree 63/2010 Art 24.1', owner: agency, ownerKind: 'agency', outcome: 'breached', dueAt: day(16), breachedAt: day(16) });
  });
  afterAll(async () => {
    await database?.close();
  });

  it('the feedback list flags each item by its own clocks only: a breach elsewhere never flags another item, a citizen wait never flags', async () => {
    const { items, total } = await listFeedbackItems(database.db, { agency }, all);
    expect(total).toBe(4);
    expect(Object.fromEntries(items.map((i) => [i.itemId, { slaBreached: i.slaBreached, breachOwners: i.breachOwners }]))).toEqual({
      [ids.breached]: { slaBreached: true, breachOwners: [agency] },
      [ids.citizen]: { slaBreached: false, breachOwners: [] },
      [ids.clean]: { slaBreached: false, breachOwners: [] },
      [ids.twoOwners]: { slaBreached: true, breachOwners: [vpcp, byt].sort() },
    });
  });

  it('Art 27.3 / project rule: the DVCTT list flags a late VPCP review, not an abandoned loop', async () => {
    const { items } = await listServices(database.db, {}, { tthcCode: tag, ...all });
    expect(Object.fromEntries(items.map((s) => [s.code, [s.slaBreached, s.breachOwners]]))).toEqual({
      [ids.abandoned]: [false, []],
      [ids.late]: [true, [vpcp]],
    });
  });

  it('Art 27.3 / project rule: the DVCTT breach report lists the abandonment clock but counts only the regulated breach', async () => {
    const report = await listDvcttBreaches(database.db, {}, { serviceCode: ids.abandoned, ...all });
    expect(report).toMatchObject({ total: 1, byOwner: [], items: [{ clockKey: 'abandon#1', kind: 'projectRule' }] });
    const late = await listDvcttBreaches(database.db, {}, { serviceCode: ids.late, ...all });
    expect(late).toMatchObject({ total: 1, byOwner: [{ owner: vpcp, breaches: 1 }], items: [{ clockKey: 'review#1', kind: 'regulated' }] });
  });

  it('Art 28: the unscoped DVCTT breach report counts per owner (kept counts) exactly what joining every breached clock to its service counts; totals on the first page only', async () => {
    // One owner of this run: the kept counts (sla_outcome_counts) answer for it alone.
    expect(await listDvcttBreaches(database.db, {}, { owner: vpcp, ...all })).toMatchObject({ total: 1, byOwner: [{ owner: vpcp, breaches: 1 }], items: [{ clockKey: 'review#1' }] });
    expect(await listDvcttBreaches(database.db, {}, { owner: agency, ...all })).toMatchObject({ total: 1, byOwner: [], items: [{ clockKey: 'abandon#1', kind: 'projectRule' }] });
    // The whole loop, in one snapshot: the kept counts against the join of every counted breached clock to its service.
    const [kept, joined] = await database.db.transaction(async (tx) => {
      const report = await listDvcttBreaches(tx, {}, all);
      const rows = await tx.execute<{ owner: string; breaches: number }>(sql`
        select c.owner, count(*)::int as breaches from sla_clocks c join dvctt_services s on s.workflow_id = c.workflow_id
        where c.process = 'dvctt' and c.outcome = 'breached' and c.kind = 'regulated' group by c.owner order by c.owner collate "C"`);
      return [report.byOwner, [...rows]];
    }, { isolationLevel: 'repeatable read' });
    expect(kept?.map((r) => r.owner).sort()).toEqual(joined.map((r) => r.owner).sort());
    expect(new Map(kept?.map((r) => [r.owner, r.breaches]))).toEqual(new Map(joined.map((r) => [r.owner, r.breaches])));
    // A page after a cursor carries neither total (the first page has them).
    const after = await listDvcttBreaches(database.db, {}, { owner: vpcp, ...all, after: [day(10), ids.late, 'review#1'] });
    expect(after).toMatchObject({ items: [], total: undefined, byOwner: undefined });
  });

  it('Art 33.4a / project rule: the payments list flags a late settlement against the bank, not a payer who never paid', async () => {
    const rows = await listPayments(database.db, { agency, limit: 10 });
    expect(Object.fromEntries(rows.map((p) => [p.paymentId, [p.slaBreached, p.breachOwners]]))).toEqual({
      [ids.unpaid]: [false, []],
      [ids.unsettled]: [true, [bank]],
    });
  });

  it('Decree 63/2010 Art 24.1: the TTHC decisions list flags a decision published late against its agency', async () => {
    const { items } = await listDecisions(database.db, { agency, ...all });
    expect(items.map((d) => [d.id, d.slaBreached, d.breachOwners])).toEqual([[ids.decision, true, [agency]]]);
  });

  it('SPEC §3: supervision lists and totals only the counted breaches', async () => {
    const feedback = await listBreaches(database.db, {}, { process: 'feedback', agency, ...all });
    expect(feedback.total).toBe(3);
    expect(feedback.items.map((c) => `${c.workflowId}/${c.clockKey}`).sort()).toEqual([
      `${ids.breached}/classify#1`, `${ids.twoOwners}/classify#1`, `${ids.twoOwners}/classify#2`,
    ]);
    expect(feedback.items.every((c) => c.kind === 'regulated')).toBe(true);
    const dvctt = await listBreaches(database.db, {}, { process: 'dvctt', agency, ...all });
    expect(dvctt.items.map((c) => c.clockKey)).toEqual(['review#1']);
    expect((await listBreaches(database.db, {}, { process: 'payment', agency, ...all })).items.map((c) => c.clockKey)).toEqual(['settlement']);
  });

  it('SPEC §3: on-time rates count regulated clocks only — citizen waits and project-rule clocks are not in the rate', async () => {
    const november = { from: new Date('2026-10-31T17:00:00Z'), to: new Date('2026-11-30T16:59:59.999Z') };
    const mine = [agency, vpcp, byt, bank];
    const byProcess = async (process: string) => (await onTimeRates(database.db, {}, { ...november, process })).filter((r) => mine.includes(r.owner));
    const byOwner = <T extends { owner: string }>(rows: T[]) => [...rows].sort((a, b) => (a.owner < b.owner ? -1 : 1));
    expect(byOwner(await byProcess('feedback'))).toEqual(byOwner([
      { owner: agency, ownerKind: 'agency', met: 1, breached: 1, total: 2, onTimeRate: 0.5 },
      { owner: byt, ownerKind: 'agency', met: 0, breached: 1, total: 1, onTimeRate: 0 },
      { owner: vpcp, ownerKind: 'vpcp', met: 0, breached: 1, total: 1, onTimeRate: 0 },
    ]));
    // The abandonment clocks (one breached, one met) leave the agency's rate at its one met test.
    expect(byOwner(await byProcess('dvctt'))).toEqual(byOwner([
      { owner: agency, ownerKind: 'agency', met: 1, breached: 0, total: 1, onTimeRate: 1 },
      { owner: vpcp, ownerKind: 'vpcp', met: 0, breached: 1, total: 1, onTimeRate: 0 },
    ]));
    // The payer's unpaid request is a citizen wait: only the bank's late settlement counts.
    expect(await byProcess('payment')).toEqual([{ owner: bank, ownerKind: 'bank', met: 0, breached: 1, total: 1, onTimeRate: 0 }]);
    // A bank sees only its own rate; an agency only its own.
    expect((await onTimeRates(database.db, { bank }, { ...november, process: 'payment' })).map((r) => r.owner)).toEqual([bank]);
    expect((await onTimeRates(database.db, { agency }, { ...november, process: 'dvctt' })).map((r) => r.owner)).toEqual([agency]);
    // `to` is inclusive: a clock due at the very end of the last day (23:59:59.999 local) counts.
    const lastDay = await onTimeRates(database.db, { agency }, { from: new Date('2026-11-16T17:00:00Z'), to: new Date(day(17)), process: 'dvctt' });
    expect(lastDay).toEqual([{ owner: agency, ownerKind: 'agency', met: 1, breached: 0, total: 1, onTimeRate: 1 }]);
  });
});
