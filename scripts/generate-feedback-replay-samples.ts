/**
 * Generates the committed replay samples of the P3 process (citizen feedback, PAKN):
 *   npx tsx scripts/generate-feedback-replay-samples.ts [outDir]     (default test/replay/histories/)
 * It runs on the harness of scripts/replay-samples.ts (its own database `dvcqg_feedback_samples`, a
 * dev server, a real Worker); each item is started exactly as POST /v1/feedback does (same input,
 * fingerprint, reuse policy, actors from the token) and driven through its updates.
 * Cases captured:
 *   feedbackWorkflow-acceptedThenPublished               accepted (Art 42.3d), result entered (Art 44.2),
 *                                                        checked by another officer and published (Art 45); completed
 *   feedbackWorkflow-clarifiedTransferredThenPublished-run{1,2,3}
 *                                                        clarification asked (Art 42.3b), the citizen supplements:
 *                                                        a new round, continued as new; transferred to the competent
 *                                                        agency (Art 42.3c): a new round, continued as new; that agency
 *                                                        accepts, answers, checks and publishes; completed
 * Clocks are started and met in real time (the dev server does not skip time): breach paths are
 * covered by the SLA fixture's samples (slaFixtureWorkflow-breachedThenLate).
 */
import { createHash } from 'node:crypto';
import { WorkflowIdReusePolicy, type WorkflowHandle } from '@temporalio/client';
import type { ActorRef } from '../workflows/actors.js';
import {
  classifyFeedbackUpdate,
  feedbackStateQuery,
  feedbackWorkflowId,
  publishFeedbackUpdate,
  resultFeedbackUpdate,
  reviewFeedbackUpdate,
  supplementFeedbackUpdate,
  type FeedbackOutcome,
  type FeedbackSubmission,
  type FeedbackView,
  type FeedbackWorkflowInput,
} from '../workflows/feedback.definitions.js';
import { btp, ensure, officer, portal, runSampleGenerator, until, type Sample, type SampleContext } from './replay-samples.js';

const btpReviewer = officer('BTP', 'sample-reviewer-btp');
const byt = officer('BYT', 'sample-officer-byt');
const bytReviewer = officer('BYT', 'sample-reviewer-byt');
const PORTAL_ACCOUNT = 'sample-acc-001';

const submission = (content: string): FeedbackSubmission => ({
  sender: { name: 'Nguyễn Văn An', address: '12 Tràng Tiền, Hà Nội', phone: '0912345678', email: 'an.nguyen@example.vn', portalAccountId: PORTAL_ACCOUNT },
  content, agency: 'BTP', tthcCode: '1.001234', category: 'tthc-not-published', channel: 'portal',
});

runSampleGenerator({
  name: 'feedback-replay-samples',
  database: 'dvcqg_feedback_samples',
  cases: async (ctx) => [await acceptedSample(ctx), await clarifiedTransferredSample(ctx)],
});

/** As POST /v1/feedback from the Portal: the item id and fingerprint derived the way the route derives them. */
async function submit({ client, taskQueue }: SampleContext, idempotencyKey: string, content: string): Promise<WorkflowHandle> {
  const body = submission(content);
  const itemId = createHash('sha256').update(`${portal.role}||${idempotencyKey}`).digest('hex').slice(0, 24);
  const input: FeedbackWorkflowInput = { itemId, submission: body, submittedBy: portal, fingerprint: createHash('sha256').update(JSON.stringify(body)).digest('hex') };
  const handle = await client.workflow.start('feedbackWorkflow', {
    taskQueue, workflowId: feedbackWorkflowId(itemId), args: [input], workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  });
  await roundOpen(handle, 1);
  return handle;
}

/** The item is in `round` (on the run that started it) with that round's clocks open. */
async function roundOpen(handle: WorkflowHandle, round: number): Promise<FeedbackView> {
  let view: FeedbackView | undefined;
  await until(async () => {
    view = await handle.query(feedbackStateQuery);
    return view.round === round && view.status === 'received' && view.clocks.some((c) => c.key === `classify#${round}` && c.outcome === 'pending');
  }, `${handle.workflowId} round ${round}`);
  return view as FeedbackView;
}

/** Answered by `handler`, checked by `reviewer`, published (Art 44.2, 45). */
async function answerAndPublish(handle: WorkflowHandle, handler: ActorRef, reviewer: ActorRef, answer: string): Promise<void> {
  const accepted = await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: handler, decision: 'accept' }] });
  ensure(accepted.status, 'processing', 'accepted');
  const entered = await handle.executeUpdate(resultFeedbackUpdate, { args: [{ actor: handler, answer, resultObtainedAt: accepted.acceptedAt as string }] });
  ensure(entered.status, 'in-review', 'result entered');
  ensure((await handle.executeUpdate(reviewFeedbackUpdate, { args: [{ actor: reviewer, decision: 'approve' }] })).status, 'approved', 'reviewed');
  const published = await handle.executeUpdate(publishFeedbackUpdate, { args: [{ actor: reviewer }] });
  ensure(published.clocks.find((c) => c.key === `answer#${published.round}`)?.outcome, 'met', 'answer clock');
  ensure(((await handle.result()) as FeedbackOutcome).status, 'published', 'outcome');
}

async function acceptedSample(ctx: SampleContext): Promise<Sample> {
  const handle = await submit(ctx, 'sample-feedback-1', 'Thủ tục cấp phiếu lý lịch tư pháp trên Cổng chưa cập nhật mức phí mới.');
  await answerAndPublish(handle, btp, btpReviewer, 'Mức phí mới đã được cập nhật trên Cổng từ ngày 01/01. / The new fee is published on the Portal since 1 January.');
  return { name: 'feedbackWorkflow-acceptedThenPublished', handle, runs: 1 };
}

async function clarifiedTransferredSample(ctx: SampleContext): Promise<Sample> {
  const handle = await submit(ctx, 'sample-feedback-2', 'Thủ tục cấp giấy phép hành nghề khám bệnh, chữa bệnh yêu cầu nhiều giấy tờ trùng lặp.');
  const asked = await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'clarify', reason: 'Đề nghị nêu rõ giấy tờ trùng lặp / please name the duplicated documents' }] });
  ensure(asked.status, 'awaiting-supplement', 'clarification asked');
  await handle.executeUpdate(supplementFeedbackUpdate, { args: [{ actor: portal, portalAccountId: PORTAL_ACCOUNT, content: 'Bản sao văn bằng chuyên môn phải nộp hai lần. / The diploma copy is required twice.' }] });
  await roundOpen(handle, 2);
  await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'transfer', toAgency: 'BYT', reason: 'Thuộc thẩm quyền Bộ Y tế / within the Ministry of Health\'s competence' }] });
  ensure((await roundOpen(handle, 3)).agency, 'BYT', 'transferred');
  await answerAndPublish(handle, byt, bytReviewer, 'Bộ Y tế đã bỏ yêu cầu nộp bản sao thứ hai. / The Ministry dropped the second copy.');
  return { name: 'feedbackWorkflow-clarifiedTransferredThenPublished', handle, runs: 3 };
}
