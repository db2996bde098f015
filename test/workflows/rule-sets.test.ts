import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { asc, eq } from 'drizzle-orm';
import { loadCalendarVersion } from '../../db/queries/calendar.js';
import { slaClocks } from '../../db/schema/index.js';
import { WorkingCalendar } from '../../domain/calendar/index.js';
import { pinRuleSet, RULES_2020, RULES_2025_DRAFT, type RuleSet } from '../../domain/rules/index.js';
import type { ActorRef } from '../../workflows/actors.js';
import {
  classifyFeedbackUpdate,
  feedbackStateQuery,
  feedbackWorkflowId,
  type FeedbackView,
  type FeedbackWorkflowInput,
} from '../../workflows/feedback.definitions.js';
import { caseRuleSetQuery, changeRuleSetUpdate } from '../../workflows/sla.definitions.js';
import { eventually, timeSkippingHarness, uniqueId, type TimeSkippingHarness } from '../support/env.js';

const portal: ActorRef = { userId: 'portal-frontend', role: 'portal' };
const btp: ActorRef = { userId: 'officer-BTP', role: 'agency', agency: 'BTP' };
const vpcp: ActorRef = { userId: 'vpcp-officer', role: 'vpcp', agency: 'VPCP' };

const clock = (view: FeedbackView, key: string) => view.clocks.find((c) => c.key === key);

async function refusal(update: Promise<unknown>): Promise<{ type?: string; message: string }> {
  const err = await update.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
  return { type: cause.type ?? undefined, message: cause.message };
}

