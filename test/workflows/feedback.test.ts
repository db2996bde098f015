import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { and, asc, eq, like } from 'drizzle-orm';
import { loadCalendarVersion } from '../../db/queries/calendar.js';
import { listFeedbackActions } from '../../db/queries/feedback.js';
import { feedbackAnswers, feedbackItems, notifications, slaClocks } from '../../db/schema/index.js';
import { lunarYearDates, WorkingCalendar, type DeadlineUnit } from '../../domain/calendar/index.js';
import type { ActorRef } from '../../workflows/actors.js';
import {
  answerCoordinationFeedbackUpdate,
  classifyFeedbackUpdate,
  coordinateFeedbackUpdate,
  escalateFeedbackUpdate,
  feedbackStateQuery,
  feedbackWorkflowId,
  progressFeedbackUpdate,
  publishFeedbackUpdate,
  removeStateSecretFeedbackUpdate,
  resultFeedbackUpdate,
  reviewFeedbackUpdate,
  STATE_SECRET_REMOVAL,
  supplementFeedbackUpdate,
  type FeedbackRules,
  type FeedbackSubmission,
  type FeedbackView,
  type FeedbackWorkflowInput,
} from '../../workflows/feedback.definitions.js';
import type { SlaClock } from '../../workflows/sla.definitions.js';
import { eventually, timeSkippingHarness, uniqueId, type TimeSkippingHarness, terminateWhenIdle } from '../support/env.js';

const officer = (agency: string, userId = `officer-${agency}`): ActorRef => ({ userId, role: 'agency', agency });
const btp = officer('BTP');
const btpReviewer = officer('BTP', 'reviewer-BTP');
const byt = officer('BYT');
const bytReviewer = officer('BYT', 'reviewer-BYT');
const vpcp: ActorRef = { userId: 'vpcp-officer', role: 'vpcp', agency: 'VPCP' };
const portal: ActorRef = { userId: 'portal-frontend', role: 'portal' };

const submission = (agency = 'BTP'): FeedbackSubmission => ({
  sender: { name: 'Nguyễn Văn An', address: '12 Tràng Tiền, Hà Nội', phone: '0912345678', email: 'an.nguyen@example.vn', portalAccountId: 'acc-001' },
  content: 'Thủ tục cấp phiếu lý lịch tư pháp trên Cổng chưa cập nhật mức phí mới.',
  agency,
  tthcCode: '1.001234',
  category: 'tthc-not-published',
  channel: 'portal',
});

async function refusal(update: Promise<unknown>): Promise<{ type?: string; message: string }> {
  const err = await update.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return { type: cause.type ?? undefined, message: cause.message };
}

/** Project rule (Art 45.1): the public version of the question the publishing officer approves. */
const publicQuestion = 'Thủ tục cấp phiếu lý lịch tư pháp trên Cổng chưa cập nhật mức phí mới.';

const clockOf = (view: FeedbackView, key: string): SlaClock | undefined => view.clocks.find((c) => c.key === key);

