/**
 * Generates the committed replay samples of the P3 process (citizen feedback, PAKN):
 *   npx tsx scripts/generate-feedback-replay-samples.ts [outDir]     (default test/replay/histories/)
 * It runs on the harness of scripts/replay-samples.ts (its own database `dvcqg_feedback_samples`, a
 * dev server, a real Worker); each item is started exactly as POST /v1/feedback does (same input,
 * fingerprint, reuse policy, actors from the token) and driven through its updates.
 * Cases captured (under patch `feedback-progress-windows-from-day-20`):
 *   feedbackWorkflow-clarifiedTransferredCheckedByDispatcher-run{1,2,3}
 *                                                        clarification asked (Art 42.3b), the citizen supplements:
 *                                                        a new round, continued as new; transferred to the competent
 *                                                        agency (Art 42.3c): a new round, continued as new; that agency
 *                                                        accepts and answers; the transferring agency returns the
 *                                                        answer once, then approves and publishes it (Art 45); completed
 *   feedbackWorkflow-paperItemWindowsFromDay20           typed in from paper by an officer (Art 42.2b: name and address
 *                                                        only, so no SMS or e-mail), received 25 days earlier: the first
 *                                                        progress window opens at day 20 while it is unclassified and is
 *                                                        met by an update, the next one waits for its start (Art 44.1);
 *                                                        accepted, answered, checked by another officer (four eyes) and
 *                                                        published; completed
 *   feedbackWorkflow-escalatedDuringProcessing-run{1,2}  accepted, coordinated; the handler escalates to VPCP during
 *                                                        processing (Art 42.3đ): a new round, continued as new; VPCP
 *                                                        accepts, answers, checks and publishes; completed
 *   feedbackWorkflow-stateSecretRemoved                  accepted, a progress note; found to involve state secrets and
 *                                                        taken off the system (Art 44.3); completed
 * The older samples feedbackWorkflow-acceptedThenPublished and
 * feedbackWorkflow-clarifiedTransferredThenPublished-run{1,2,3} were recorded before that patch and are
 * kept, not regenerated: they prove that histories of cases started earlier still replay; so does
 * feedbackWorkflow-lateAcceptanceWindowsBeforePatch (recorded once from the code before the patch, on the
 * time-skipping server, where days can pass: its progress windows follow the old rhythm).
 * Clocks run in real time (the dev server does not skip time): the window sample backdates its receipt;
 * other breach paths are covered by the SLA fixture's samples (slaFixtureWorkflow-breachedThenLate).
 */
import { createHash } from 'node:crypto';
import { WorkflowIdReusePolicy, type WorkflowHandle } from '@temporalio/client';
import type { ActorRef } from '../workflows/actors.js';
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
  supplementFeedbackUpdate,
  type FeedbackOutcome,
  type FeedbackSubmission,
  type FeedbackView,
  type FeedbackWorkflowInput,
} from '../workflows/feedback.definitions.js';
import { btp, ensure, officer, portal, runSampleGenerator, until, type Sample, type SampleContext } from './replay-samples.js';

const btpReviewer = officer('BTP', 'sample-reviewer-btp');
const byt = officer('BYT', 'sample-officer-byt');
const btc = officer('BTC', 'sample-officer-btc');
const vpcp: ActorRef = { userId: 'sample-vpcp-officer', role: 'vpcp', agency: 'VPCP' };
const vpcpReviewer: ActorRef = { userId: 'sample-vpcp-reviewer', role: 'vpcp', agency: 'VPCP' };
const PORTAL_ACCOUNT = 'sample-acc-001';
/** How far back the paper item was received: past day 20, before the end of the first 7-day window. */
const PAPER_RECEIVED_DAYS_AGO = 25;

const submission = (content: string): FeedbackSubmission => ({
  sender: { name: 'Nguyễn Văn An', address: '12 Tràng Tiền, Hà Nội', phone: '0912345678', email: 'an.nguyen@example.vn', portalAccountId: PORTAL_ACCOUNT },
  content, agency: 'BTP', tthcCode: '1.001234', category: 'tthc-not-published', channel: 'portal',
});

