import { ActivityFailure, allHandlersFinished, ApplicationFailure, condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { batchActivity, shortActivity } from './activity-options.js';
import { ActionGate, actorCode, refuse, requireAgency, requireRole, type ActorRef } from './actors.js';
import { SlaTracker } from './sla.js';
import {
  decideTthcFixUpdate,
  submitTthcFixUpdate,
  TTHC_REVIEW_PROCESS,
  tthcReviewQuery,
  type ReviewRound,
  type StartTthcReviewInput,
  type TthcPublishResult,
  type TthcReviewState,
} from './tthc.definitions.js';
import { notifyProvinces } from './tthc.notifications.js';

const { projectTthcReview, sendNotification } = proxyActivities<ReturnType<typeof createActivities>>(shortActivity);
// One transaction: the corrected version and the provinces' flags.
const { applyTthcCorrection } = proxyActivities<ReturnType<typeof createActivities>>(batchActivity);

/**
 * Quality review of published TTHC data (Art 24.2a): VPCP states its findings; the agency fixes
 * the data within 10 working days of each request (its clock, one per round); VPCP accepts the
 * fix (a corrected content becomes a new version) or returns it, which opens a new round.
 * The review and its rounds are projected to `tthc_reviews`, whose results are public.
 */
export async function tthcReviewWorkflow(input: StartTthcReviewInput): Promise<TthcReviewState> {
  const { workflowId } = workflowInfo();
  const { openedBy, ruleSet: _ruleSet, ...review } = input;
  const state: TthcReviewState = { ...review, stage: 'awaiting-fix', rounds: [], actions: [] };
  const sla = new SlaTracker({ process: TTHC_REVIEW_PROCESS, agency: input.agency, initialStage: 'awaiting-fix', ruleSet: input.ruleSet ?? null });
  const openedAt = new Date().toISOString();
  let closedAt: string | undefined;
  let revision = 0;
  // One action at a time: a return cannot slip in while an accepted correction is being written.
  const gate = new ActionGate();

  const record = (action: string, actor: ActorRef, data?: Record<string, unknown>) => {
    state.actions.push({ seq: state.actions.length + 1, action, actor, at: new Date().toISOString(), ...(data ? { data } : {}) });
  };
  const project = () => projectTthcReview({ workflowId, revision: ++revision, state, openedAt, closedAt });
  const currentRound = (): ReviewRound => state.rounds[state.rounds.length - 1] as ReviewRound;
  const clockKey = (round: ReviewRound) => `fix#${round.round}`;
  /** A round is open once its clock runs (the first one starts just after the workflow does). */
  const roundOpen = (): boolean => state.rounds.length > 0 && sla.get(clockKey(currentRound())) !== undefined;

  setHandler(tthcReviewQuery, () => state);

  setHandler(
    submitTthcFixUpdate,
    ({ actor, note, components }) => gate.run('submit a fix', async () => {
      const round = currentRound();
      round.fix = { at: new Date().toISOString(), by: actorCode(actor), note, corrected: components !== undefined };
      state.pendingCorrection = components;
      state.stage = 'fix-submitted';
      await sla.complete(clockKey(round), actorCode(actor));
      sla.setStage('fix-submitted');
      record('submit-fix', actor, { round: round.round, corrected: round.fix.corrected });
      await project();
      return state;
    }),
    {
      validator: ({ actor, note }) => {
        gate.assertFree('submit a fix');
        requireRole(actor, ['agency'], 'submit a fix');
        requireAgency(actor, input.agency, 'submit a fix');
        if (state.stage !== 'awaiting-fix') refuse('InvalidTransition', `submit a fix: the review is ${state.stage}`);
        if (!roundOpen()) refuse('InvalidTransition', 'submit a fix: no round of the review is open yet; try again in a moment');
        if (!note?.trim()) refuse('Validation', 'submit a fix: describe the fix in a note');
      },
    },
  );

  setHandler(
    decideTthcFixUpdate,
    ({ actor, outcome, reason }) => gate.run('decide on the fix', async () => {
      const round = currentRound();
      const at = new Date().toISOString();
      if (outcome === 'return') {
        round.decision = { at, by: actorCode(actor), outcome: 'returned', reason };
        record('return-fix', actor, { round: round.round, reason });
        await openRound(reason);
        return state;
      }
      let flagged: TthcPublishResult['flagged'] = [];
      if (state.pendingCorrection) {
        try {
          const corrected = await applyTthcCorrection({ reviewId: input.reviewId, code: input.code, baseVersion: input.version, components: state.pendingCorrection });
          state.correctedVersion = corrected.version;
          flagged = corrected.flagged;
        } catch (err) {
          if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) refuse('InvalidTransition', `accept the fix: ${err.cause.message}`);
          throw err;
        }
      }
      round.decision = { at, by: actorCode(actor), outcome: 'accepted' };
      state.stage = 'accepted';
      closedAt = at;
      sla.setStage('accepted');
      record('accept-fix', actor, { round: round.round, correctedVersion: state.correctedVersion });
      await project();
      // Art 18.2: the correction amended a central TTHC; the provinces that localized it must update their copies.
      await notifyProvinces(workflowId, { cascaded: [], flagged }, {
        vi: `Kết quả rà soát chất lượng dữ liệu của Văn phòng Chính phủ (Điều 24.2a)`, en: `VPCP's data quality review (Art 24.2a)`, data: { reviewId: input.reviewId },
      });
      return state;
    }),
    {
      validator: ({ actor, outcome, reason }) => {
        gate.assertFree('decide on the fix');
        requireRole(actor, ['vpcp'], 'decide on the fix');
        if (state.stage !== 'fix-submitted') refuse('InvalidTransition', `decide on the fix: the review is ${state.stage}`);
        if (outcome !== 'accept' && outcome !== 'return') refuse('Validation', 'decide on the fix: outcome is accept or return');
        if (outcome === 'return' && !reason?.trim()) refuse('Validation', 'return the fix: a reason is required');
      },
    },
  );

  /** Art 24.2a: each request to fix (the first, and every return) gives the agency 10 working days. */
  async function openRound(reason?: string): Promise<void> {
    const round: ReviewRound = { round: state.rounds.length + 1, requestedAt: new Date().toISOString() };
    state.rounds.push(round);
    state.stage = 'awaiting-fix';
    state.pendingCorrection = undefined;
    const fix = sla.period('tthc-review.fix');
    const clock = await sla.start({
      key: clockKey(round),
      ...fix,
      step: `Fix the TTHC data VPCP found wanting (round ${round.round})`,
      stepVi: `Điều chỉnh, hoàn thiện dữ liệu TTHC theo đề nghị của Văn phòng Chính phủ (lần ${round.round})`,
      owner: input.agency,
      ownerKind: 'agency',
      stage: 'awaiting-fix',
    });
    round.dueAt = clock.dueAt;
    await project();
    await sendNotification({
      key: `${workflowId}:${clockKey(round)}:portal`, workflowId, channel: 'portal', recipient: input.agency, template: 'tthc-review-fix',
      subjectVi: `Đề nghị hoàn thiện dữ liệu TTHC ${input.code}`,
      subject: `Request to fix the data of TTHC ${input.code}`,
      bodyVi: `Văn phòng Chính phủ đề nghị điều chỉnh dữ liệu TTHC ${input.code} trong ${fix.amount} ngày làm việc (${fix.article.replace(/^Art /, 'Điều ')})${reason ? `: ${reason}` : ''}.`,
      body: `VPCP asks you to fix the data of TTHC ${input.code} within ${fix.amount} working days (${fix.article})${reason ? `: ${reason}` : ''}.`,
      data: { reviewId: input.reviewId, round: round.round, dueAt: clock.dueAt, findings: input.findings },
    });
  }

  record('open', openedBy, { findings: input.findings.length });
  await openRound();
  await condition(() => state.stage === 'accepted');
  await condition(allHandlersFinished);
  return state;
}
