import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { vietnamDateTime } from '../domain/calendar/local-time.js';
import type { UpdateDefinition } from '@temporalio/common';
import type { createActivities } from '../activities/index.js';
import { shortActivity } from './activity-options.js';
import { ActionGate, actorCode, refuse, requireAgency, requireRole, type ActionRecord, type ActorRef } from './actors.js';
import { SlaTracker } from './sla.js';
import type { ClockSpec } from './sla.definitions.js';
import {
  answerCoordinationFeedbackUpdate,
  classifyFeedbackUpdate,
  clockKeys,
  coordinateFeedbackUpdate,
  DEFAULT_FEEDBACK_RULES,
  ESCALATION_GROUNDS,
  escalateFeedbackUpdate,
  FEEDBACK_PROCESS,
  feedbackStateQuery,
  FINAL_STATUSES,
  progressFeedbackUpdate,
  publishFeedbackUpdate,
  removeStateSecretFeedbackUpdate,
  resultFeedbackUpdate,
  reviewFeedbackUpdate,
  STATE_SECRET_REMOVAL,
  supplementFeedbackUpdate,
  type FeedbackAction,
  type FeedbackOutcome,
  type FeedbackSender,
  type FeedbackState,
  type FeedbackStatus,
  type FeedbackView,
  type FeedbackWorkflowInput,
} from './feedback.definitions.js';

const { recordFeedbackChange, publishFeedbackAnswer, removeFeedbackContent, sendNotification } = proxyActivities<ReturnType<typeof createActivities>>(shortActivity);

/** Patch ids (README, versioning rule): histories recorded before these changes replay on the old path. */
const PROGRESS_FROM_DAY_20 = 'feedback-progress-windows-from-day-20';

/** The Portal itself acting (closing an item nobody supplemented). */
const SYSTEM: ActorRef = { userId: 'system', role: 'portal' };
/** Recent actions kept in workflow state; the full log is in `feedback_actions`. */
const RECENT_ACTIONS = 30;

const nowIso = () => new Date().toISOString();
const hasText = (s: string | undefined): s is string => typeof s === 'string' && s.trim().length > 0;

function initialState(input: FeedbackWorkflowInput): FeedbackState {
  const receivedAt = input.receivedAt ?? nowIso();
  return {
    itemId: input.itemId,
    submission: input.submission,
    fingerprint: input.fingerprint,
    submittedBy: input.submittedBy,
    receivingAgency: input.submission.agency,
    agency: input.submission.agency,
    involvedAgencies: [input.submission.agency],
    status: 'received',
    round: 1,
    receivedAt,
    roundStartedAt: receivedAt,
    escalatedFrom: input.escalatedFrom,
    classifications: [],
    supplements: [],
    coordination: [],
    progressWindow: 0,
    reviews: [],
    actions: [],
    actionSeq: 0,
    revision: 0,
  };
}

function actionsAllowed(state: FeedbackState): FeedbackAction[] {
  const coordinationOpen = state.coordination.some((c) => !c.answeredAt);
  const byStatus: Record<FeedbackStatus, FeedbackAction[]> = {
    'received': ['classify', 'progress'],
    'awaiting-supplement': ['supplement'],
    'processing': ['coordinate', 'progress', 'result'],
    'in-review': ['review', 'progress'],
    'approved': ['publish', 'progress'],
    'published': ['reopen'],
    'not-accepted': [],
    'closed': [],
    'state-secret': [],
  };
  const allowed = byStatus[state.status];
  if (FINAL_STATUSES.includes(state.status)) return allowed;
  // Art 42.3đ and 44.3 apply at any stage while the item is open.
  const anyStage: FeedbackAction[] = [...(state.agency === 'VPCP' ? [] : ['escalate' as const]), 'removeStateSecret'];
  return [...allowed, ...(coordinationOpen ? ['answerCoordination' as const] : []), ...anyStage];
}

/**
 * Art 45.1–45.2: the body that received and dispatched the item checks its answer before publication
 * and publishes it — the agency that transferred it to the handling agency (VPCP for the items it
 * transferred); for an agency's own intake (and for VPCP once escalated) the agency itself, where
 * the four-eyes project rule applies. Derived from the routing record, so it holds for every case.
 */
function reviewingAgencyOf(state: FeedbackState): string {
  const routed = state.classifications.findLast((c) => c.decision === 'transfer' || c.decision === 'escalate');
  return routed?.decision === 'transfer' && routed.toAgency === state.agency ? routed.agency : state.agency;
}