runSampleGenerator({
  name: 'feedback-replay-samples',
  database: 'dvcqg_feedback_samples',
  cases: async (ctx) => [
    await clarifiedTransferredSample(ctx), await paperItemWindowsSample(ctx), await escalatedSample(ctx), await stateSecretSample(ctx),
  ],
});

/** As POST /v1/feedback: the item id and fingerprint derived the way the route derives them (Portal by default). */
async function start({ client, taskQueue }: SampleContext, idempotencyKey: string, body: FeedbackSubmission, by: ActorRef = portal, receivedAt?: string): Promise<WorkflowHandle> {
  const itemId = createHash('sha256').update(`${by.role}|${by.agency ?? ''}|${idempotencyKey}`).digest('hex').slice(0, 24);
  const input: FeedbackWorkflowInput = {
    itemId, submission: body, submittedBy: by, fingerprint: createHash('sha256').update(JSON.stringify(body)).digest('hex'), ...(receivedAt ? { receivedAt } : {}),
  };
  return client.workflow.start('feedbackWorkflow', {
    taskQueue, workflowId: feedbackWorkflowId(itemId), args: [input], workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  });
}

async function submit(ctx: SampleContext, idempotencyKey: string, content: string): Promise<WorkflowHandle> {
  const handle = await start(ctx, idempotencyKey, submission(content));
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

/** Accepted and answered by `handler`; checked by `reviewer` (the body that dispatched it, Art 45), after `returnFirst` a return. */
async function answerAndPublish(handle: WorkflowHandle, handler: ActorRef, reviewer: ActorRef, answer: string, returnFirst?: string): Promise<void> {
  const accepted = await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: handler, decision: 'accept' }] });
  ensure(accepted.status, 'processing', 'accepted');
  const enter = async () => {
    const entered = await handle.executeUpdate(resultFeedbackUpdate, { args: [{ actor: handler, answer, resultObtainedAt: accepted.acceptedAt as string }] });
    ensure(entered.status, 'in-review', 'result entered');
    ensure(entered.reviewingAgency, reviewer.role === 'vpcp' ? 'VPCP' : reviewer.agency, 'reviewing agency');
  };
  await enter();
  if (returnFirst) {
    ensure((await handle.executeUpdate(reviewFeedbackUpdate, { args: [{ actor: reviewer, decision: 'return', reason: returnFirst }] })).status, 'processing', 'returned');
    await enter();
  }
  ensure((await handle.executeUpdate(reviewFeedbackUpdate, { args: [{ actor: reviewer, decision: 'approve' }] })).status, 'approved', 'reviewed');
  const published = await handle.executeUpdate(publishFeedbackUpdate, { args: [{ actor: reviewer, publicQuestion: 'Đề nghị công khai thành phần hồ sơ của thủ tục.' }] });
  ensure(published.clocks.find((c) => c.key === `answer#${published.round}`)?.completedAt !== undefined, true, 'answer clock completed');
  ensure(((await handle.result()) as FeedbackOutcome).status, 'published', 'outcome');
}

async function clarifiedTransferredSample(ctx: SampleContext): Promise<Sample> {
  const handle = await submit(ctx, 'sample-feedback-2', 'Thủ tục cấp giấy phép hành nghề khám bệnh, chữa bệnh yêu cầu nhiều giấy tờ trùng lặp.');
  const asked = await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'clarify', reason: 'Đề nghị nêu rõ giấy tờ trùng lặp / please name the duplicated documents' }] });
  ensure(asked.status, 'awaiting-supplement', 'clarification asked');
  await handle.executeUpdate(supplementFeedbackUpdate, { args: [{ actor: portal, portalAccountId: PORTAL_ACCOUNT, content: 'Bản sao văn bằng chuyên môn phải nộp hai lần. / The diploma copy is required twice.' }] });
  await roundOpen(handle, 2);
  await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'transfer', toAgency: 'BYT', reason: 'Thuộc thẩm quyền Bộ Y tế / within the Ministry of Health\'s competence' }] });
  ensure((await roundOpen(handle, 3)).agency, 'BYT', 'transferred');
  await answerAndPublish(handle, byt, btp, 'Bộ Y tế đã bỏ yêu cầu nộp bản sao thứ hai. / The Ministry dropped the second copy.',
    'Chưa nêu thời điểm áp dụng / please say from when it applies');
  return { name: 'feedbackWorkflow-clarifiedTransferredCheckedByDispatcher', handle, runs: 3 };
}

