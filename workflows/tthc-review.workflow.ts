import { ActivityFailure, allHandlersFinished, ApplicationFailure, condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { actorCode, refuse, requireAgency, requireRole, type ActorRef } from './actors.js';
import { SlaTracker } from './sla.js';
import {
  decideTthcFixUpdate,
  submitTthcFixUpdate,
  TTHC_REVIEW_PROCESS,
  tthcReviewQuery,
  type ReviewRound,
  type StartTthcReviewInput,
  type TthcReviewState,
} from './tthc.definitions.js';
import { REVIEW_FIX_WORKING_DAYS } from './tthc.rules.js';

const { applyTthcCorrection, projectTthcReview, sendNotification } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * Quality review of published TTHC data (Art 24.2a): VPCP states its findings; the agency fixes
 * the data within 10 working days of each request (its clock, one per round); VPCP accepts the
 * fix (a corrected content becomes a new version) or returns it, which opens a new round.
 * The review and its rounds are projected to `tthc_reviews`, whose results are public.
 */
export async function tthcReviewWorkflow(input: StartTthcReviewInput): Promise<TthcReviewState> {
  const { workflowId } = workflowInfo();
  const { openedBy, ...review } = input;
  const state: TthcReviewState = { ...review, stage: 'awaiting-fix', rounds: [], actions: [] };
  const sla = new SlaTracker({ process: TTHC_REVIEW_PROCESS, agency: input.agency, initialStage: 'awaiting-fix' });
  const openedAt = new Date().toISOString();
  let closedAt: string | undefined;
  let revision = 0;

  const record = (action: string, actor: ActorRef, data?: Record<string, unknown>) => {
    state.actions.push({ seq: state.actions.length + 1, action, actor, at: new Date().toISOString(), ...(data ? { data } : {}) });
  };
  const project = () => projectTthcReview({ workflowId, revision: ++revision, state, openedAt, closedAt });
  const currentRound = (): ReviewRound => state.rounds[state.rounds.length - 1] as ReviewRound;
  const clockKey = (round: ReviewRound) => `fix#${round.round}`;

  setHandler(tthcReviewQuery, () => state);

  setHandler(
    submitTthcFixUpdate,
    async ({ actor, note, components }) => {
      const round = currentRound();
      await condition(() => sla.get(clockKey(round)) !== undefined);
      round.fix = { at: new Date().toISOString(), by: actorCode(actor), note, corrected: components !== undefined };
      state.pendingCorrection = components;
      state.stage = 'fix-submitted';
      await sla.complete(clockKey(round), actorCode(actor));
      sla.setStage('fix-submitted');
      record('submit-fix', actor, { round: round.round, corrected: round.fix.corrected });
      await project();
      return state;
    },
    {
      validator: ({ actor, note }) => {
        requireRole(actor, ['agency'], 'submit a fix');
        requireAgency(actor, input.agency, 'submit a fix');
        if (state.stage !== 'awaiting-fix') refuse('InvalidTransition', `submit a fix: the review is ${state.stage}`);
        if (!note?.trim()) refuse('Validation', 'submit a fix: describe the fix in a note');
      },
    },
  );

  setHandler(
    decideTthcFixUpdate,
    async ({ actor, outcome, reason }) => {
      const round = currentRound();
      const at = new Date().toISOString();
      if (outcome === 'return') {
        round.decision = { at, by: actorCode(actor), outcome: 'returned', reason };
        record('return-fix', actor, { round: round.round, reason });
        await openRound(reason);
        return state;
      }
      if (state.pendingCorrection) {
        try {
          const { version } = await applyTthcCorrection({ reviewId: input.reviewId, code: input.code, baseVersion: input.version, components: state.pendingCorrection });
          state.correctedVersion = version;
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
      return state;
    },
    {
      validator: ({ actor, outcome, reason }) => {
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
    const clock = await sla.start({
      key: clockKey(round),
      article: 'Art 24.2a',
      step: `Fix the TTHC data VPCP found wanting (round ${round.round})`,
      stepVi: `Điều chỉnh, hoàn thiện dữ liệu TTHC theo đề nghị của Văn phòng Chính phủ (lần ${round.round})`,
      owner: input.agency,
      ownerKind: 'agency',
      amount: REVIEW_FIX_WORKING_DAYS,
      unit: 'workingDays',
      stage: 'awaiting-fix',
    });
    round.dueAt = clock.dueAt;
    await project();
    await sendNotification({
      key: `${workflowId}:${clockKey(round)}:portal`, workflowId, channel: 'portal', recipient: input.agency, template: 'tthc-review-fix',
      subjectVi: `Đề nghị hoàn thiện dữ liệu TTHC ${input.code}`,
      subject: `Request to fix the data of TTHC ${input.code}`,
      bodyVi: `Văn phòng Chính phủ đề nghị điều chỉnh dữ liệu TTHC ${input.code} trong ${REVIEW_FIX_WORKING_DAYS} ngày làm việc (Điều 24.2a)${reason ? `: ${reason}` : ''}.`,
      body: `VPCP asks you to fix the data of TTHC ${input.code} within ${REVIEW_FIX_WORKING_DAYS} working days (Art 24.2a)${reason ? `: ${reason}` : ''}.`,
      data: { reviewId: input.reviewId, round: round.round, dueAt: clock.dueAt, findings: input.findings },
    });
  }

  record('open', openedBy, { findings: input.findings.length });
  await openRound();
  await condition(() => state.stage === 'accepted');
  await condition(allHandlersFinished);
  return state;
}
