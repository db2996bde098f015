/**
 * Generates the committed replay samples of the P1 and P2 processes:
 *   npx tsx scripts/generate-replay-samples.ts [outDir]     (default test/replay/histories/)
 * It runs on the harness of scripts/replay-samples.ts (its own database `dvcqg_samples`, a dev
 * server, a real Worker; one file per run after continue-as-new).
 * Cases captured:
 *   dvcttWorkflow-rejectedThenLive-run{1,2} round 1 rejected (Art 27.3), round 2 published; continued
 *                                           as new with its open clocks carried; tested and passed → live
 *                                           in run 2 (Art 27.4, 27.5)
 *   dvcttWorkflow-suspendedThenResumed      round 1 passes → live; suspended, fix reported, resumed (Art 28.4)
 *   tthcDecisionWorkflow-gapsThenPublished  an incomplete item, check with gaps (Art 16.4), fixed,
 *                                           checked, published (Art 16.5); completed
 *   tthcDecisionWorkflow-repealCascades     a repeal of a central TTHC a province localized: the
 *                                           copy is repealed with it and the province notified (Art 19.1)
 *   tthcReviewWorkflow-returnedThenAccepted a finding, a fix returned, a corrected fix accepted
 *                                           as a new version (Art 24.2a); completed
 *   tthcDecisionWorkflow-repealSuspendsService  a repeal in force today of a TTHC with a live online
 *                                           service: the service is marked and its case signalled (Art 28.1)
 *   dvcttWorkflow-suspendedByTthcRepeal     that service, live, suspended for good by the signal
 *   tthcDecisionWorkflow-enteredAgainContinued-run{1,2}  items entered over and over: continued as new
 *                                           (issue 18.5) with its items, clock and projection revision;
 *                                           checked and published in run 2 (Art 16.4, 16.5)
 * Clocks are started and met in real time (the dev server does not skip time): breach paths are
 * covered by the SLA fixture's samples (slaFixtureWorkflow-breachedThenLate).
 * The dvctt workflows live as long as their service: they are captured while running, then terminated.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { declareService, findService } from '../db/queries/dvctt.js';
import { tthcDecisions } from '../db/schema/index.js';
import type { ActorRef } from '../workflows/actors.js';
import { agencyKey, processKey, stageKey } from '../workflows/search-attributes.js';
import {
  confirmDvcttTestUpdate,
  DVCTT_PROCESS,
  dvcttStateQuery,
  dvcttWorkflowId,
  proposeDvcttUpdate,
  reportDvcttFixUpdate,
  resumeDvcttServiceUpdate,
  reviewDvcttProposalUpdate,
  submitDvcttTestReportUpdate,
  suspendDvcttServiceUpdate,
  type DvcttService,
  type DvcttWorkflowInput,
} from '../workflows/dvctt.definitions.js';
import {
  addTthcItemsUpdate,
  checkTthcDecisionUpdate,
  decideTthcFixUpdate,
  publishTthcDecisionUpdate,
  submitTthcFixUpdate,
  TTHC_PROCESS,
  TTHC_REVIEW_PROCESS,
  tthcDecisionWorkflowId,
  tthcReviewQuery,
  tthcReviewWorkflowId,
  type AuthorityKind,
  type DecisionItem,
  type PublisherKind,
  type StartTthcDecisionInput,
  type StartTthcReviewInput,
  type TthcContent,
} from '../workflows/tthc.definitions.js';
import { decisionIdOf } from '../workflows/tthc.rules.js';
import { btp, ensure, nextRun, officer, runSampleGenerator, until, type Sample, type SampleContext } from './replay-samples.js';

const hanoi = officer('UBND-HN', 'sample-officer-hn');
const vpcp: ActorRef = { userId: 'sample-reviewer-vpcp', role: 'vpcp', agency: 'VPCP' };

/** A TTHC with every component Decree 63 Art 8.2 requires. */
const content = (name: string): TthcContent => ({
  name, field: 'Hộ tịch', level: 'provincial', implementingAgency: 'Sở Tư pháp',
  components: {
    steps: ['Nộp hồ sơ', 'Tiếp nhận và giải quyết', 'Trả kết quả'], channels: ['online', 'in-person'],
    dossier: [{ name: 'Tờ khai', copies: 1 }], processingTime: '5 ngày làm việc', subjects: ['Công dân Việt Nam'],
    result: 'Giấy chứng nhận kết hôn', fees: [{ name: 'Lệ phí', amountVnd: 50_000 }], legalBasis: ['Luật Hộ tịch 2014'],
  },
});