describe('Rule sets pinned per case: feedback (time-skipping)', () => {
  let harness: TimeSkippingHarness;
  let env: TimeSkippingHarness['env'];
  let database: TimeSkippingHarness['database'];
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

  /** The same item (same submission, same instant of receipt) under a rule set, as the API pins it. */
  async function submitUnder(set: RuleSet | undefined): Promise<WorkflowHandle> {
    const itemId = uniqueId('fb-rules');
    const input: FeedbackWorkflowInput = {
      itemId, submittedBy: portal, fingerprint: 'rules',
      submission: {
        sender: { name: 'Trần Thị Bình', address: '5 Lý Thường Kiệt, Hà Nội', phone: '0987654321', email: 'binh@example.vn', portalAccountId: 'acc-rules' },
        content: 'Thủ tục đăng ký khai sinh trên Cổng chưa cập nhật thành phần hồ sơ mới.',
        agency: 'BTP', category: 'tthc-not-published', channel: 'portal',
      },
      ...(set ? { ruleSet: pinRuleSet(set, 'feedback') } : {}),
    };
    const handle = await env.client.workflow.start('feedbackWorkflow', { taskQueue, workflowId: feedbackWorkflowId(itemId), args: [input] });
    await eventually(() => handle.query(feedbackStateQuery), (v) => v.clocks.length >= 2);
    return handle;
  }

  it('Art 42.3 / 44.1 (2020 draft) vs Art 44.3 / 46.1 (2025 submission): the same item gets the periods and article numbers of its rule set', async () => {
    const under2020 = await (await submitUnder(RULES_2020)).query(feedbackStateQuery);
    const under2025 = await (await submitUnder(RULES_2025_DRAFT)).query(feedbackStateQuery);
    const cases = [[under2020, RULES_2020, 'Art 42.3', 'Art 44.1'], [under2025, RULES_2025_DRAFT, 'Art 44.3', 'Art 46.1']] as const;
    for (const [view, set, classifyArticle, answerArticle] of cases) {
      expect(view.ruleSetId).toBe(set.id);
      const classify = clock(view, 'classify#1')!;
      const answer = clock(view, 'answer#1')!;
      expect({ article: classify.article, ruleSetId: classify.ruleSetId, amount: classify.amount, unit: classify.unit }).toEqual({ article: classifyArticle, ruleSetId: set.id, amount: 5, unit: 'workingDays' });
      expect({ article: answer.article, ruleSetId: answer.ruleSetId, amount: answer.amount, unit: answer.unit }).toEqual({ article: answerArticle, ruleSetId: set.id, amount: 20, unit: 'calendarDays' });
      // Clocks computed from the rule set's period by the working calendar, not a literal.
      expect(classify.dueAt).toBe(calendar.computeDeadline({ from: view.receivedAt, amount: 5, unit: 'workingDays' }).dueAt);
    }
    // The 2025 text changes no period: the 2025 set inherits them (marked), and only the numbering differs.
    expect(RULES_2025_DRAFT.periods['feedback.classify']).toMatchObject({ amount: 5, unit: 'workingDays', inheritedFrom: RULES_2020.id });
    // The projection names the rule set of each clock.
    const rows = await database.db.select({ key: slaClocks.clockKey, article: slaClocks.article, ruleSetId: slaClocks.ruleSetId }).from(slaClocks)
      .where(eq(slaClocks.workflowId, under2025.workflowId)).orderBy(asc(slaClocks.clockKey));
    expect(rows).toEqual([{ key: 'answer#1', article: 'Art 46.1', ruleSetId: RULES_2025_DRAFT.id }, { key: 'classify#1', article: 'Art 44.3', ruleSetId: RULES_2025_DRAFT.id }]);
  });

  it('Art 44.1 without a pinned rule set (items started before rule sets existed): the 2020 baseline applies, named on every clock', async () => {
    const view = await (await submitUnder(undefined)).query(feedbackStateQuery);
    expect(view.ruleSetId).toBe(RULES_2020.id);
    expect(clock(view, 'answer#1')).toMatchObject({ article: 'Art 44.1', amount: 20, unit: 'calendarDays', ruleSetId: RULES_2020.id });
  });

  it('Art 42.3c: a case keeps its pinned rule set across a transfer (continue-as-new); it never re-reads the store, so a newer set in force changes nothing', async () => {
    const handle = await submitUnder(RULES_2020);
    await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'transfer', toAgency: 'BYT', reason: 'thuộc thẩm quyền Bộ Y tế' }] });
    const after = await eventually(() => handle.query(feedbackStateQuery), (v) => v.round === 2 && v.clocks.some((c) => c.key === 'classify#2'));
    expect(after.agency).toBe('BYT');
    expect(clock(after, 'classify#2')).toMatchObject({ article: 'Art 42.3', amount: 5, ruleSetId: RULES_2020.id });
    expect(await handle.query(caseRuleSetQuery)).toMatchObject({ id: RULES_2020.id });
  });

  it('Project rule (SPEC §5): only VPCP moves a running case to another rule set, with a reason; later clocks use it, the change is recorded and carried across continue-as-new', async () => {
    const handle = await submitUnder(RULES_2020);
    const ruleSet = { id: RULES_2025_DRAFT.id, periods: RULES_2025_DRAFT.periods };
    expect((await refusal(handle.executeUpdate(changeRuleSetUpdate, { args: [{ actor: btp, reason: 'an agency tries', ruleSet }] }))).type).toBe('Forbidden');
    expect((await refusal(handle.executeUpdate(changeRuleSetUpdate, { args: [{ actor: vpcp, reason: ' ', ruleSet }] }))).type).toBe('Validation');
    const changed = await handle.executeUpdate(changeRuleSetUpdate, { args: [{ actor: vpcp, reason: 'Decision adopted: apply the 2025 Regulation to open items', ruleSet }] });
    expect(changed.id).toBe(RULES_2025_DRAFT.id);
    expect(Object.keys(changed.periods).every((id) => id.startsWith('feedback.'))).toBe(true);
    expect(changed.changes).toMatchObject([{ from: RULES_2020.id, to: RULES_2025_DRAFT.id, by: 'VPCP/vpcp-officer' }]);
    // The running clock keeps the period it started with; the next round's clocks use the new set.
    expect(clock(await handle.query(feedbackStateQuery), 'classify#1')).toMatchObject({ article: 'Art 42.3', ruleSetId: RULES_2020.id });
    await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'transfer', toAgency: 'BYT', reason: 'thuộc thẩm quyền Bộ Y tế' }] });
    const after = await eventually(() => handle.query(feedbackStateQuery), (v) => v.round === 2 && v.clocks.some((c) => c.key === 'classify#2'));
    expect(clock(after, 'classify#2')).toMatchObject({ article: 'Art 44.3', ruleSetId: RULES_2025_DRAFT.id });
    expect(after.ruleSetId).toBe(RULES_2025_DRAFT.id);
    expect((await handle.query(caseRuleSetQuery)).changes).toHaveLength(1);
  });
});