async function paperItemWindowsSample(ctx: SampleContext): Promise<Sample> {
  const body: FeedbackSubmission = {
    sender: { name: 'Phạm Thị Dung', address: 'Thôn 3, xã Tân Lập, tỉnh Phú Thọ' },
    content: 'Đơn gửi qua bưu điện: thủ tục đăng ký khai sinh tại xã yêu cầu bản sao giấy tờ không có trong quy định.',
    agency: 'BTP', tthcCode: '1.001193', category: 'tthc-handling-mismatch', channel: 'paper',
  };
  const receivedAt = new Date(Date.now() - PAPER_RECEIVED_DAYS_AGO * 86_400_000).toISOString();
  const handle = await start(ctx, 'sample-feedback-paper', body, btp, receivedAt);
  let view: FeedbackView | undefined;
  await until(async () => (view = await handle.query(feedbackStateQuery)).progressWindow === 1, `${handle.workflowId} first progress window`);
  ensure(view?.status, 'received', 'window opened while unclassified');
  const updated = await handle.executeUpdate(progressFeedbackUpdate, { args: [{ actor: btp, note: 'Đang xác minh với Ủy ban nhân dân xã. / Checking with the commune.' }] });
  ensure(updated.clocks.find((c) => c.key === 'progress#1.1')?.outcome, 'met', 'window 1 met');
  ensure(updated.clocks.find((c) => c.key === 'progress#1.2')?.startedAt, updated.clocks.find((c) => c.key === 'progress#1.1')?.dueAt, 'window 2 starts where window 1 ends');
  await answerAndPublish(handle, btp, btpReviewer, 'Ủy ban nhân dân xã đã bỏ yêu cầu bản sao. / The commune dropped the copy.');
  return { name: 'feedbackWorkflow-paperItemWindowsFromDay20', handle, runs: 1 };
}

async function escalatedSample(ctx: SampleContext): Promise<Sample> {
  const handle = await submit(ctx, 'sample-feedback-3', 'Quy định về lệ phí cấp phiếu lý lịch tư pháp chồng chéo giữa hai bộ.');
  ensure((await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'accept' }] })).status, 'processing', 'accepted');
  await handle.executeUpdate(coordinateFeedbackUpdate, { args: [{ actor: btp, agencies: ['BTC'], request: 'Đề nghị cho ý kiến về mức lệ phí. / Your view on the fee, please.' }] });
  await handle.executeUpdate(answerCoordinationFeedbackUpdate, { args: [{ actor: btc, answer: 'Không thống nhất phương án. / We disagree.' }] });
  await handle.executeUpdate(escalateFeedbackUpdate, { args: [{ actor: btp, ground: 'agencies-disagree', reason: 'Hai bộ không thống nhất được phương án xử lý. / The ministries cannot agree.' }] });
  ensure((await roundOpen(handle, 2)).agency, 'VPCP', 'escalated');
  await answerAndPublish(handle, vpcp, vpcpReviewer, 'Thủ tướng Chính phủ đã giao Bộ Tài chính quy định mức lệ phí. / The PM assigned the fee to the Ministry of Finance.');
  return { name: 'feedbackWorkflow-escalatedDuringProcessing', handle, runs: 2 };
}

async function stateSecretSample(ctx: SampleContext): Promise<Sample> {
  const handle = await submit(ctx, 'sample-feedback-4', 'Phản ánh về thủ tục cấp phép liên quan đến một công trình quốc phòng.');
  ensure((await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'accept' }] })).status, 'processing', 'accepted');
  await handle.executeUpdate(progressFeedbackUpdate, { args: [{ actor: btp, note: 'Đang xác minh. / Checking.' }] });
  ensure((await handle.executeUpdate(removeStateSecretFeedbackUpdate, { args: [{ actor: btp }] })).status, 'state-secret', 'removed');
  ensure(((await handle.result()) as FeedbackOutcome).status, 'state-secret', 'outcome');
  return { name: 'feedbackWorkflow-stateSecretRemoved', handle, runs: 1 };
}
