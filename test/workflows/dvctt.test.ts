import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { asc, eq } from 'drizzle-orm';
import { declareService, findService, listBreaches } from '../../db/queries/dvctt.js';
import { dvcttActions, dvcttRounds, notifications, slaClocks } from '../../db/schema/index.js';
import type { ActorRef } from '../../workflows/actors.js';
import {
  closeDvcttLoopUpdate,
  confirmDvcttTestUpdate,
  dvcttStateQuery,
  dvcttWorkflowId,
  proposeDvcttUpdate,
  reportDvcttFixUpdate,
  resumeDvcttServiceUpdate,
  reviewDvcttProposalUpdate,
  stopDvcttServiceUpdate,
  submitDvcttTestReportUpdate,
  suspendDvcttServiceUpdate,
  withdrawDvcttUpdate,
  tthcRepealedSignal,
  type DvcttService,
  type DvcttView,
  type DvcttWorkflowInput,
} from '../../workflows/dvctt.definitions.js';
import { timeSkippingHarness, uniqueId, type TimeSkippingHarness, terminateWhenIdle } from '../support/env.js';

const officer = (agency: string): ActorRef => ({ userId: `officer-${agency}`, role: 'agency', agency });
const btp = officer('BTP');
const vpcp: ActorRef = { userId: 'vpcp-reviewer', role: 'vpcp', agency: 'VPCP' };
const report = { tthcName: 'Cấp phiếu lý lịch tư pháp', serviceName: 'Cấp phiếu lý lịch tư pháp trực tuyến', dossierCodes: ['000.00.00.H01-250101-0001'] };

/** The refusal a validator raised: its type and message (the update never entered history). */
async function refusal(update: Promise<unknown>): Promise<{ type?: string; message: string }> {
  const err = await update.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return { type: (cause as ApplicationFailure).type ?? undefined, message: (cause as ApplicationFailure).message };
}

const clock = (view: DvcttView, key: string) => view.rounds.flatMap((r) => r.clocks).find((c) => c.key === key);