/** The local date (UTC+7) `days` from now. */
const localDate = (days = 0) => new Date(Date.now() + 7 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);

runSampleGenerator({
  name: 'replay-samples',
  database: 'dvcqg_samples',
  cases: async (ctx) => [...(await dvcttSamples(ctx)), ...(await tthcSamples(ctx))],
});

// ── P2: DVCTT ──

async function dvcttSamples({ client, taskQueue, db }: SampleContext): Promise<Sample[]> {
  /** As the API's propose route: declared in the register, started with its search attributes. */
  async function start(code: string, options: Partial<DvcttWorkflowInput> = {}): Promise<WorkflowHandle> {
    const service: DvcttService = { code, name: 'Đăng ký kết hôn trực tuyến', tthcCode: '1.000894', agency: 'BTP', level: 4 };
    await declareService(db, { ...service, declaredBy: btp.userId });
    return client.workflow.start('dvcttWorkflow', {
      taskQueue, workflowId: dvcttWorkflowId(code), args: [{ service, ...options } satisfies DvcttWorkflowInput],
      typedSearchAttributes: [{ key: agencyKey, value: service.agency }, { key: processKey, value: DVCTT_PROCESS }, { key: stageKey, value: 'declared' }],
    });
  }
  const report = { tthcName: 'Đăng ký kết hôn', serviceName: 'Đăng ký kết hôn trực tuyến', dossierCodes: ['000.00.00.H01-250101-0001', '000.00.00.H01-250101-0002'] };
  const propose = (h: WorkflowHandle, note?: string) => h.executeUpdate(proposeDvcttUpdate, { args: [{ actor: btp, ...(note ? { note } : {}) }] });
  const approve = (h: WorkflowHandle) => h.executeUpdate(reviewDvcttProposalUpdate, { args: [{ actor: vpcp, decision: 'approve' }] });
  const reject = (h: WorkflowHandle, reasons: string) => h.executeUpdate(reviewDvcttProposalUpdate, { args: [{ actor: vpcp, decision: 'reject', reasons }] });
  const sendReport = (h: WorkflowHandle) => h.executeUpdate(submitDvcttTestReportUpdate, { args: [{ actor: btp, ...report }] });
  const pass = (h: WorkflowHandle) => h.executeUpdate(confirmDvcttTestUpdate, { args: [{ actor: vpcp, result: 'pass' }] });

  // Round 1 rejected, round 2 published; the history passes its bound (lowered so that the sample
  // stays small: production continues when Temporal suggests it) and the case continues as new
  // with round 2's open clocks carried over; in run 2 the test report completes the carried clock
  // and VPCP's pass takes the service live.
  const looped = await start('DVC-SAMPLE-1', { maxHistoryEvents: 120 });
  const firstRun = (await looped.describe()).runId;
  await propose(looped, 'Đề nghị công khai để kiểm thử / proposed for testing');
  await reject(looped, 'Thiếu biểu mẫu điện tử / e-form missing');
  await propose(looped, 'Đã bổ sung biểu mẫu / e-form added');
  await approve(looped);
  await nextRun(looped, firstRun);
  await sendReport(looped);
  ensure((await pass(looped)).status, 'live', 'dvctt rejectedThenLive');
  ensure((await looped.describe()).runId !== firstRun, true, 'dvctt rejectedThenLive in its second run');

  // Round 1 passes; VPCP suspends the live service, the agency reports its fix, VPCP resumes it.
  const suspended = await start('DVC-SAMPLE-2');
  await propose(suspended);
  await approve(suspended);
  await sendReport(suspended);
  await pass(suspended);
  await suspended.executeUpdate(suspendDvcttServiceUpdate, { args: [{ actor: vpcp, reasons: 'Tỷ lệ lỗi cao / high error rate' }] });
  await suspended.executeUpdate(reportDvcttFixUpdate, { args: [{ actor: btp, note: 'Đã sửa cổng thanh toán / payment fixed' }] });
  ensure((await suspended.executeUpdate(resumeDvcttServiceUpdate, { args: [{ actor: vpcp }] })).status, 'live', 'dvctt suspendedThenResumed');
  return [
    { name: 'dvcttWorkflow-rejectedThenLive', handle: looped, running: true },
    { name: 'dvcttWorkflow-suspendedThenResumed', handle: suspended, running: true },
  ];
}

// ── P1: TTHC decisions and reviews ──