describe('Citizen feedback (PAKN) "2 / 5 / 20 / 7" (time-skipping)', () => {
  let harness: TimeSkippingHarness;
  let env: TimeSkippingHarness['env'];
  let database: TimeSkippingHarness['database'];
  /** One worker for the whole file: its workflows share the test server's clock anyway. */
  let taskQueue: string;
  let calendar: WorkingCalendar;

  beforeAll(async () => {
    harness = await timeSkippingHarness({ workflowsPath: new URL('../../workflows/feedback.workflow.ts', import.meta.url) });
    ({ env, database } = harness);
    taskQueue = await harness.serve();
    calendar = new WorkingCalendar((await loadCalendarVersion(database.db))!);
  });
  afterAll(async () => {
    await harness?.teardown();
  });

  async function submit(rules?: Partial<FeedbackRules>, agency = 'BTP'): Promise<WorkflowHandleWithFirstExecutionRunId> {
    const itemId = uniqueId('fb');
    const input: FeedbackWorkflowInput = { itemId, submission: submission(agency), submittedBy: portal, fingerprint: 'test', ...(rules ? { rules } : {}) };
    const handle = await env.client.workflow.start('feedbackWorkflow', { taskQueue, workflowId: feedbackWorkflowId(itemId), args: [input] });
    await eventually(() => handle.query(feedbackStateQuery), (v) => v.clocks.length >= 2);
    return handle;
  }
  const state = (handle: WorkflowHandle) => handle.query(feedbackStateQuery);
  /**
   * The final state of a workflow that has finished or is about to. Not handle.result(): on the
   * test server it unlocks time skipping, which jumps this file's shared clock by years.
   */
  async function finished(handle: WorkflowHandle): Promise<FeedbackView> {
    await eventually(() => handle.describe(), (d) => d.status.name === 'COMPLETED');
    return state(handle);
  }
  const due = (from: string, amount: number, unit: DeadlineUnit) => calendar.computeDeadline({ from, amount, unit }).dueAt;
  /** Skip workflow time to `minutes` after `instant`. */
  async function skipPast(instant: string, minutes = 60): Promise<void> {
    const wait = Date.parse(instant) + minutes * 60_000 - (await env.currentTimeMs());
    if (wait > 0) await env.sleep(wait);
  }
  const projected = (workflowId: string) =>
    database.db.select().from(slaClocks).where(eq(slaClocks.workflowId, workflowId)).orderBy(asc(slaClocks.startedAt), asc(slaClocks.clockKey));

  // First: the other tests move this file's workflow clock forward by months.
  it('Art 42.3, 44.1 across Tết: Tết days are not working days, so the 5 working days to classify run past the holiday', async () => {
    // Honest workflow time: skip the test server's clock to 09:00 (UTC+7) five days before the next
    // mùng 1 Tết (Tết Đinh Mùi: Sat 6 Feb 2027, when this was written) and submit then.
    const now = await env.currentTimeMs();
    const year = new Date(now).getUTCFullYear();
    const submitAt = (y: number) => Date.parse(`${lunarYearDates(y).newYearDay}T09:00:00+07:00`) - 5 * 86_400_000;
    const tetYear = submitAt(year) > now ? year : year + 1;
    const newYearDay = lunarYearDates(tetYear).newYearDay;
    await skipPast(new Date(submitAt(tetYear)).toISOString(), 0);
    const handle = await submit();
    const received = await state(handle);
    const classify = clockOf(received, 'classify#1')!;
    expect(classify.dueAt).toBe(due(received.receivedAt, 5, 'workingDays'));
    // At most three working days remain before the eve of Tết: the 5th falls after mùng 4.
    const mung4 = new Date(Date.parse(`${newYearDay}T00:00:00Z`) + 3 * 86_400_000).toISOString().slice(0, 10);
    expect(classify.dueLocal.slice(0, 10) > mung4).toBe(true);
    expect(classify.explanation).toMatch(/Tết/);
    expect(clockOf(received, 'answer#1')?.dueAt).toBe(due(received.receivedAt, 20, 'calendarDays'));

    // Accept on the weekday after the 5th Monday–Friday day: late if Tết counted, on time as it does not.
    let day = Date.parse(`${received.receivedAt.slice(0, 10)}T03:00:00Z`);
    for (let weekdays = 0; weekdays < 6; ) {
      day += 86_400_000;
      if (![0, 6].includes(new Date(day).getUTCDay())) weekdays += 1;
    }
    expect(day).toBeLessThan(Date.parse(classify.dueAt));
    await skipPast(new Date(day).toISOString(), 0);
    const accepted = await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'accept' }] });
    expect(clockOf(accepted, 'classify#1')?.outcome).toBe('met');
    await terminateWhenIdle(handle);
  });

  it('Art 42.3d, 44.2, 45: accepted feedback is answered, returned once by the reviewer, then published — every clock met, the citizen notified', async () => {
    const handle = await submit();
    const received = await state(handle);
    expect(received.status).toBe('received');
    expect(received.actionsAllowed).toEqual(['classify', 'progress', 'escalate', 'removeStateSecret']);
    expect(clockOf(received, 'classify#1')?.dueAt).toBe(due(received.receivedAt, 5, 'workingDays'));
    expect(clockOf(received, 'answer#1')?.dueAt).toBe(due(received.receivedAt, 20, 'calendarDays'));
    // Art 36.3a: receipt notified by SMS and e-mail.
    const receipt = await eventually(
      () => database.db.select().from(notifications).where(like(notifications.key, `${handle.workflowId}:receipt:%`)),
      (rows) => rows.length === 2,
    );
    expect(receipt.map((r) => r.channel).sort()).toEqual(['email', 'sms']);
    expect(receipt[0]?.bodyVi).toContain('đã được tiếp nhận');

    // Wrong state, wrong agency, wrong role: refused synchronously, nothing recorded.
    expect((await refusal(handle.executeUpdate(resultFeedbackUpdate, { args: [{ actor: btp, answer: 'x', resultObtainedAt: new Date().toISOString() }] }))).type).toBe('InvalidTransition');
    expect((await refusal(handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: byt, decision: 'accept' }] }))).type).toBe('Forbidden');
    expect((await refusal(handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: portal, decision: 'accept' }] }))).type).toBe('Forbidden');
    expect((await refusal(handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'reject' }] }))).message).toMatch(/reason is required/);
    expect((await state(handle)).actionSeq).toBe(1);

    await env.sleep('1 day');
    const accepted = await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'accept' }] });
    expect(accepted.status).toBe('processing');
    expect(clockOf(accepted, 'classify#1')?.outcome).toBe('met');

    // Art 43.2: a coordinating agency is asked, and only it may answer.
    await handle.executeUpdate(coordinateFeedbackUpdate, { args: [{ actor: btp, agencies: ['BTC'], request: 'Đề nghị cho ý kiến về mức phí.' }] });
    expect((await refusal(handle.executeUpdate(answerCoordinationFeedbackUpdate, { args: [{ actor: byt, answer: 'x' }] }))).type).toBe('Forbidden');
    const coordinated = await handle.executeUpdate(answerCoordinationFeedbackUpdate, { args: [{ actor: officer('BTC'), answer: 'Mức phí mới áp dụng từ 01/01.' }] });
    expect(coordinated.coordination[0]?.answeredBy).toBe('BTC/officer-BTC');
    expect(coordinated.involvedAgencies).toEqual(['BTP', 'BTC']);

    await env.sleep('3 days');
    const obtainedAt = new Date(await env.currentTimeMs()).toISOString();
    const entered = await handle.executeUpdate(resultFeedbackUpdate, { args: [{ actor: btp, answer: 'Bản trả lời lần 1', resultObtainedAt: obtainedAt }] });
    expect(entered.status).toBe('in-review');
    expect(clockOf(entered, 'resultEntry#1.1')?.outcome).toBe('met');

    // Art 45.2: the receiving body checks the answer; the officer who entered it may not.
    expect((await refusal(handle.executeUpdate(reviewFeedbackUpdate, { args: [{ actor: btp, decision: 'approve' }] }))).type).toBe('Forbidden');
    expect((await refusal(handle.executeUpdate(reviewFeedbackUpdate, { args: [{ actor: btpReviewer, decision: 'return' }] }))).type).toBe('Validation');
    const returned = await handle.executeUpdate(reviewFeedbackUpdate, { args: [{ actor: btpReviewer, decision: 'return', reason: 'Chưa trả lời về thời điểm áp dụng.' }] });
    expect(returned.status).toBe('processing');
    const again = await handle.executeUpdate(resultFeedbackUpdate, { args: [{ actor: btp, answer: 'Bản trả lời lần 2', resultObtainedAt: new Date(await env.currentTimeMs()).toISOString() }] });
    expect(again.result?.revision).toBe(2);
    await handle.executeUpdate(reviewFeedbackUpdate, { args: [{ actor: btpReviewer, decision: 'approve' }] });
    const published = await handle.executeUpdate(publishFeedbackUpdate, { args: [{ actor: btpReviewer, publicQuestion }] });
    expect(published.status).toBe('published');
    expect(clockOf(published, 'answer#1')?.outcome).toBe('met');
    expect((await finished(handle)).status).toBe('published');

    const [answer] = await database.db.select().from(feedbackAnswers).where(eq(feedbackAnswers.itemId, published.itemId));
    expect(answer?.answer).toBe('Bản trả lời lần 2');
    expect(answer?.question).toBe(publicQuestion);
    const [item] = await database.db.select().from(feedbackItems).where(eq(feedbackItems.itemId, published.itemId));
    expect(item?.status).toBe('published');
    expect(item?.involvedAgencies).toEqual(['BTP', 'BTC']);
    const actions = await listFeedbackActions(database.db, handle.workflowId);
    expect(actions.map((a) => a.action)).toEqual(['submit', 'classify', 'coordinate', 'answerCoordination', 'result', 'review', 'result', 'review', 'publish']);
    const publishedNotes = await database.db.select().from(notifications).where(like(notifications.key, `${handle.workflowId}:published:%`));
    expect(publishedNotes).toHaveLength(2);
    const clocks = await projected(handle.workflowId);
    expect(clocks.map((c) => [c.clockKey, c.outcome])).toEqual([
      ['answer#1', 'met'], ['classify#1', 'met'], ['resultEntry#1.1', 'met'], ['resultEntry#1.2', 'met'],
    ]);
  });

  it('Art 42.3a: non-conforming feedback must be refused within 2 working days — a later refusal is recorded as breached', async () => {
    const onTime = await submit();
    const refused = await onTime.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'reject', reason: 'Nội dung không thuộc phạm vi Điều 37.' }] });
    expect(refused.status).toBe('not-accepted');
    expect(clockOf(refused, 'notAccepted#1')?.outcome).toBe('met');
    await finished(onTime);

    const late = await submit();
    const { receivedAt } = await state(late);
    await skipPast(due(receivedAt, 2, 'workingDays'));
    const lateRefusal = await late.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'reject', reason: 'Không sử dụng tiếng Việt (Điều 39.1).' }] });
    expect(clockOf(lateRefusal, 'notAccepted#1')?.outcome).toBe('breached');
    expect(clockOf(lateRefusal, 'notAccepted#1')?.lateByMinutes).toBeGreaterThan(0);
    // Still within the 5 working days of classification.
    expect(clockOf(lateRefusal, 'classify#1')?.outcome).toBe('met');
    expect(clockOf(lateRefusal, 'answer#1')?.outcome).toBe('cancelled');
    await finished(late);
    const notes = await database.db.select().from(notifications).where(like(notifications.key, `${late.workflowId}:notAccepted#1:%`));
    expect(notes[0]?.bodyVi).toContain('Không sử dụng tiếng Việt');
  });

  it('Art 42.3b: clarification must be asked within 5 working days; the supplement restarts the periods (project rule); nothing supplemented in 10 working days closes the item', async () => {
    const handle = await submit();
    const { receivedAt } = await state(handle);
    await skipPast(due(receivedAt, 5, 'workingDays'));
    const breached = await state(handle);
    expect(clockOf(breached, 'classify#1')?.outcome).toBe('breached');
    const asked = await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'clarify', reason: 'Đề nghị nêu rõ số hồ sơ.' }] });
    expect(asked.status).toBe('awaiting-supplement');
    const wait = clockOf(asked, 'supplement#1');
    expect(wait?.ownerKind).toBe('citizen');
    expect(wait?.dueAt).toBe(due(wait!.startedAt, 10, 'workingDays'));
    const request = await eventually(
      () => database.db.select().from(notifications).where(like(notifications.key, `${handle.workflowId}:supplementRequest#1:%`)),
      (rows) => rows.length === 2,
    );
    expect(request[0]?.bodyVi).toContain('Đề nghị nêu rõ số hồ sơ');

    expect((await refusal(handle.executeUpdate(supplementFeedbackUpdate, { args: [{ actor: portal, content: 'x', portalAccountId: 'acc-999' }] }))).type).toBe('Forbidden');
    await env.sleep('2 days');
    await handle.executeUpdate(supplementFeedbackUpdate, { args: [{ actor: portal, content: 'Số hồ sơ: 000.00.00.H01-261125-0001', portalAccountId: 'acc-001' }] });
    const round2 = await eventually(() => state(handle), (v) => v.round === 2 && v.clocks.some((c) => c.key === 'answer#2'));
    expect(round2.status).toBe('received');
    // The new receipt is the supplement instant: both periods count again from it.
    expect(clockOf(round2, 'classify#2')?.startedAt).toBe(round2.roundStartedAt);
    expect(clockOf(round2, 'answer#2')?.dueAt).toBe(due(round2.roundStartedAt, 20, 'calendarDays'));
    expect(round2.supplements).toHaveLength(1);

    const askedAgain = await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'clarify', reason: 'Đề nghị gửi ảnh chụp biên lai.' }] });
    await skipPast(clockOf(askedAgain, 'supplement#2')!.dueAt);
    const outcome = await finished(handle);
    expect(outcome).toMatchObject({ status: 'closed', round: 2 });
    const [wait2] = await database.db.select().from(slaClocks).where(and(eq(slaClocks.workflowId, handle.workflowId), eq(slaClocks.clockKey, 'supplement#2')));
    expect(wait2?.outcome).toBe('breached');
    expect(wait2?.ownerKind).toBe('citizen');
    const closed = await database.db.select().from(notifications).where(like(notifications.key, `${handle.workflowId}:closed#2:%`));
    expect(closed).toHaveLength(2);
    const [item] = await database.db.select().from(feedbackItems).where(eq(feedbackItems.itemId, outcome.itemId));
    expect(item?.status).toBe('closed');
  });

  it('Art 42.3c–đ: a transfer starts the competent agency\'s clocks at transfer; escalation hands the item to VPCP', async () => {
    const handle = await submit();
    await env.sleep('1 day');
    expect((await refusal(handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'transfer', reason: 'Thuộc thẩm quyền Bộ Y tế' }] }))).message).toMatch(/toAgency/);
    await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'transfer', toAgency: 'BYT', reason: 'Thuộc thẩm quyền Bộ Y tế' }] });
    const atByt = await eventually(() => state(handle), (v) => v.clocks.some((c) => c.key === 'classify#2'));
    expect(atByt).toMatchObject({ agency: 'BYT', receivingAgency: 'BTP', round: 2, status: 'received' });
    expect(clockOf(atByt, 'classify#2')).toMatchObject({ owner: 'BYT', startedAt: atByt.roundStartedAt });
    expect(clockOf(atByt, 'classify#2')?.dueAt).toBe(due(atByt.roundStartedAt, 5, 'workingDays'));
    // The transferring agency is done with it.
    expect((await refusal(handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'accept' }] }))).type).toBe('Forbidden');

    await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: byt, decision: 'escalate', reason: 'Thuộc thẩm quyền quyết định của Thủ tướng Chính phủ' }] });
    const atVpcp = await eventually(() => state(handle), (v) => v.clocks.some((c) => c.key === 'classify#3'));
    expect(atVpcp).toMatchObject({ agency: 'VPCP', round: 3 });
    expect(clockOf(atVpcp, 'classify#3')).toMatchObject({ owner: 'VPCP', ownerKind: 'vpcp' });
    expect((await refusal(handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: vpcp, decision: 'escalate', reason: 'x' }] }))).type).toBe('InvalidTransition');
    const accepted = await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: vpcp, decision: 'accept' }] });
    expect(accepted.status).toBe('processing');

    const clocks = await projected(handle.workflowId);
    const byKey = Object.fromEntries(clocks.map((c) => [c.clockKey, c]));
    expect(byKey['classify#1']).toMatchObject({ outcome: 'met', owner: 'BTP', caseAgency: 'BTP' });
    expect(byKey['answer#1']).toMatchObject({ outcome: 'cancelled', owner: 'BTP' });
    expect(byKey['classify#2']).toMatchObject({ outcome: 'met', owner: 'BYT', caseAgency: 'BYT' });
    expect(byKey['classify#3']).toMatchObject({ outcome: 'met', owner: 'VPCP', caseAgency: 'VPCP' });
    const [item] = await database.db.select().from(feedbackItems).where(eq(feedbackItems.workflowId, handle.workflowId));
    expect(item).toMatchObject({ agency: 'VPCP', receivingAgency: 'BTP', involvedAgencies: ['BTP', 'BYT', 'VPCP'] });
    await terminateWhenIdle(handle);
  });

  it('Art 44.1: past the 20 days a progress update is due every 7 days until the answer is published — met and missed windows over several weeks, across continue-as-new', async () => {
    const handle = await submit({ continueAsNewAfterWindows: 2 });
    const first = await state(handle);
    await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'accept' }] });
    // A voluntary update inside the 20 days opens no window.
    const early = await handle.executeUpdate(progressFeedbackUpdate, { args: [{ actor: btp, note: 'Đang lấy ý kiến các đơn vị.' }] });
    expect(early.progressWindow).toBe(0);

    const answerDue = clockOf(first, 'answer#1')!.dueAt;
    await skipPast(answerDue);
    const late = await eventually(() => state(handle), (v) => v.progressWindow === 1);
    expect(clockOf(late, 'answer#1')?.outcome).toBe('breached');
    expect(clockOf(late, 'progress#1.1')).toMatchObject({ outcome: 'pending', startedAt: answerDue, dueAt: due(answerDue, 7, 'calendarDays') });

    // Window 1 met by an update; window 2 follows where window 1 ends (every 7 days from day 20).
    await env.sleep('3 days');
    const updated = await handle.executeUpdate(progressFeedbackUpdate, { args: [{ actor: btp, note: 'Đã có ý kiến của Bộ Tài chính.' }] });
    expect(clockOf(updated, 'progress#1.1')?.outcome).toBe('met');
    const window2 = clockOf(updated, 'progress#1.2')!;
    expect(window2.startedAt).toBe(clockOf(late, 'progress#1.1')?.dueAt);
    expect(window2.dueAt).toBe(due(window2.startedAt, 7, 'calendarDays'));

    // Window 2 missed: breached at its due instant; window 3 starts there (after continue-as-new).
    await skipPast(window2.dueAt);
    const missed = await eventually(() => state(handle), (v) => v.progressWindow === 3 && v.clocks.some((c) => c.key === 'progress#1.3'));
    expect(clockOf(missed, 'progress#1.3')?.startedAt).toBe(window2.dueAt);
    const description = await handle.describe();
    expect(description.runId).not.toBe(handle.firstExecutionRunId);

    // Window 3 also missed, window 4 met by the publication itself.
    await skipPast(clockOf(missed, 'progress#1.3')!.dueAt);
    await eventually(() => state(handle), (v) => v.progressWindow === 4);
    await handle.executeUpdate(resultFeedbackUpdate, { args: [{ actor: btp, answer: 'Trả lời', resultObtainedAt: new Date(await env.currentTimeMs()).toISOString() }] });
    await handle.executeUpdate(reviewFeedbackUpdate, { args: [{ actor: btpReviewer, decision: 'approve' }] });
    const published = await handle.executeUpdate(publishFeedbackUpdate, { args: [{ actor: btpReviewer, publicQuestion }] });
    expect(published.status).toBe('published');
    await finished(handle);

    const clocks = Object.fromEntries((await projected(handle.workflowId)).map((c) => [c.clockKey, c]));
    expect(clocks['answer#1']?.outcome).toBe('breached');
    expect(clocks['answer#1']?.completedAt).not.toBeNull();
    expect([1, 2, 3, 4].map((n) => clocks[`progress#1.${n}`]?.outcome)).toEqual(['met', 'breached', 'breached', 'met']);
    expect(clocks['progress#1.2']?.breachedAt?.toISOString()).toBe(window2.dueAt);
    const weeks = (Date.parse(published.publishedAt!) - Date.parse(first.receivedAt)) / (7 * 86_400_000);
    expect(weeks).toBeGreaterThan(5);
  });

  it('Art 44.1: past day 20 a progress window opens every 7 days whatever the state — while the item is unclassified too, counted from day 20 and not from acceptance; an update meets its window, the next opens where it ends', async () => {
    const handle = await submit();
    const answerDue = clockOf(await state(handle), 'answer#1')!.dueAt;
    await skipPast(answerDue);
    // Still unclassified: the first window runs from day 20 all the same.
    const unclassified = await eventually(() => state(handle), (v) => v.progressWindow === 1);
    expect(unclassified.status).toBe('received');
    expect(clockOf(unclassified, 'progress#1.1')).toMatchObject({ outcome: 'pending', article: 'Art 44.1', owner: 'BTP', startedAt: answerDue, dueAt: due(answerDue, 7, 'calendarDays') });
    expect(unclassified.actionsAllowed).toContain('progress');

    // An update while unclassified meets window 1; window 2 opens where window 1 ends, not at the update.
    const window1 = clockOf(unclassified, 'progress#1.1')!;
    const updated = await handle.executeUpdate(progressFeedbackUpdate, { args: [{ actor: btp, note: 'Đang xác định cơ quan có thẩm quyền.' }] });
    expect(clockOf(updated, 'progress#1.1')?.outcome).toBe('met');
    expect(clockOf(updated, 'progress#1.2')).toMatchObject({ outcome: 'pending', startedAt: window1.dueAt });
    // A second update before window 2 opens meets nothing.
    const again = await handle.executeUpdate(progressFeedbackUpdate, { args: [{ actor: btp, note: 'Đã xin ý kiến Bộ Tài chính.' }] });
    expect(clockOf(again, 'progress#1.2')?.outcome).toBe('pending');
    expect(again.progressWindow).toBe(2);

    // Window 2 passes without an update: breached; window 3 starts at its due instant.
    const window2 = clockOf(again, 'progress#1.2')!;
    await skipPast(window2.dueAt);
    const missed = await eventually(() => state(handle), (v) => v.progressWindow === 3);
    expect(clockOf(missed, 'progress#1.3')?.startedAt).toBe(window2.dueAt);

    // Accepted only now: the rhythm stays the one counted from day 20.
    const accepted = await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'accept' }] });
    expect(accepted.status).toBe('processing');
    expect(clockOf(accepted, 'progress#1.3')).toMatchObject({ outcome: 'pending', startedAt: window2.dueAt });
    expect(Date.parse(accepted.acceptedAt!)).toBeGreaterThan(Date.parse(window2.dueAt));

    // Window 3 met; the answer is published before window 4 opens: that window is cancelled, not met.
    const window3 = await handle.executeUpdate(progressFeedbackUpdate, { args: [{ actor: btp, note: 'Đang dự thảo trả lời.' }] });
    expect(clockOf(window3, 'progress#1.4')?.startedAt).toBe(clockOf(window3, 'progress#1.3')?.dueAt);
    await handle.executeUpdate(resultFeedbackUpdate, { args: [{ actor: btp, answer: 'Trả lời', resultObtainedAt: new Date(await env.currentTimeMs()).toISOString() }] });
    await handle.executeUpdate(reviewFeedbackUpdate, { args: [{ actor: btpReviewer, decision: 'approve' }] });
    await handle.executeUpdate(publishFeedbackUpdate, { args: [{ actor: btpReviewer, publicQuestion }] });
    await finished(handle);

    const clocks = Object.fromEntries((await projected(handle.workflowId)).map((c) => [c.clockKey, c]));
    expect(clocks['progress#1.1']).toMatchObject({ outcome: 'met', stage: 'received' });
    expect(clocks['progress#1.2']?.outcome).toBe('breached');
    expect(clocks['progress#1.2']?.breachedAt?.toISOString()).toBe(window2.dueAt);
    expect([3, 4].map((n) => clocks[`progress#1.${n}`]?.outcome)).toEqual(['met', 'cancelled']);
  });

  it('Art 44.2: a result entered more than 2 working days after it was obtained is recorded as late', async () => {
    const handle = await submit();
    await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'accept' }] });
    const obtainedAt = new Date(await env.currentTimeMs()).toISOString();
    expect((await refusal(handle.executeUpdate(resultFeedbackUpdate, { args: [{ actor: btp, answer: 'x', resultObtainedAt: new Date(Date.parse(obtainedAt) + 86_400_000).toISOString() }] }))).message).toMatch(/future/);
    await skipPast(due(obtainedAt, 2, 'workingDays'));
    const entered = await handle.executeUpdate(resultFeedbackUpdate, { args: [{ actor: btp, answer: 'Trả lời', resultObtainedAt: obtainedAt }] });
    expect(clockOf(entered, 'resultEntry#1.1')).toMatchObject({ outcome: 'breached', startedAt: obtainedAt });
    expect(clockOf(entered, 'resultEntry#1.1')?.lateByMinutes).toBeGreaterThan(0);
    await terminateWhenIdle(handle);
  });

  it('Art 45.1–45.2: the answer to a transferred item is checked and published by the agency that received and dispatched it — it may return it; the handling agency neither approves nor publishes its own answer', async () => {
    const handle = await submit();
    await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'transfer', toAgency: 'BYT', reason: 'Thuộc thẩm quyền Bộ Y tế' }] });
    await eventually(() => state(handle), (v) => v.clocks.some((c) => c.key === 'classify#2'));
    await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: byt, decision: 'accept' }] });
    const entered = await handle.executeUpdate(resultFeedbackUpdate, { args: [{ actor: byt, answer: 'Bản trả lời lần 1 của Bộ Y tế', resultObtainedAt: new Date(await env.currentTimeMs()).toISOString() }] });
    expect(entered).toMatchObject({ status: 'in-review', agency: 'BYT', reviewingAgency: 'BTP' });

    // Not the handling agency (not even another of its officers), not a third agency.
    const own = await refusal(handle.executeUpdate(reviewFeedbackUpdate, { args: [{ actor: bytReviewer, decision: 'approve' }] }));
    expect(own).toMatchObject({ type: 'Forbidden', message: expect.stringMatching(/checked and published by BTP.*Art 45/) });
    expect((await refusal(handle.executeUpdate(reviewFeedbackUpdate, { args: [{ actor: officer('BTC'), decision: 'approve' }] }))).type).toBe('Forbidden');

    // Art 45.2: the dispatching agency returns it; the handling agency answers again.
    const returned = await handle.executeUpdate(reviewFeedbackUpdate, { args: [{ actor: btp, decision: 'return', reason: 'Chưa trả lời đúng nội dung phản ánh.' }] });
    expect(returned.status).toBe('processing');
    await handle.executeUpdate(resultFeedbackUpdate, { args: [{ actor: byt, answer: 'Bản trả lời lần 2 của Bộ Y tế', resultObtainedAt: new Date(await env.currentTimeMs()).toISOString() }] });
    // The officer who transferred it may check it: the four-eyes rule is for an agency checking its own answer.
    expect((await handle.executeUpdate(reviewFeedbackUpdate, { args: [{ actor: btp, decision: 'approve' }] })).status).toBe('approved');
    expect((await refusal(handle.executeUpdate(publishFeedbackUpdate, { args: [{ actor: byt, publicQuestion }] }))).type).toBe('Forbidden');
    const published = await handle.executeUpdate(publishFeedbackUpdate, { args: [{ actor: btp, publicQuestion }] });
    expect(published.status).toBe('published');
    expect(clockOf(published, 'answer#2')?.outcome).toBe('met');
    await finished(handle);

    const [answer] = await database.db.select().from(feedbackAnswers).where(eq(feedbackAnswers.itemId, published.itemId));
    expect(answer).toMatchObject({ agency: 'BYT', answer: 'Bản trả lời lần 2 của Bộ Y tế', publishedBy: 'BTP/officer-BTP' });
    const actions = await listFeedbackActions(database.db, handle.workflowId);
    expect(actions.filter((a) => ['review', 'publish'].includes(a.action)).map((a) => `${a.action}:${a.actorAgency}`)).toEqual(['review:BTP', 'review:BTP', 'publish:BTP']);
  });

  it('Art 42.3đ: escalation to VPCP is possible at any stage while the item is open — a coordinating agency that disagrees, during processing; VPCP\'s clocks start then', async () => {
    const handle = await submit();
    await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'accept' }] });
    const coordinated = await handle.executeUpdate(coordinateFeedbackUpdate, { args: [{ actor: btp, agencies: ['BTC'], request: 'Đề nghị cho ý kiến về mức phí.' }] });
    expect(coordinated.actionsAllowed).toContain('escalate');
    const btc = officer('BTC');
    await handle.executeUpdate(answerCoordinationFeedbackUpdate, { args: [{ actor: btc, answer: 'Không đồng ý với phương án của Bộ Tư pháp.' }] });

    // An agency with no part in the item may not; a coordinating agency escalates on disagreement only; a reason is required.
    expect((await refusal(handle.executeUpdate(escalateFeedbackUpdate, { args: [{ actor: byt, ground: 'agencies-disagree', reason: 'x' }] }))).type).toBe('Forbidden');
    expect((await refusal(handle.executeUpdate(escalateFeedbackUpdate, { args: [{ actor: btc, ground: 'government-authority', reason: 'x' }] }))).type).toBe('Validation');
    expect((await refusal(handle.executeUpdate(escalateFeedbackUpdate, { args: [{ actor: btc, ground: 'agencies-disagree', reason: ' ' }] }))).message).toMatch(/reason is required/);

    await handle.executeUpdate(escalateFeedbackUpdate, { args: [{ actor: btc, ground: 'agencies-disagree', reason: 'Bộ Tư pháp và Bộ Tài chính không thống nhất được phương án xử lý.' }] });
    const atVpcp = await eventually(() => state(handle), (v) => v.clocks.some((c) => c.key === 'classify#2'));
    expect(atVpcp).toMatchObject({ agency: 'VPCP', round: 2, status: 'received', reviewingAgency: 'VPCP' });
    expect(clockOf(atVpcp, 'classify#2')).toMatchObject({ owner: 'VPCP', ownerKind: 'vpcp', startedAt: atVpcp.roundStartedAt });
    expect(atVpcp.classifications.at(-1)).toMatchObject({ decision: 'escalate', agency: 'BTP', ground: 'agencies-disagree', fromStatus: 'processing', by: 'BTC/officer-BTC' });
    expect(atVpcp.actionsAllowed).not.toContain('escalate');
    expect((await refusal(handle.executeUpdate(escalateFeedbackUpdate, { args: [{ actor: vpcp, ground: 'government-authority', reason: 'x' }] }))).type).toBe('InvalidTransition');
    // BTP is done with it; VPCP handles it.
    expect((await refusal(handle.executeUpdate(resultFeedbackUpdate, { args: [{ actor: btp, answer: 'x', resultObtainedAt: new Date(await env.currentTimeMs()).toISOString() }] }))).type).toBe('Forbidden');
    expect((await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: vpcp, decision: 'accept' }] })).status).toBe('processing');

    const byKey = Object.fromEntries((await projected(handle.workflowId)).map((c) => [c.clockKey, c]));
    expect(byKey['classify#1']).toMatchObject({ outcome: 'met', owner: 'BTP' });
    expect(byKey['answer#1']).toMatchObject({ outcome: 'cancelled', owner: 'BTP' });
    expect(byKey['classify#2']).toMatchObject({ outcome: 'met', owner: 'VPCP', caseAgency: 'VPCP' });
    await terminateWhenIdle(handle);
  });

  it('Art 44.3: an item found during processing to involve state secrets is taken off the system — content removed, a content-free record kept with that reason', async () => {
    const handle = await submit();
    await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'accept' }] });
    await handle.executeUpdate(coordinateFeedbackUpdate, { args: [{ actor: btp, agencies: ['BCA'], request: 'Đề nghị cho ý kiến về hồ sơ liên quan.' }] });
    await handle.executeUpdate(progressFeedbackUpdate, { args: [{ actor: btp, note: 'Đang phối hợp với Bộ Công an.' }] });
    expect((await refusal(handle.executeUpdate(removeStateSecretFeedbackUpdate, { args: [{ actor: byt }] }))).type).toBe('Forbidden');
    expect((await refusal(handle.executeUpdate(removeStateSecretFeedbackUpdate, { args: [{ actor: portal }] }))).type).toBe('Forbidden');

    const removed = await handle.executeUpdate(removeStateSecretFeedbackUpdate, { args: [{ actor: btp }] });
    expect(removed).toMatchObject({ status: 'state-secret', closedReason: STATE_SECRET_REMOVAL.reason, actionsAllowed: [] });
    const final = await finished(handle);
    const text = JSON.stringify(final);
    for (const secret of [submission().content, 'Nguyễn Văn An', 'an.nguyen@example.vn', '0912345678', 'Đề nghị cho ý kiến', 'Đang phối hợp']) expect(text).not.toContain(secret);
    expect(final.actions.map((a) => a.action)).toEqual(['submit', 'classify', 'coordinate', 'progress', 'removeStateSecret']);
    expect(final.clocks.every((c) => c.outcome !== 'pending')).toBe(true);

    const [item] = await database.db.select().from(feedbackItems).where(eq(feedbackItems.itemId, final.itemId));
    expect(item).toMatchObject({ status: 'state-secret', content: '', senderName: '', senderPhone: null, senderEmail: null, portalAccountId: null, closedReason: STATE_SECRET_REMOVAL.reason, category: 'tthc-not-published', agency: 'BTP' });
    const actions = await listFeedbackActions(database.db, handle.workflowId);
    expect(actions.map((a) => a.note)).toEqual([null, null, null, null, null]);
    expect(actions.at(-1)).toMatchObject({ action: 'removeStateSecret', actorAgency: 'BTP', data: { article: 'Art 44.3' } });
    const sent = await database.db.select().from(notifications).where(like(notifications.key, `${handle.workflowId}:%`));
    expect(JSON.stringify(sent)).not.toContain('Đang phối hợp');
    // The sender is told why, with nothing of the content.
    expect(sent.filter((n) => n.key.includes(':stateSecret:')).map((n) => n.bodyVi)).toEqual([expect.stringContaining('Điều 44.3'), expect.stringContaining('Điều 44.3')]);
  });

  // Last: terminating this racing case can leave the time-skipping server's clock locked (sdk-java#1138),
  // and an env.sleep in a later test would then wait in real time.
  it('one action at a time: a progress update racing the result entry is refused as busy or runs after it, and every accepted action is recorded once', async () => {
    const handle = await submit();
    await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'accept' }] });
    // No env.sleep here: on the time-skipping server a sleep right after an update whose activities
    // are still running occasionally stalls. The result was obtained "now" (never in the future).
    const obtainedAt = new Date(await env.currentTimeMs()).toISOString();
    const names = ['result', 'progress'] as const;
    // Both are allowed while the item is processing (progress also while in review).
    const settled = await Promise.allSettled([
      handle.executeUpdate(resultFeedbackUpdate, { args: [{ actor: btp, answer: 'Đã cập nhật mức phí mới trên Cổng.', resultObtainedAt: obtainedAt }] }),
      handle.executeUpdate(progressFeedbackUpdate, { args: [{ actor: btp, note: 'Đang phối hợp cập nhật mức phí.' }] }),
    ]);
    const accepted = names.filter((_, i) => settled[i]?.status === 'fulfilled');
    for (const outcome of settled) {
      if (outcome.status === 'rejected') {
        const cause = (outcome.reason as WorkflowUpdateFailedError).cause as ApplicationFailure;
        expect(cause.type).toBe('Busy');
        expect(cause.message).toMatch(/busy with "(result|progress)"/);
      }
    }
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    const view = await state(handle);
    expect(view.actionSeq).toBe(2 + accepted.length);
    expect(view.actions.slice(2).map((a) => a.action).sort()).toEqual([...accepted].sort());
    expect(view.status).toBe(accepted.includes('result') ? 'in-review' : 'processing');
    if (accepted.includes('result')) expect(clockOf(view, 'resultEntry#1.1')?.outcome).toBe('met');
    const logged = await eventually(() => listFeedbackActions(database.db, handle.workflowId), (rows) => rows.length === 2 + accepted.length);
    expect(logged.map((r) => r.seq)).toEqual(Array.from({ length: 2 + accepted.length }, (_, i) => i + 1));
    await terminateWhenIdle(handle);
  });
});
