/**
 * Generates the committed replay sample of a case that runs under a pinned rule set (issue 17.4):
 *   npx tsx scripts/generate-rule-set-replay-samples.ts [outDir]     (default test/replay/histories/)
 * On the harness of scripts/replay-samples.ts (its own database `dvcqg_rule_set_samples`, a dev
 * server, a real Worker). Case captured:
 *   feedbackWorkflow-ruleSetPinnedThenMoved-run{1,2}   received under the rule set in force (pinned by the start
 *                                                      input, as POST /v1/feedback does); VPCP moves it to the 2025
 *                                                      set (changeRuleSetUpdate); transferred (Art 42.3c → 2025
 *                                                      Art 44.3c): a new round, continued as new with the set carried;
 *                                                      the competent agency accepts, answers, the transferring
 *                                                      agency checks and publishes it; completed
 */
import { createHash } from 'node:crypto';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { ruleSetForNewCase } from '../db/queries/rule-sets.js';
import { RULES_2025_DRAFT } from '../domain/rules/index.js';
import type { ActorRef } from '../workflows/actors.js';
import {
  classifyFeedbackUpdate,
  FEEDBACK_PROCESS,
  feedbackStateQuery,
  feedbackWorkflowId,
  publishFeedbackUpdate,
  resultFeedbackUpdate,
  reviewFeedbackUpdate,
  type FeedbackOutcome,
  type FeedbackSubmission,
  type FeedbackWorkflowInput,
} from '../workflows/feedback.definitions.js';
import { changeRuleSetUpdate } from '../workflows/sla.definitions.js';
import { btp, ensure, officer, portal, runSampleGenerator, until, type Sample, type SampleContext } from './replay-samples.js';

const byt = officer('BYT', 'sample-officer-byt');
const vpcp: ActorRef = { userId: 'sample-vpcp-officer', role: 'vpcp', agency: 'VPCP' };

runSampleGenerator({
  name: 'rule-set-replay-samples',
  database: 'dvcqg_rule_set_samples',
  cases: async (ctx) => [await pinnedThenMovedSample(ctx)],
});

async function pinnedThenMovedSample({ client, taskQueue, db }: SampleContext): Promise<Sample> {
  const submission: FeedbackSubmission = {
    sender: { name: 'Lê Văn Cường', address: '8 Hàng Bài, Hà Nội', phone: '0934567890', email: 'cuong.le@example.vn', portalAccountId: 'sample-acc-rules' },
    content: 'Thủ tục cấp chứng chỉ hành nghề dược yêu cầu giấy khám sức khỏe không có trong quy định.',
    agency: 'BTP', category: 'tthc-handling-mismatch', channel: 'portal',
  };
  const itemId = createHash('sha256').update(`portal||sample-feedback-rule-set`).digest('hex').slice(0, 24);
  const ruleSet = await ruleSetForNewCase(db, FEEDBACK_PROCESS);
  if (!ruleSet) throw new Error('no rule set in force');
  const input: FeedbackWorkflowInput = {
    itemId, submission, submittedBy: portal, fingerprint: createHash('sha256').update(JSON.stringify(submission)).digest('hex'), ruleSet,
  };
  const handle = await client.workflow.start('feedbackWorkflow', {
    taskQueue, workflowId: feedbackWorkflowId(itemId), args: [input], workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  });
  await until(async () => (await handle.query(feedbackStateQuery)).clocks.some((c) => c.key === 'classify#1'), 'round 1 clocks');
  const moved = await handle.executeUpdate(changeRuleSetUpdate, {
    args: [{ actor: vpcp, reason: 'Quy chế mới được áp dụng cho các phản ánh đang xử lý. / The new Regulation applies to open items.', ruleSet: { id: RULES_2025_DRAFT.id, periods: RULES_2025_DRAFT.periods } }],
  });
  ensure(moved.id, RULES_2025_DRAFT.id, 'moved');
  await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'transfer', toAgency: 'BYT', reason: 'Thuộc thẩm quyền Bộ Y tế / within the Ministry of Health\'s competence' }] });
  await until(async () => {
    const v = await handle.query(feedbackStateQuery);
    return v.round === 2 && v.clocks.some((c) => c.key === 'classify#2');
  }, 'round 2 clocks');
  const round2 = await handle.query(feedbackStateQuery);
  ensure(round2.clocks.find((c) => c.key === 'classify#2')?.article, 'Art 44.3', 'round 2 under the 2025 set');
  const accepted = await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: byt, decision: 'accept' }] });
  await handle.executeUpdate(resultFeedbackUpdate, { args: [{ actor: byt, answer: 'Bộ Y tế đã bỏ yêu cầu giấy khám sức khỏe. / The requirement was dropped.', resultObtainedAt: accepted.acceptedAt as string }] });
  ensure((await handle.executeUpdate(reviewFeedbackUpdate, { args: [{ actor: btp, decision: 'approve' }] })).status, 'approved', 'reviewed');
  await handle.executeUpdate(publishFeedbackUpdate, { args: [{ actor: btp, publicQuestion: 'Đề nghị bỏ yêu cầu giấy khám sức khỏe không có trong quy định.' }] });
  ensure(((await handle.result()) as FeedbackOutcome).status, 'published', 'outcome');
  return { name: 'feedbackWorkflow-ruleSetPinnedThenMoved', handle, runs: 2 };
}