async function tthcSamples({ client, taskQueue, db }: SampleContext): Promise<Sample[]> {
  /** As the API's POST /decisions: signed today, the law in force in 60 days (or `effectiveIn`). */
  async function decision(actor: ActorRef, agencyKind: PublisherKind, authorityKind: AuthorityKind, number: string, effectiveIn = 60, maxHistoryEvents?: number): Promise<WorkflowHandle> {
    const agency = actor.agency as string;
    const decisionId = decisionIdOf(agency, number);
    const input: StartTthcDecisionInput = {
      decisionId, number, title: 'Quyết định công bố thủ tục hành chính lĩnh vực hộ tịch', agency, agencyKind, authorityKind,
      signedOn: localDate(), legalEffectiveOn: localDate(effectiveIn), createdBy: actor,
    };
    return client.workflow.start('tthcDecisionWorkflow', {
      taskQueue, workflowId: tthcDecisionWorkflowId(decisionId), args: [maxHistoryEvents ? { ...input, maxHistoryEvents } : input],
      typedSearchAttributes: [{ key: agencyKey, value: agency }, { key: processKey, value: TTHC_PROCESS }, { key: stageKey, value: 'entering' }],
    });
  }
  const enter = (h: WorkflowHandle, actor: ActorRef, items: DecisionItem[]) => h.executeUpdate(addTthcItemsUpdate, { args: [{ actor, items }] });
  const check = (h: WorkflowHandle, actor: ActorRef) => h.executeUpdate(checkTthcDecisionUpdate, { args: [{ actor }] });
  const publish = (h: WorkflowHandle, actor: ActorRef) => h.executeUpdate(publishTthcDecisionUpdate, { args: [{ actor }] });
  async function publishAll(h: WorkflowHandle, actor: ActorRef, items: DecisionItem[]) {
    await enter(h, actor, items);
    ensure((await check(h, actor)).stage, 'checked', h.workflowId);
    return publish(h, actor);
  }

  const code = '1.000894';
  const { components, ...rest } = content('Đăng ký kết hôn');
  const published = await decision(btp, 'ministry', 'minister', '101/QĐ-BTP');
  await enter(published, btp, [{ kind: 'new', code, content: { ...rest, components: { ...components, dossier: undefined, fees: undefined } } }]);
  ensure((await check(published, btp)).gaps.length, 2, 'tthc gaps');
  await publishAll(published, btp, [{ kind: 'new', code, content: content('Đăng ký kết hôn') }]);
  await published.result();

  const reviewId = randomUUID();
  const reviewInput: StartTthcReviewInput = {
    reviewId, code, version: 1, agency: 'BTP', openedBy: vpcp,
    findings: [{ criterion: 'accuracy', component: 'components.processingTime', detail: 'Thời hạn giải quyết không khớp quyết định công bố' }],
  };
  const review = await client.workflow.start('tthcReviewWorkflow', {
    taskQueue, workflowId: tthcReviewWorkflowId(reviewId), args: [reviewInput],
    typedSearchAttributes: [{ key: agencyKey, value: 'BTP' }, { key: processKey, value: TTHC_REVIEW_PROCESS }, { key: stageKey, value: 'awaiting-fix' }],
  });
  // As the API test does: act once the first round is open. An update delivered with the workflow's
  // first task runs before the main function has opened round 1 and fails the workflow task.
  await until(async () => (await review.query(tthcReviewQuery)).rounds[0]?.dueAt !== undefined, `${review.workflowId} round 1`);
  await review.executeUpdate(submitTthcFixUpdate, { args: [{ actor: btp, note: 'Đã rà soát / reviewed' }] });
  await review.executeUpdate(decideTthcFixUpdate, { args: [{ actor: vpcp, outcome: 'return', reason: 'Chưa sửa thời hạn / processing time not fixed' }] });
  await review.executeUpdate(submitTthcFixUpdate, { args: [{ actor: btp, note: 'Sửa thời hạn giải quyết / processing time fixed', components: { processingTime: '3 ngày làm việc' } }] });
  const accepted = await review.executeUpdate(decideTthcFixUpdate, { args: [{ actor: vpcp, outcome: 'accept' }] });
  ensure(accepted.correctedVersion, 2, 'tthc review');
  await review.result();

  const localized = await decision(hanoi, 'province', 'provincial-chairman', '55/QĐ-UBND');
  await publishAll(localized, hanoi, [{ kind: 'localized', centralCode: code, local: { place: 'Sở Tư pháp Hà Nội', fees: [], legalBasis: [{ number: '12/2025/QĐ-UBND', issuedOn: '2025-06-01' }] } }]);
  await localized.result();
  const repeal = await decision(btp, 'ministry', 'minister', '102/QĐ-BTP', 0);
  ensure((await publishAll(repeal, btp, [{ kind: 'repealed', code }])).cascaded.length, 1, 'tthc repeal cascade');
  await repeal.result();

  // Art 28.1, 19: a live online service of a TTHC repealed with effect today is suspended by the
  // repealing decision's workflow (register marked, the service's case signalled).
  const served = '1.000896';
  const serving = await decision(btp, 'ministry', 'minister', '103/QĐ-BTP', 0);
  await publishAll(serving, btp, [{ kind: 'new', code: served, content: content('Đăng ký lại kết hôn') }]);
  await serving.result();
  const service: DvcttService = { code: 'DVC-SAMPLE-3', name: 'Đăng ký lại kết hôn trực tuyến', tthcCode: served, agency: 'BTP', level: 4 };
  await declareService(db, { ...service, declaredBy: btp.userId });
  const online = await client.workflow.start('dvcttWorkflow', {
    taskQueue, workflowId: dvcttWorkflowId(service.code), args: [{ service } satisfies DvcttWorkflowInput],
    typedSearchAttributes: [{ key: agencyKey, value: service.agency }, { key: processKey, value: DVCTT_PROCESS }, { key: stageKey, value: 'declared' }],
  });
  await online.executeUpdate(proposeDvcttUpdate, { args: [{ actor: btp }] });
  await online.executeUpdate(reviewDvcttProposalUpdate, { args: [{ actor: vpcp, decision: 'approve' }] });
  await online.executeUpdate(submitDvcttTestReportUpdate, { args: [{ actor: btp, tthcName: 'Đăng ký lại kết hôn', serviceName: service.name, dossierCodes: ['000.00.00.H01-250101-0003'] }] });
  await online.executeUpdate(confirmDvcttTestUpdate, { args: [{ actor: vpcp, result: 'pass' }] });
  const repealServed = await decision(btp, 'ministry', 'minister', '104/QĐ-BTP', 0);
  await publishAll(repealServed, btp, [{ kind: 'repealed', code: served }]);
  await repealServed.result();
  // Projected too: the history is captured with the suspension's writes done.
  await until(async () => (await online.query(dvcttStateQuery)).status === 'suspended' && (await findService(db, service.code))?.status === 'suspended', `${online.workflowId} suspended by the repeal`);

  // Issue 18.5: a decision whose items are entered over and over continues as new (here at 40
  // events, not at Temporal's suggestion) carrying its items, open clock and projection revision;
  // the projection was sent only the changed items, and holds exactly the decision's items.
  const long = await decision(btp, 'ministry', 'minister', '105/QĐ-BTP', 60, 40);
  const firstRun = (await long.describe()).runId;
  await enter(long, btp, [{ kind: 'new', code: '1.000897', content: content('Cấp bản sao trích lục kết hôn') }, { kind: 'new', code: '1.000898', content: content('Cấp bản sao trích lục khai sinh') }]);
  for (let round = 1; (await long.describe()).runId === firstRun; round++) {
    if (round > 8) throw new Error(`${long.workflowId} did not continue as new`);
    await long.executeUpdate(addTthcItemsUpdate, { args: [{ actor: btp, items: [{ kind: 'new', code: '1.000899', content: content(`Cấp bản sao trích lục hộ tịch (lần ${round})`) }], remove: ['1.000898'] }] });
  }
  await nextRun(long, firstRun);
  ensure((await check(long, btp)).stage, 'checked', long.workflowId);
  ensure((await publish(long, btp)).versions.length, 2, `${long.workflowId} published`);
  await long.result();
  const [row] = await db.select({ items: tthcDecisions.items }).from(tthcDecisions).where(eq(tthcDecisions.workflowId, long.workflowId));
  ensure(row?.items.map((i) => (i.kind === 'localized' ? i.centralCode : i.code)).join(','), '1.000897,1.000899', `${long.workflowId} projected items`);

  return [
    { name: 'tthcDecisionWorkflow-enteredAgainContinued', handle: long, runs: 2 },
    { name: 'tthcDecisionWorkflow-repealSuspendsService', handle: repealServed },
    { name: 'dvcttWorkflow-suspendedByTthcRepeal', handle: online, running: true },
    { name: 'tthcDecisionWorkflow-gapsThenPublished', handle: published },
    { name: 'tthcReviewWorkflow-returnedThenAccepted', handle: review },
    { name: 'tthcDecisionWorkflow-repealCascades', handle: repeal },
  ];
}