describe('DVCTT test-integration loop "2 + 5 + 2" (time-skipping)', () => {
  let harness: TimeSkippingHarness;
  let env: TimeSkippingHarness['env'];
  let database: TimeSkippingHarness['database'];
  beforeAll(async () => {
    harness = await timeSkippingHarness({ workflowsPath: new URL('../../workflows/dvctt.workflow.ts', import.meta.url) });
    ({ env, database } = harness);
  });
  afterAll(async () => {
    await harness?.teardown();
  });

  async function declared(): Promise<DvcttService> {
    const service: DvcttService = { code: uniqueId('DVC'), name: 'Cấp phiếu lý lịch tư pháp', tthcCode: '1.001234', agency: 'BTP', level: 4 };
    await declareService(database.db, { ...service, declaredBy: btp.userId });
    return service;
  }

  /** Runs a worker while `fn` drives one service's workflow. */
  async function withService<T>(fn: (handle: WorkflowHandle, service: DvcttService) => Promise<T>, options: Partial<DvcttWorkflowInput> = {}): Promise<T> {
    const service = await declared();
    return harness.run(async (taskQueue) => {
      const handle = await env.client.workflow.start('dvcttWorkflow', { taskQueue, workflowId: dvcttWorkflowId(service.code), args: [{ service, ...options }] });
      try {
        return await fn(handle, service);
      } finally {
        // The workflow lives as long as the service: end it, so its timers do not hold the shared test server's clock.
        await terminateWhenIdle(handle);
      }
    });
  }

  const propose = (h: WorkflowHandle, actor = btp) => h.executeUpdate(proposeDvcttUpdate, { args: [{ actor }] });
  const approve = (h: WorkflowHandle) => h.executeUpdate(reviewDvcttProposalUpdate, { args: [{ actor: vpcp, decision: 'approve' }] });
  const sendReport = (h: WorkflowHandle) => h.executeUpdate(submitDvcttTestReportUpdate, { args: [{ actor: btp, ...report }] });
  const pass = (h: WorkflowHandle) => h.executeUpdate(confirmDvcttTestUpdate, { args: [{ actor: vpcp, result: 'pass' }] });
  const fail = (h: WorkflowHandle, reasons: string) => h.executeUpdate(confirmDvcttTestUpdate, { args: [{ actor: vpcp, result: 'fail', reasons }] });

  async function goLive(h: WorkflowHandle): Promise<DvcttView> {
    await propose(h);
    await env.sleep('2 hours');
    await approve(h);
    await env.sleep('1 day');
    await sendReport(h);
    await env.sleep('2 hours');
    await pass(h);
    return h.query(dvcttStateQuery);
  }

  it('Art 27.2–27.5: a service that passes on round 1 goes live, every clock met, projected to the register', async () => {
    const { view, service } = await withService(async (h, service) => ({ view: await goLive(h), service }));
    expect(view.status).toBe('live');
    expect(view.acceptsNewDossiers).toBe(true);
    expect(view.currentRound).toBe(1);
    expect(view.rounds).toHaveLength(1);
    expect(view.rounds[0]?.outcome).toBe('passed');
    expect(view.rounds[0]?.testReport?.dossierCodes).toEqual(report.dossierCodes);
    expect(clock(view, 'review#1')).toMatchObject({ owner: 'VPCP', article: 'Art 27.3', amount: 2, outcome: 'met' });
    expect(clock(view, 'test#1')).toMatchObject({ owner: 'BTP', article: 'Art 27.4', amount: 5, outcome: 'met' });
    expect(clock(view, 'confirm#1')).toMatchObject({ owner: 'VPCP', article: 'Art 27.5', amount: 2, outcome: 'met' });
    expect(view.actions.map((a) => a.action)).toEqual(['propose', 'review', 'submitTestReport', 'confirmTest']);
    expect(view.allowedActions.map((a) => a.action).sort()).toEqual(['stop', 'suspend']);

    const row = await findService(database.db, service.code);
    expect(row).toMatchObject({ status: 'live', currentRound: 1, workflowId: dvcttWorkflowId(service.code) });
    const actions = await database.db.select().from(dvcttActions).where(eq(dvcttActions.serviceCode, service.code)).orderBy(asc(dvcttActions.seq));
    expect(actions.map((a) => [a.seq, a.action, a.actor.userId])).toEqual([[1, 'propose', 'officer-BTP'], [2, 'review', 'vpcp-reviewer'], [3, 'submitTestReport', 'officer-BTP'], [4, 'confirmTest', 'vpcp-reviewer']]);
    const [round] = await database.db.select().from(dvcttRounds).where(eq(dvcttRounds.serviceCode, service.code));
    expect(round).toMatchObject({ round: 1, outcome: 'passed' });
    const clocks = await database.db.select().from(slaClocks).where(eq(slaClocks.workflowId, dvcttWorkflowId(service.code)));
    expect(clocks.filter((c) => c.outcome === 'breached')).toEqual([]);
    const sent = await database.db.select().from(notifications).where(eq(notifications.workflowId, dvcttWorkflowId(service.code)));
    expect(sent.map((n) => n.template).sort()).toEqual(['dvctt.live', 'dvctt.published']);
  });

  it('Art 27.3: a proposal VPCP rejects (with reasons) goes back to the agency; it passes on round 2', async () => {
    const view = await withService(async (h) => {
      await propose(h);
      const noReason = await refusal(h.executeUpdate(reviewDvcttProposalUpdate, { args: [{ actor: vpcp, decision: 'reject' }] }));
      expect(noReason.type).toBe('Validation');
      const rejected = await h.executeUpdate(reviewDvcttProposalUpdate, { args: [{ actor: vpcp, decision: 'reject', reasons: 'Thiếu biểu mẫu điện tử / e-form missing' }] });
      expect(rejected.status).toBe('returned');
      expect(rejected.allowedActions).toEqual(expect.arrayContaining([{ action: 'propose', by: 'BTP' }, { action: 'withdraw', by: 'BTP' }]));
      expect((await refusal(sendReport(h))).type).toBe('InvalidTransition');
      return goLive(h);
    });
    expect(view.rounds.map((r) => [r.round, r.outcome])).toEqual([[1, 'rejected'], [2, 'passed']]);
    expect(view.rounds[0]?.review).toMatchObject({ decision: 'reject', reasons: 'Thiếu biểu mẫu điện tử / e-form missing' });
    // The refused updates left no trace: 1 propose + 1 reject + 4 for round 2.
    expect(view.actions).toHaveLength(6);
    expect(clock(view, 'abandon#1')).toMatchObject({ owner: 'BTP', outcome: 'met' });
  });

  it('Art 27.5: a failed test unpublishes the service and sends it back; it passes on round 3, every round kept', async () => {
    const { view, service } = await withService(async (h, service) => {
      for (const why of ['Hồ sơ kiểm thử lỗi thanh toán / payment step failed', 'Chưa trả kết quả điện tử / no e-result']) {
        await propose(h);
        await approve(h);
        await sendReport(h);
        const failed = await fail(h, why);
        expect(failed.status).toBe('unpublished');
        expect(failed.acceptsNewDossiers).toBe(false);
      }
      return { view: await goLive(h), service };
    });
    expect(view.rounds.map((r) => [r.round, r.outcome, r.confirmation?.result])).toEqual([[1, 'failed', 'fail'], [2, 'failed', 'fail'], [3, 'passed', 'pass']]);
    expect(view.rounds.every((r) => r.clocks.some((c) => c.key === `confirm#${r.round}`))).toBe(true);
    const rows = await database.db.select().from(dvcttRounds).where(eq(dvcttRounds.serviceCode, service.code)).orderBy(asc(dvcttRounds.round));
    expect(rows.map((r) => [r.round, r.outcome, r.confirmation?.reasons ?? null])).toEqual([
      [1, 'failed', 'Hồ sơ kiểm thử lỗi thanh toán / payment step failed'],
      [2, 'failed', 'Chưa trả kết quả điện tử / no e-result'],
      [3, 'passed', null],
    ]);
  });

  it('Art 27.3, 27.4, 27.5: each missed clock is breached against its owner at its due instant, and the late step is still recorded', async () => {
    const { view, service } = await withService(async (h, service) => {
      await propose(h);
      await env.sleep('10 days');
      expect(clock(await h.query(dvcttStateQuery), 'review#1')?.outcome).toBe('breached');
      await approve(h);
      await env.sleep('15 days');
      expect(clock(await h.query(dvcttStateQuery), 'test#1')?.outcome).toBe('breached');
      await sendReport(h);
      await env.sleep('10 days');
      await pass(h);
      return { view: await h.query(dvcttStateQuery), service };
    });
    for (const [key, owner] of [['review#1', 'VPCP'], ['test#1', 'BTP'], ['confirm#1', 'VPCP']] as const) {
      const c = clock(view, key);
      expect(c).toMatchObject({ owner, outcome: 'breached' });
      expect(c?.breachedAt).toBe(c?.dueAt);
      expect(c?.completedAt).toBeDefined();
      expect(c?.lateByMinutes).toBeGreaterThan(0);
    }
    expect(view.status).toBe('live');
    const { byOwner, items } = await listBreaches(database.db, {}, { serviceCode: service.code, limit: 10, offset: 0 });
    expect(byOwner).toEqual([{ owner: 'BTP', breaches: 1 }, { owner: 'VPCP', breaches: 2 }]);
    expect(items.every((b) => b.completedAt !== null)).toBe(true);
  });

  it('project rule: VPCP may close a loop only once the agency has left it idle past its abandonment clock; the agency may propose again later', async () => {
    const view = await withService(async (h) => {
      await propose(h);
      await h.executeUpdate(reviewDvcttProposalUpdate, { args: [{ actor: vpcp, decision: 'reject', reasons: 'Sai mã TTHC / wrong TTHC code' }] });
      const early = await refusal(h.executeUpdate(closeDvcttLoopUpdate, { args: [{ actor: vpcp, reasons: 'bỏ dở / abandoned' }] }));
      expect(early).toMatchObject({ type: 'InvalidTransition' });
      expect(early.message).toContain('3 working days');
      await env.sleep('10 days');
      const closed = await h.executeUpdate(closeDvcttLoopUpdate, { args: [{ actor: vpcp, reasons: 'bỏ dở / abandoned' }] });
      expect(closed.status).toBe('closed');
      expect(clock(await h.query(dvcttStateQuery), 'abandon#1')?.outcome).toBe('breached');
      await propose(h);
      return h.query(dvcttStateQuery);
    }, { abandonAfterWorkingDays: 3 });
    expect(view.status).toBe('proposed');
    expect(view.rounds.map((r) => [r.round, r.outcome])).toEqual([[1, 'rejected'], [2, 'open']]);
  });

  it("Art 28.4: a suspended service takes no new dossiers until VPCP resumes it after the agency's fix; a stopped one re-enters the loop", async () => {
    const { view, service } = await withService(async (h, service) => {
      await goLive(h);
      expect((await refusal(h.executeUpdate(suspendDvcttServiceUpdate, { args: [{ actor: vpcp, reasons: ' ' }] }))).type).toBe('Validation');
      const suspended = await h.executeUpdate(suspendDvcttServiceUpdate, { args: [{ actor: vpcp, reasons: 'Tỷ lệ lỗi cao / high error rate' }] });
      expect(suspended).toMatchObject({ status: 'suspended', acceptsNewDossiers: false });
      expect((await findService(database.db, service.code))?.status).toBe('suspended');
      const tooEarly = await refusal(h.executeUpdate(resumeDvcttServiceUpdate, { args: [{ actor: vpcp }] }));
      expect(tooEarly.message).toContain('not reported its fix');
      await h.executeUpdate(reportDvcttFixUpdate, { args: [{ actor: btp, note: 'Đã sửa cổng thanh toán / payment fixed' }] });
      const resumed = await h.executeUpdate(resumeDvcttServiceUpdate, { args: [{ actor: vpcp }] });
      expect(resumed).toMatchObject({ status: 'live', acceptsNewDossiers: true });
      expect((await findService(database.db, service.code))?.status).toBe('live');
      const stopped = await h.executeUpdate(stopDvcttServiceUpdate, { args: [{ actor: vpcp, reasons: 'Không bảo đảm chất lượng / quality' }] });
      expect(stopped.allowedActions.map((a) => a.action).sort()).toEqual(['propose', 'withdraw']);
      await propose(h);
      return { view: await h.query(dvcttStateQuery), service };
    });
    expect(view.status).toBe('proposed');
    expect(view.currentRound).toBe(2);
    expect(view.actions.slice(4).map((a) => a.action)).toEqual(['suspend', 'reportFix', 'resume', 'stop', 'propose']);
    expect((await findService(database.db, service.code))?.status).toBe('proposed');
  });

  it('Art 28.1, 19: a repeal of its TTHC suspends a live service for good, with the reason; one in the loop is suspended and its clocks cancelled; a repeated notice changes nothing', async () => {
    const notice = (tthcCode: string) => ({ tthcCode, decisionId: 'BTP.99-qd-btp', decisionNumber: '99/QĐ-BTP', effectiveOn: '2027-02-01', actor: btp });
    const live = await withService(async (h, service) => {
      await goLive(h);
      await h.signal(tthcRepealedSignal, notice(service.tthcCode));
      await h.signal(tthcRepealedSignal, { ...notice(service.tthcCode), decisionNumber: 'other' });
      await env.sleep('1 minute');
      const view = await h.query(dvcttStateQuery);
      const refused = await refusal(h.executeUpdate(suspendDvcttServiceUpdate, { args: [{ actor: vpcp, reasons: 'Chất lượng' }] }));
      return { view, refused, row: await findService(database.db, service.code), service };
    });
    expect(live.view).toMatchObject({ status: 'suspended', acceptsNewDossiers: false, allowedActions: [], tthcRepeal: { decisionNumber: '99/QĐ-BTP', effectiveOn: '2027-02-01' } });
    expect(live.view.actions.filter((a) => a.action === 'tthcRepealed')).toEqual([
      expect.objectContaining({ actor: btp, note: `TTHC ${live.service.tthcCode} was repealed by decision 99/QĐ-BTP, in force from 2027-02-01 (Art 19, 28.1)` }),
    ]);
    expect(live.refused).toMatchObject({ type: 'InvalidTransition', message: expect.stringContaining('no longer provided') });
    expect(live.row).toMatchObject({ status: 'suspended', tthcRepeal: { decisionNumber: '99/QĐ-BTP' } });
    const [notified] = await database.db.select().from(notifications).where(eq(notifications.key, `${dvcttWorkflowId(live.service.code)}:tthc-repealed:portal`));
    expect(notified).toMatchObject({ recipient: 'BTP' });

    const looping = await withService(async (h, service) => {
      await propose(h);
      await h.signal(tthcRepealedSignal, notice(service.tthcCode));
      await env.sleep('1 minute');
      return h.query(dvcttStateQuery);
    });
    expect(looping).toMatchObject({ status: 'suspended', rounds: [{ outcome: 'closed' }] });
    expect(clock(looping, 'review#1')?.outcome).toBe('cancelled');
  });

  it('Art 27: only the service\'s agency acts for it and only VPCP reviews; refused actions leave no trace', async () => {
    const view = await withService(async (h) => {
      expect(await refusal(propose(h, officer('BCA')))).toMatchObject({ type: 'Forbidden' });
      await propose(h);
      expect(await refusal(h.executeUpdate(reviewDvcttProposalUpdate, { args: [{ actor: btp, decision: 'approve' }] }))).toMatchObject({ type: 'Forbidden' });
      expect(await refusal(propose(h))).toMatchObject({ type: 'InvalidTransition' });
      return h.query(dvcttStateQuery);
    });
    expect(view.actions.map((a) => a.action)).toEqual(['propose']);
  });

  it('withdrawal (README): the open clocks of a withdrawn service are cancelled, none recorded met; the abandonment clock is a project rule', async () => {
    const { view, workflowId } = await withService(async (h, service) => {
      await propose(h);
      await approve(h);
      // Art 27.4: the agency's test clock and its abandonment clock (project rule) run.
      const withdrawn = await h.executeUpdate(withdrawDvcttUpdate, { args: [{ actor: btp, reasons: 'Rút để hoàn thiện / withdrawn to rework' }] });
      expect(withdrawn.status).toBe('withdrawn');
      return { view: await h.query(dvcttStateQuery), workflowId: dvcttWorkflowId(service.code) };
    });
    expect(clock(view, 'test#1')).toMatchObject({ outcome: 'cancelled', kind: 'regulated' });
    expect(clock(view, 'abandonTesting#1')).toMatchObject({ outcome: 'cancelled', kind: 'projectRule' });
    expect(clock(view, 'abandonTesting#1')?.completedBy).toBeUndefined();
    const rows = await database.db.select().from(slaClocks).where(eq(slaClocks.workflowId, workflowId)).orderBy(asc(slaClocks.clockKey));
    expect(rows.map((r) => [r.clockKey, r.outcome, r.kind])).toEqual([
      ['abandonTesting#1', 'cancelled', 'projectRule'], ['review#1', 'met', 'regulated'], ['test#1', 'cancelled', 'regulated'],
    ]);
  });

  it('one action at a time: a withdrawal racing a new proposal is refused as busy or runs after it, and never leaves a clock running on a withdrawn service', async () => {
    const { view, settled } = await withService(async (h) => {
      await propose(h);
      await h.executeUpdate(reviewDvcttProposalUpdate, { args: [{ actor: vpcp, decision: 'reject', reasons: 'Thiếu biểu mẫu / form missing' }] });
      // Both are allowed while the service is returned; without serialization the withdrawal's
      // cancelAll could run before the proposal's review clock starts.
      const settled = await Promise.allSettled([
        propose(h),
        h.executeUpdate(withdrawDvcttUpdate, { args: [{ actor: btp, reasons: 'Rút để hoàn thiện / withdrawn to rework' }] }),
      ]);
      return { view: await h.query(dvcttStateQuery), settled };
    });
    for (const outcome of settled) {
      if (outcome.status === 'rejected') {
        const cause = (outcome.reason as WorkflowUpdateFailedError).cause as ApplicationFailure;
        expect(cause.type).toBe('Busy');
        expect(cause.message).toMatch(/busy with "(propose|withdraw)"/);
      }
    }
    const done = settled.filter((o) => o.status === 'fulfilled').length;
    expect(done).toBeGreaterThanOrEqual(1);
    // Refused updates left no trace; accepted ones are all recorded.
    expect(view.actions).toHaveLength(2 + done);
    const running = view.rounds.flatMap((r) => r.clocks).filter((c) => c.outcome === 'pending');
    if (view.status === 'withdrawn') expect(running).toEqual([]);
    else expect(running.map((c) => c.key)).toEqual(['review#2']);
  });

  it('a long-lived service continues as new with its rounds, actions and open clocks carried over', async () => {
    const { view, runs } = await withService(async (h) => {
      const first = (await h.describe()).runId;
      await propose(h);
      await h.executeUpdate(reviewDvcttProposalUpdate, { args: [{ actor: vpcp, decision: 'reject', reasons: 'Thiếu thông tin / incomplete' }] });
      await propose(h);
      await approve(h);
      const carried = await h.query(dvcttStateQuery);
      expect(clock(carried, 'test#2')?.outcome).toBe('pending');
      await env.sleep('15 days');
      const later = await h.query(dvcttStateQuery);
      return { view: later, runs: [first, (await h.describe()).runId] };
    }, { maxHistoryEvents: 40 });
    expect(runs[1]).not.toBe(runs[0]);
    expect(view.rounds.map((r) => [r.round, r.outcome])).toEqual([[1, 'rejected'], [2, 'open']]);
    expect(view.actions).toHaveLength(4);
    // The carried clock is still watched in the new run: it breaches on time.
    expect(clock(view, 'test#2')?.outcome).toBe('breached');
    expect(clock(view, 'review#1')?.outcome).toBe('met');
  });
});