/** Art 44.3: what stays once the content is off the system — ids, agencies, category, channel, dates, who did what. */
function withoutContent(state: FeedbackState): void {
  state.submission = { ...state.submission, content: '', sender: { name: '', address: '' } };
  state.supplements = state.supplements.map((s) => ({ ...s, content: '' }));
  state.coordination = state.coordination.map(({ answer, ...c }) => ({ ...c, request: '', ...(answer === undefined ? {} : { answer: '' }) }));
  state.classifications = state.classifications.map(({ reason: _reason, ...c }) => c);
  state.reviews = state.reviews.map(({ reason: _reason, ...r }) => r);
  state.progress = state.progress && { ...state.progress, lastNote: '' };
  state.result = state.result && { ...state.result, answer: '' };
  state.actions = state.actions.map(({ note: _note, ...a }) => a);
}

/**
 * One citizen feedback item (PAKN), from receipt to published answer (Art 42–45). Each receipt is
 * a round — intake, a supplement after a clarification request, a transfer to the competent agency
 * or an escalation to VPCP — with its own clocks counted from the round's start. A new round, and
 * every few progress windows, continue as new so that long-running items keep small histories;
 * the state and the open clocks are carried over.
 */
export async function feedbackWorkflow(input: FeedbackWorkflowInput): Promise<FeedbackOutcome> {
  const rules = { ...DEFAULT_FEEDBACK_RULES, ...input.rules };
  // Art 44.1: progress windows run from day 20 whatever the state; runs before the patch keep the old rhythm.
  const windowsFromDay20 = patched(PROGRESS_FROM_DAY_20);
  const { workflowId } = workflowInfo();
  const state: FeedbackState = input.carried?.state ?? initialState(input);
  const sla = new SlaTracker({ process: FEEDBACK_PROCESS, agency: state.agency, initialStage: state.status, seed: input.carried?.clocks, ruleSet: input.ruleSet ?? null });
  // One officer action at a time: while one awaits its writes and clocks, the others are refused as busy.
  const gate = new ActionGate();
  let continueRequested = false;
  let startRoundNext = false;
  let windowsThisRun = 0;
  // Handlers may arrive before the round's clocks exist; their clock operations wait for them.
  let roundReady = !(input.carried?.startRound ?? true);
  // Nothing is projected before the intake row exists (a newer revision must never be overwritten by it).
  let intakeRecorded = input.carried !== undefined;

  const view = (): FeedbackView => ({ ...state, workflowId, reviewingAgency: reviewingAgencyOf(state), ruleSetId: sla.ruleSetId, actionsAllowed: actionsAllowed(state), clocks: sla.list() });
  const ownerKind = () => (state.agency === 'VPCP' ? ('vpcp' as const) : ('agency' as const));
  const by = (actor: ActorRef) => `${actorCode(actor)}/${actor.userId}`;

  // ---- recording -------------------------------------------------------------------------------

  /** Records an action in state synchronously (so a concurrent validator sees it) and returns it. */
  function note(action: string, actor: ActorRef, text?: string, data?: Record<string, unknown>): ActionRecord {
    const entry: ActionRecord = { seq: ++state.actionSeq, action, actor, at: nowIso(), ...(text ? { note: text } : {}), ...(data ? { data } : {}) };
    state.actions = [...state.actions, entry].slice(-RECENT_ACTIONS);
    state.revision += 1;
    return entry;
  }

  async function persist(action?: ActionRecord, withSubmission = false): Promise<void> {
    if (!withSubmission) await condition(() => intakeRecorded);
    sla.setStage(state.status);
    const { submission: s } = state;
    await recordFeedbackChange({
      item: {
        itemId: state.itemId, workflowId, receivingAgency: state.receivingAgency, agency: state.agency,
        involvedAgencies: state.involvedAgencies, status: state.status, round: state.round, escalatedFrom: state.escalatedFrom,
        receivedAt: state.receivedAt, roundStartedAt: state.roundStartedAt, publishedAt: state.publishedAt,
        closedReason: state.closedReason, revision: state.revision,
      },
      ...(withSubmission
        ? {
            submission: {
              category: s.category, channel: s.channel, tthcCode: s.tthcCode, content: s.content,
              senderName: s.sender.name, senderAddress: s.sender.address, senderPhone: s.sender.phone,
              senderEmail: s.sender.email, portalAccountId: s.sender.portalAccountId,
            },
          }
        : {}),
      ...(action ? { action } : {}),
    });
    intakeRecorded = true;
  }

  /**
   * Art 36.3: SMS and e-mail to the sender, once per step (idempotency key = workflow id + step + channel);
   * a channel the sender gave no number or address for is skipped (items typed in from paper, Art 42.2b).
   */
  async function notifyCitizen(step: string, template: string, subjectVi: string, subject: string, bodyVi: string, body: string, channels: ('sms' | 'email')[] = ['sms', 'email'], sender: FeedbackSender = state.submission.sender) {
    for (const channel of channels) {
      const recipient = channel === 'sms' ? sender.phone : sender.email;
      if (!recipient) continue;
      await sendNotification({
        key: `${workflowId}:${step}:${channel}`, workflowId, template, channel, recipient,
        subjectVi, subject, bodyVi, body, data: { itemId: state.itemId, round: state.round },
      });
    }
  }

  // ---- clocks ------------------------------------------------------------------------------------

  const agencyClock = (spec: Omit<ClockSpec, 'owner' | 'ownerKind' | 'stage'>): ClockSpec => ({ ...spec, owner: state.agency, ownerKind: ownerKind(), stage: state.status });

  /** A receipt (intake, supplement, transfer, escalation): the receiving agency's clocks start now. */
  async function startRound(): Promise<void> {
    const from = state.roundStartedAt;
    // Art 42.3b–c give 5 working days to ask for clarification or transfer; the project applies the
    // same limit to accept/escalate (Art 42.3 sets none), so an unclassified item is visible as late.
    await sla.start(agencyClock({
      key: clockKeys.classify(state.round), ...sla.period('feedback.classify'), from,
      step: 'Classify the feedback (refuse, ask to clarify, transfer, accept or escalate)',
      stepVi: 'Phân loại phản ánh, kiến nghị (không tiếp nhận, đề nghị bổ sung, chuyển, tiếp nhận hoặc chuyển VPCP)',
    }));
    await sla.start(agencyClock({
      key: clockKeys.answer(state.round), ...sla.period('feedback.answer'), from,
      step: 'Process and answer the feedback', stepVi: 'Xử lý, trả lời phản ánh, kiến nghị',
    }));
    roundReady = true;
  }

  /**
   * Art 44.1: past the 20 days, a progress update is due every 7 days until the answer is published.
   * Under the patch window n+1 starts where window n ends: `from` may be ahead, the window opens then.
   */
  async function startWindow(window: number, from: string): Promise<void> {
    state.progressWindow = window;
    windowsThisRun += 1;
    await sla.start(agencyClock({
      key: clockKeys.progress(state.round, window), ...sla.period('feedback.progress'), from,
      step: `Post progress update no. ${window}`, stepVi: `Cập nhật tình hình xử lý lần ${window}`,
    }));
    if (windowsThisRun >= rules.continueAsNewAfterWindows) continueRequested = true;
  }

  // Window changes come from the main loop (a missed window) and from handlers (an update): one at a time.
  let windowQueue: Promise<void> = Promise.resolve();
  function serially(fn: () => Promise<void>): Promise<void> {
    const next = windowQueue.then(fn);
    windowQueue = next.catch(() => undefined);
    return next;
  }

  const currentWindow = () => (state.progressWindow > 0 ? sla.get(clockKeys.progress(state.round, state.progressWindow)) : undefined);
  // Art 44.1: whatever the state (unclassified too); before the patch, only once the item was accepted.
  const windowsActive = () => (windowsFromDay20 ? !FINAL_STATUSES.includes(state.status) : ['processing', 'in-review', 'approved'].includes(state.status));
  const windowOpened = (clock: { startedAt: string }, at: string) => Date.parse(clock.startedAt) <= Date.parse(at);

  function firstWindowDue(): boolean {
    const answer = sla.get(clockKeys.answer(state.round));
    return roundReady && windowsActive() && state.progressWindow === 0 && answer?.outcome === 'breached' && !answer.completedAt;
  }
  function windowMissed(): boolean {
    const current = currentWindow();
    return windowsActive() && current?.outcome === 'breached' && !current.completedAt;
  }

  /** Leaves the current round: the step's clock is done, every other open clock of it becomes moot. */
  async function closeRound(completedKey: string, actor: ActorRef, reason: string): Promise<void> {
    await sla.complete(completedKey, by(actor));
    await sla.cancelAll(reason);
  }

  /** A new receipt in the same case; its clocks start in the next run (with the new agency on the tracker). */
  function beginRound(agency: string, at: string): void {
    state.agency = agency;
    if (!state.involvedAgencies.includes(agency)) state.involvedAgencies = [...state.involvedAgencies, agency];
    state.round += 1;
    state.roundStartedAt = at;
    state.status = 'received';
    state.progressWindow = 0;
    state.acceptedAt = undefined;
    state.result = undefined;
    startRoundNext = true;
    continueRequested = true;
  }

  function supplementMissed(): boolean {
    const wait = sla.get(clockKeys.supplement(state.round));
    return state.status === 'awaiting-supplement' && wait?.outcome === 'breached' && !wait.completedAt;
  }

  /** Project rule: nothing supplemented within the wait → the item is closed and the citizen told. */
  async function closeUnsupplemented(): Promise<void> {
    state.status = 'closed';
    state.closedReason = 'not supplemented in time (project rule)';
    const entry = note('close', SYSTEM, state.closedReason);
    await persist(entry);
    await sla.cancel(clockKeys.supplement(state.round), 'the item was closed: not supplemented in time');
    await notifyCitizen(`closed#${state.round}`, 'feedback.closed',
      'Phản ánh, kiến nghị đã đóng do không được bổ sung', 'Your feedback was closed: it was not supplemented',
      `Phản ánh, kiến nghị mã ${state.itemId} đã đóng vì không nhận được nội dung bổ sung trong thời hạn ${rules.supplementWorkingDays} ngày làm việc. Bạn có thể gửi phản ánh, kiến nghị mới.`,
      `Feedback ${state.itemId} was closed because no supplement arrived within ${rules.supplementWorkingDays} working days. You may send new feedback.`);
  }

  // ---- handlers (register first; validators refuse before anything enters history) -----------------

  /** The officer handling the item now: its agency's officers, or VPCP's once escalated. */
  function requireHandler(actor: ActorRef | undefined, action: string): asserts actor is ActorRef {
    requireRole(actor, ['agency', 'vpcp'], action);
    requireAgency(actor, state.agency, action);
  }
  /** Art 45.1–45.2: the answer is checked and published by the body that received and dispatched the item. */
  function requireReviewer(actor: ActorRef | undefined, action: string): asserts actor is ActorRef {
    requireRole(actor, ['agency', 'vpcp'], action);
    const reviewer = reviewingAgencyOf(state);
    if (actorCode(actor) !== reviewer) {
      refuse('Forbidden', `${action}: the answer is checked and published by ${reviewer}, the body that received and dispatched the item (Art 45.1–45.2)`);
    }
  }
  function requireStatus(action: string, ...allowed: FeedbackStatus[]): void {
    if (!allowed.includes(state.status)) refuse('InvalidTransition', `${action}: not allowed while the item is ${state.status} (allowed when ${allowed.join(' or ')})`);
  }

  function handle<I extends { actor: ActorRef }>(
    action: FeedbackAction,
    update: UpdateDefinition<FeedbackView, [I]>,
    validator: (input: I) => void,
    // Must change state before its first await, so that the main loop sees the change.
    handler: (input: I) => Promise<void>,
  ): void {
    setHandler(update, (i: I) => gate.run(action, async () => {
      await handler(i);
      return view();
    }), {
      validator: (i: I) => {
        gate.assertFree(action);
        validator(i);
      },
    });
  }

  setHandler(feedbackStateQuery, view);

  handle('classify', classifyFeedbackUpdate, (i) => {
    requireHandler(i?.actor, 'classify');
    requireStatus('classify', 'received');
    if (i.decision !== 'accept' && !hasText(i.reason)) refuse('Validation', `classify: a reason is required to ${i.decision} (Art 42.3)`);
    if (i.decision === 'transfer') {
      if (!hasText(i.toAgency)) refuse('Validation', 'classify: transfer needs the competent agency (toAgency)');
      if (i.toAgency === state.agency) refuse('Validation', 'classify: cannot transfer to the agency already handling the item');
      if (i.toAgency === 'VPCP') refuse('Validation', 'classify: use escalate to hand the item to VPCP (Art 42.3đ)');
    }
    if (i.decision === 'escalate' && state.agency === 'VPCP') refuse('InvalidTransition', 'classify: the item is already with VPCP');
  }, async (i) => {
    const round = state.round;
    const at = nowIso();
    state.classifications = [...state.classifications, { round, decision: i.decision, agency: state.agency, at, by: by(i.actor), reason: i.reason, toAgency: i.toAgency }];
    if (i.decision === 'reject') {
      state.status = 'not-accepted';
      state.closedReason = i.reason;
    } else if (i.decision === 'clarify') {
      state.status = 'awaiting-supplement';
    } else if (i.decision === 'accept') {
      state.status = 'processing';
      state.acceptedAt = at;
    } else {
      beginRound(i.decision === 'transfer' ? (i.toAgency as string) : 'VPCP', at);
    }
    const entry = note('classify', i.actor, i.reason, { decision: i.decision, round, ...(i.toAgency ? { toAgency: i.toAgency } : {}) });
    await condition(() => roundReady);
    await persist(entry);
    const classify = clockKeys.classify(round);
    switch (i.decision) {
      case 'accept':
        await sla.complete(classify, by(i.actor));
        return;
      case 'reject': {
        // Art 42.3a: refusing must happen within 2 working days of receipt — recorded when it happens.
        await sla.start(agencyClock({
          key: clockKeys.notAccepted(round), ...sla.period('feedback.notAccepted'), from: state.roundStartedAt,
          step: 'Tell the citizen the feedback is not accepted, with reasons', stepVi: 'Thông báo không tiếp nhận, nêu rõ lý do',
        }));
        await sla.complete(clockKeys.notAccepted(round), by(i.actor));
        await closeRound(classify, i.actor, 'the feedback was not accepted (Art 42.3a)');
        await notifyCitizen(`notAccepted#${round}`, 'feedback.notAccepted',
          'Phản ánh, kiến nghị không được tiếp nhận', 'Your feedback was not accepted',
          `Phản ánh, kiến nghị mã ${state.itemId} không được tiếp nhận. Lý do: ${i.reason}`,
          `Feedback ${state.itemId} was not accepted. Reason: ${i.reason}`);
        return;
      }
      case 'clarify': {
        await closeRound(classify, i.actor, 'clarification requested: the periods restart from the supplement (project rule)');
        const wait = await sla.start({
          key: clockKeys.supplement(round), article: 'project rule (Art 42.3b)', owner: state.submission.sender.portalAccountId ?? 'citizen', ownerKind: 'citizen',
          amount: rules.supplementWorkingDays, unit: 'workingDays', stage: state.status,
          step: 'The citizen supplements or clarifies the feedback', stepVi: 'Người dân, doanh nghiệp bổ sung, làm rõ phản ánh, kiến nghị',
        });
        await notifyCitizen(`supplementRequest#${round}`, 'feedback.supplementRequest',
          'Đề nghị bổ sung, làm rõ phản ánh, kiến nghị', 'Please supplement or clarify your feedback',
          `Cơ quan ${state.agency} đề nghị bổ sung, làm rõ phản ánh, kiến nghị mã ${state.itemId}: ${i.reason}. Hạn bổ sung: ${wait.dueLocal}.`,
          `Agency ${state.agency} asks you to supplement or clarify feedback ${state.itemId}: ${i.reason}. Deadline: ${wait.dueLocal}.`);
        return;
      }
      default:
        await closeRound(classify, i.actor, i.decision === 'transfer' ? `transferred to ${state.agency} (Art 42.3c)` : 'escalated to VPCP (Art 42.3đ)');
    }
  });

  handle('supplement', supplementFeedbackUpdate, (i) => {
    requireRole(i?.actor, ['portal', 'agency'], 'supplement');
    if (i.actor.role === 'agency') requireAgency(i.actor, state.agency, 'supplement');
    else if (state.submission.sender.portalAccountId !== i.portalAccountId) refuse('Forbidden', 'supplement: only the Portal account that sent the feedback may supplement it');
    requireStatus('supplement', 'awaiting-supplement');
    if (!hasText(i.content)) refuse('Validation', 'supplement: content is required');
  }, async (i) => {
    const round = state.round;
    const at = nowIso();
    state.supplements = [...state.supplements, { at, content: i.content, by: by(i.actor) }];
    // Project rule: the supplement is a new receipt, so classification and answer periods restart from it.
    beginRound(state.agency, at);
    const entry = note('supplement', i.actor, undefined, { round, contentLength: i.content.length });
    await persist(entry);
    await closeRound(clockKeys.supplement(round), i.actor, 'supplemented');
  });

  handle('coordinate', coordinateFeedbackUpdate, (i) => {
    requireHandler(i?.actor, 'coordinate');
    requireStatus('coordinate', 'processing');
    if (!hasText(i.request)) refuse('Validation', 'coordinate: the request to the coordinating agencies is required');
    if (!Array.isArray(i.agencies) || i.agencies.length === 0) refuse('Validation', 'coordinate: at least one agency is required');
    if (i.agencies.includes(state.agency)) refuse('Validation', 'coordinate: the handling agency cannot coordinate with itself');
    const open = i.agencies.filter((a) => state.coordination.some((c) => c.agency === a && !c.answeredAt));
    if (open.length > 0) refuse('InvalidTransition', `coordinate: a request to ${open.join(', ')} is still unanswered`);
  }, async (i) => {
    const at = nowIso();
    state.coordination = [...state.coordination, ...i.agencies.map((agency) => ({ agency, request: i.request, requestedAt: at, requestedBy: by(i.actor) }))];
    state.involvedAgencies = [...new Set([...state.involvedAgencies, ...i.agencies])];
    await persist(note('coordinate', i.actor, i.request, { agencies: i.agencies }));
  });

  handle('answerCoordination', answerCoordinationFeedbackUpdate, (i) => {
    requireRole(i?.actor, ['agency'], 'answerCoordination');
    if (FINAL_STATUSES.includes(state.status)) refuse('InvalidTransition', `answerCoordination: the item is ${state.status}`);
    if (!state.coordination.some((c) => c.agency === i.actor.agency && !c.answeredAt)) {
      refuse('Forbidden', `answerCoordination: agency ${i.actor.agency} has no open coordination request on this item`);
    }
    if (!hasText(i.answer)) refuse('Validation', 'answerCoordination: the answer is required');
  }, async (i) => {
    const at = nowIso();
    state.coordination = state.coordination.map((c) => (c.agency === i.actor.agency && !c.answeredAt ? { ...c, answer: i.answer, answeredAt: at, answeredBy: by(i.actor) } : c));
    await persist(note('answerCoordination', i.actor, i.answer));
  });

  handle('progress', progressFeedbackUpdate, (i) => {
    requireHandler(i?.actor, 'progress');
    // Art 44.1: the duty runs whatever the state, so an unclassified item may get its update too.
    requireStatus('progress', 'received', 'processing', 'in-review', 'approved');
    if (!hasText(i.note)) refuse('Validation', 'progress: the progress note is required (Art 44.1)');
  }, async (i) => {
    const at = nowIso();
    state.progress = { count: (state.progress?.count ?? 0) + 1, lastAt: at, lastNote: i.note };
    const count = state.progress.count;
    const entry = note('progress', i.actor, i.note, { window: state.progressWindow });
    await persist(entry);
    // An update completes the current window and opens the next one (none before the 20 days pass):
    // where the current one ends (every 7 days from day 20; an update before it opens meets nothing),
    // or — in runs before the patch — from the update.
    await serially(async () => {
      const current = currentWindow();
      if (!current || current.completedAt || !windowOpened(current, at)) return;
      await sla.complete(current.key, by(i.actor));
      await startWindow(state.progressWindow + 1, windowsFromDay20 ? current.dueAt : at);
    });
    await notifyCitizen(`progress#${count}`, 'feedback.progress',
      'Cập nhật tình hình xử lý phản ánh, kiến nghị', 'Progress on your feedback',
      `Phản ánh, kiến nghị mã ${state.itemId}: ${i.note}`, `Feedback ${state.itemId}: ${i.note}`, ['email']);
  });

  handle('result', resultFeedbackUpdate, (i) => {
    requireHandler(i?.actor, 'result');
    requireStatus('result', 'processing');
    if (!hasText(i.answer)) refuse('Validation', 'result: the answer is required');
    const obtained = Date.parse(i.resultObtainedAt);
    if (Number.isNaN(obtained)) refuse('Validation', 'result: resultObtainedAt must be an ISO instant');
    if (obtained > Date.now()) refuse('Validation', 'result: resultObtainedAt cannot be in the future');
    if (obtained < Date.parse(state.receivedAt)) refuse('Validation', 'result: resultObtainedAt cannot precede the receipt of the feedback');
  }, async (i) => {
    const revision = (state.result?.revision ?? 0) + 1;
    const at = nowIso();
    state.result = { revision, answer: i.answer, resultObtainedAt: new Date(i.resultObtainedAt).toISOString(), enteredAt: at, enteredBy: by(i.actor), agency: state.agency };
    state.status = 'in-review';
    const entry = note('result', i.actor, undefined, { revision, resultObtainedAt: state.result.resultObtainedAt });
    await persist(entry);
    // Art 44.2: the result must be entered within 2 working days of having it — measured at entry.
    const key = clockKeys.resultEntry(state.round, revision);
    await sla.start(agencyClock({
      key, ...sla.period('feedback.resultEntry'), from: state.result.resultObtainedAt,
      step: 'Enter the result of the processing', stepVi: 'Cập nhật kết quả xử lý vào Hệ thống',
    }));
    await sla.complete(key, by(i.actor));
  });

  handle('review', reviewFeedbackUpdate, (i) => {
    requireReviewer(i?.actor, 'review');
    requireStatus('review', 'in-review');
    if (i.decision !== 'approve' && i.decision !== 'return') refuse('Validation', 'review: decision must be approve or return');
    if (i.decision === 'return' && !hasText(i.reason)) refuse('Validation', 'review: a reason is required to return the answer (Art 45.2)');
    // Project rule (four eyes), for an agency checking its own answer: not the officer who entered it.
    if (state.result?.enteredBy === by(i.actor)) refuse('Forbidden', 'review: the officer who entered the result may not review it');
  }, async (i) => {
    const resultRevision = state.result?.revision ?? 0;
    state.reviews = [...state.reviews, { at: nowIso(), by: by(i.actor), decision: i.decision, reason: i.reason, resultRevision }];
    state.status = i.decision === 'approve' ? 'approved' : 'processing';
    await persist(note('review', i.actor, i.reason, { decision: i.decision, resultRevision }));
  });

  /**
   * Project rule (Art 45.1; issue: public answers never show the citizen): the public version of the
   * question must be written by the publishing officer and must not contain the sender's name,
   * phone, e-mail or address as given in the submission.
   */
  function requirePublicQuestion(text: string | undefined): void {
    if (!hasText(text)) refuse('Validation', 'publish: publicQuestion is required — the question as it will be shown on the Portal, with personal details removed');
    const folded = text.toLocaleLowerCase('vi');
    const digits = text.replace(/\D/g, '');
    const { name, address, phone, email } = state.submission.sender;
    const leaks: string[] = [];
    if (hasText(name) && name.trim().length >= 3 && folded.includes(name.trim().toLocaleLowerCase('vi'))) leaks.push('name');
    if (hasText(address) && address.trim().length >= 6 && folded.includes(address.trim().toLocaleLowerCase('vi'))) leaks.push('address');
    const phoneDigits = (phone ?? '').replace(/\D/g, '');
    if (phoneDigits.length >= 6 && digits.includes(phoneDigits.slice(-9))) leaks.push('phone');
    if (hasText(email) && folded.includes(email.trim().toLocaleLowerCase('vi'))) leaks.push('e-mail');
    if (leaks.length) refuse('Validation', `publish: publicQuestion contains the sender's ${leaks.join(', ')}; remove personal details before publishing`);
  }

  handle('publish', publishFeedbackUpdate, (i) => {
    requireReviewer(i?.actor, 'publish');
    requireStatus('publish', 'approved');
    requirePublicQuestion(i.publicQuestion);
  }, async (i) => {
    const at = nowIso();
    state.status = 'published';
    state.publishedAt = at;
    const entry = note('publish', i.actor);
    const result = state.result as NonNullable<FeedbackState['result']>;
    await publishFeedbackAnswer({
      itemId: state.itemId, agency: state.agency, category: state.submission.category, tthcCode: state.submission.tthcCode,
      question: (i.publicQuestion ?? '').trim(), answer: result.answer, receivedAt: state.receivedAt, publishedAt: at, publishedBy: by(i.actor),
    });
    await persist(entry);
    await sla.complete(clockKeys.answer(state.round), by(i.actor));
    // A window not yet open is moot: the clean-up at the end cancels it.
    await serially(async () => {
      const current = currentWindow();
      if (current && !current.completedAt && windowOpened(current, at)) await sla.complete(current.key, by(i.actor));
    });
    await notifyCitizen('published', 'feedback.published',
      'Kết quả trả lời phản ánh, kiến nghị đã được công khai', 'The answer to your feedback is published',
      `Kết quả trả lời phản ánh, kiến nghị mã ${state.itemId} đã được đăng tải công khai trên Cổng Dịch vụ công Quốc gia lúc ${vietnamDateTime(at)}.`,
      `The answer to feedback ${state.itemId} was published on the National Public Service Portal at ${vietnamDateTime(at)} (UTC+7).`);
  });

  handle('escalate', escalateFeedbackUpdate, (i) => {
    requireRole(i?.actor, ['agency', 'vpcp'], 'escalate');
    if (FINAL_STATUSES.includes(state.status)) refuse('InvalidTransition', `escalate: the item is ${state.status}`);
    if (state.agency === 'VPCP') refuse('InvalidTransition', 'escalate: the item is already with VPCP');
    // Art 42.3đ: the handler asks, VPCP takes it over, or a coordinating agency that disagrees asks.
    const own = actorCode(i.actor);
    const coordinating = state.coordination.some((c) => c.agency === own);
    if (own !== state.agency && own !== 'VPCP' && !coordinating) {
      refuse('Forbidden', `escalate: only ${state.agency}, a coordinating agency or VPCP may hand the item to VPCP (Art 42.3đ)`);
    }
    if (!ESCALATION_GROUNDS.includes(i.ground)) refuse('Validation', `escalate: ground must be ${ESCALATION_GROUNDS.join(' or ')} (Art 42.3đ)`);
    if (own !== state.agency && own !== 'VPCP' && i.ground !== 'agencies-disagree') {
      refuse('Validation', 'escalate: a coordinating agency escalates when the agencies cannot agree (ground agencies-disagree, Art 42.3đ)');
    }
    if (!hasText(i.reason)) refuse('Validation', 'escalate: a reason is required (Art 42.3đ)');
  }, async (i) => {
    const round = state.round;
    const at = nowIso();
    const from = state.agency;
    state.classifications = [...state.classifications, { round, decision: 'escalate', agency: from, at, by: by(i.actor), reason: i.reason, ground: i.ground, fromStatus: state.status }];
    beginRound('VPCP', at);
    const entry = note('escalate', i.actor, i.reason, { round, ground: i.ground, from });
    await condition(() => roundReady);
    await persist(entry);
    // Escalating an unclassified item classifies it (Art 42.3đ) when its handler does it; later, nothing to complete.
    if (actorCode(i.actor) === from) await sla.complete(clockKeys.classify(round), by(i.actor));
    await sla.cancelAll('escalated to VPCP (Art 42.3đ)');
  });

  handle('removeStateSecret', removeStateSecretFeedbackUpdate, (i) => {
    requireRole(i?.actor, ['agency', 'vpcp'], 'removeStateSecret');
    if (actorCode(i.actor) !== 'VPCP') requireAgency(i.actor, state.agency, 'removeStateSecret');
    if (FINAL_STATUSES.includes(state.status)) refuse('InvalidTransition', `removeStateSecret: the item is ${state.status}`);
  }, async (i) => {
    // Art 44.3: answered under the state-secret regime, off the system — only a content-free record stays.
    const { sender } = state.submission;
    state.status = 'state-secret';
    state.closedReason = STATE_SECRET_REMOVAL.reason;
    withoutContent(state);
    const entry = note('removeStateSecret', i.actor, undefined, { article: STATE_SECRET_REMOVAL.article });
    await persist(entry);
    await removeFeedbackContent({ itemId: state.itemId, workflowId });
    // Project rule: the sender learns why the item left the Portal (nothing of its content in the message).
    await notifyCitizen('stateSecret', 'feedback.stateSecret',
      'Phản ánh, kiến nghị được xử lý theo chế độ mật', 'Your feedback is handled under the state-secret regime',
      `Phản ánh, kiến nghị mã ${state.itemId}: ${STATE_SECRET_REMOVAL.reasonVi}`,
      `Feedback ${state.itemId}: ${STATE_SECRET_REMOVAL.reason}`, ['sms', 'email'], sender);
  });

  // ---- the case ----------------------------------------------------------------------------------

  if (!input.carried) {
    await persist(note('submit', state.submittedBy, undefined, { channel: state.submission.channel }), true);
    await startRound();
    // Art 36.3a: the citizen learns when the feedback was received.
    await notifyCitizen('receipt', 'feedback.receipt',
      'Đã tiếp nhận phản ánh, kiến nghị', 'Your feedback has been received',
      `Phản ánh, kiến nghị mã ${state.itemId} đã được tiếp nhận lúc ${vietnamDateTime(state.receivedAt)} và chuyển tới ${state.agency}.`,
      `Feedback ${state.itemId} was received at ${vietnamDateTime(state.receivedAt)} (UTC+7) and sent to ${state.agency}.`);
  }
  if (!roundReady) await startRound();

  while (!FINAL_STATUSES.includes(state.status)) {
    await condition(() =>
      FINAL_STATUSES.includes(state.status) || continueRequested || workflowInfo().continueAsNewSuggested ||
      firstWindowDue() || windowMissed() || supplementMissed());
    if (firstWindowDue()) {
      await serially(async () => {
        if (!firstWindowDue()) return;
        const answer = sla.get(clockKeys.answer(state.round));
        // From the end of the 20 days — before the patch, from acceptance if the item was accepted later.
        const dueAt = answer?.dueAt ?? nowIso();
        const acceptedAt = (!windowsFromDay20 && state.acceptedAt) || dueAt;
        await startWindow(1, Date.parse(acceptedAt) > Date.parse(dueAt) ? acceptedAt : dueAt);
      });
    } else if (windowMissed()) {
      // A window without an update stays breached; the next one starts where it ended.
      await serially(async () => {
        const missed = currentWindow();
        if (!missed || !windowMissed()) return;
        await sla.cancel(missed.key, 'the window passed without a progress update; the next window started');
        await startWindow(state.progressWindow + 1, missed.dueAt);
      });
    } else if (supplementMissed()) {
      await closeUnsupplemented();
    } else if (!FINAL_STATUSES.includes(state.status)) {
      await sla.settle();
      const carried = { state, clocks: sla.carryOver(), startRound: startRoundNext };
      await continueAsNew<typeof feedbackWorkflow>({ ...input, receivedAt: undefined, ruleSet: sla.carriedRuleSet(), carried });
    }
  }

  // The action that ended the item completes its own clocks first; then whatever is still open is moot.
  await condition(() => !gate.busy);
  await sla.cancelAll(`the item is ${state.status}`);
  await condition(allHandlersFinished);
  return { itemId: state.itemId, status: state.status, round: state.round };
}
