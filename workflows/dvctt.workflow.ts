import { condition, continueAsNew, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { shortActivity } from './activity-options.js';
import { ActionGate, refuse, requireAgency, requireRole, type ActionRecord, type ActorRef } from './actors.js';
import { SlaTracker } from './sla.js';
import type { ClockSpec, SlaClock } from './sla.definitions.js';
import {
  acceptsNewDossiers,
  closeDvcttLoopUpdate,
  confirmDvcttTestUpdate,
  DEFAULT_ABANDON_AFTER_WORKING_DAYS,
  DVCTT_PROCESS,
  dvcttStateQuery,
  PROPOSABLE,
  proposeDvcttUpdate,
  reportDvcttFixUpdate,
  resumeDvcttServiceUpdate,
  reviewDvcttProposalUpdate,
  stopDvcttServiceUpdate,
  submitDvcttTestReportUpdate,
  suspendDvcttServiceUpdate,
  withdrawDvcttUpdate,
  tthcRepealedSignal,
  tthcRepealReason,
  type DvcttAction,
  type DvcttActionResult,
  type DvcttAllowedAction,
  type DvcttRound,
  type DvcttStatus,
  type DvcttView,
  type DvcttWorkflowInput,
  type TthcRepealNotice,
} from './dvctt.definitions.js';

const { projectDvctt, sendNotification } = proxyActivities<ReturnType<typeof createActivities>>(shortActivity);

/** The agency's turns in the loop: VPCP may close the loop once the agency has left it idle too long. */
const AGENCY_TURNS: readonly DvcttStatus[] = ['returned', 'published-for-testing', 'unpublished', 'stopped'];
/** Kept in workflow state and carried over; older ones are in the projection (`dvctt_actions`, `dvctt_rounds`). */
const RECENT_ACTIONS = 30;
const RECENT_ROUNDS = 5;
const WITHDRAWABLE: readonly DvcttStatus[] = ['proposed', 'returned', 'published-for-testing', 'test-reported', 'unpublished', 'stopped'];

const hasText = (s: string | undefined): s is string => typeof s === 'string' && s.trim().length > 0;

/**
 * P2: one workflow per declared online service (id from the service code), alive for the whole
 * life of the service on the Portal. The test loop runs in numbered rounds (Art 27.2–27.5), each
 * with its clocks; after go-live VPCP may suspend, stop and resume the service (Art 28.4).
 */
export async function dvcttWorkflow(input: DvcttWorkflowInput): Promise<void> {
  const { service } = input;
  const { workflowId } = workflowInfo();
  const abandonAfter = input.abandonAfterWorkingDays ?? DEFAULT_ABANDON_AFTER_WORKING_DAYS;
  const carried = input.carried;
  let status: DvcttStatus = carried?.status ?? 'declared';
  let statusChangedAt = carried?.statusChangedAt ?? new Date().toISOString();
  const rounds: DvcttRound[] = carried?.rounds ?? [];
  let actions: ActionRecord[] = carried?.actions ?? [];
  let actionSeq = carried?.actionSeq ?? 0;
  let suspensions = carried?.suspensions ?? 0;
  let fixReported = carried?.fixReported;
  // Art 28.1: once the TTHC it delivers is repealed, the service is suspended for good.
  let tthcRepeal = carried?.tthcRepeal;
  let pendingRepeal: TthcRepealNotice | undefined = carried?.pendingRepeal;
  let revision = carried?.projectionRevision ?? 0;
  const finishedClocks: SlaClock[] = carried?.finishedClocks ?? [];
  const sla = new SlaTracker({ process: DVCTT_PROCESS, agency: service.agency, initialStage: status, seed: carried?.openClocks, ruleSet: input.ruleSet ?? null });
  // One action at a time: a handler awaiting a clock or a write is never overtaken by another.
  const gate = new ActionGate();

  const current = (): DvcttRound | undefined => rounds.at(-1);
  const roundNo = (): number => current()?.round ?? 0;
  /** The agency's running abandonment clock, if any (project rule). */
  const abandonClock = (): SlaClock | undefined =>
    sla.list().find((c) => c.key.startsWith('abandon') && c.completedAt === undefined && c.outcome !== 'cancelled');

  // The one table of who may do what, when: validators refuse with its reason, the view lists it.
  const rules: Record<DvcttAction, { by: 'agency' | 'vpcp'; when: () => string | undefined }> = {
    propose: { by: 'agency', when: () => (PROPOSABLE.includes(status) ? undefined : `it can be proposed only when ${PROPOSABLE.join(', ')}`) },
    review: { by: 'vpcp', when: () => (status === 'proposed' ? undefined : 'only a proposed service is reviewed') },
    submitTestReport: { by: 'agency', when: () => (status === 'published-for-testing' ? undefined : 'a test report is sent only while published for testing') },
    confirmTest: { by: 'vpcp', when: () => (status === 'test-reported' ? undefined : 'there is no test report to confirm') },
    suspend: { by: 'vpcp', when: () => (status === 'live' ? undefined : 'only a live service can be suspended') },
    stop: { by: 'vpcp', when: () => (status === 'live' || status === 'suspended' ? undefined : 'only a live or suspended service can be stopped') },
    reportFix: { by: 'agency', when: () => (status !== 'suspended' ? 'only a suspended service needs a fix report' : fixReported ? 'the fix was already reported' : undefined) },
    resume: { by: 'vpcp', when: () => (status !== 'suspended' ? 'only a suspended service can be resumed' : fixReported ? undefined : 'the agency has not reported its fix yet') },
    withdraw: { by: 'agency', when: () => (WITHDRAWABLE.includes(status) ? undefined : 'only a service in the test loop can be withdrawn') },
    close: {
      by: 'vpcp',
      when: () => {
        if (!AGENCY_TURNS.includes(status)) return 'only a loop waiting on the agency can be closed';
        return abandonClock()?.outcome === 'breached' ? undefined : `the agency has not been idle for ${abandonAfter} working days (project rule)`;
      },
    },
  };

  function check(action: DvcttAction, actor: ActorRef | undefined): void {
    gate.assertFree(action);
    const rule = rules[action];
    requireRole(actor, [rule.by], action);
    requireAgency(actor, rule.by === 'vpcp' ? 'VPCP' : service.agency, action);
    const repeal = tthcRepeal ?? pendingRepeal;
    if (repeal) refuse('InvalidTransition', `${action}: service ${service.code} is no longer provided: ${tthcRepealReason(repeal)}`);
    const why = rule.when();
    if (why) refuse('InvalidTransition', `${action}: service ${service.code} is ${status}; ${why}`);
  }
  const requireText = (value: string | undefined, action: DvcttAction, what: string): void => {
    if (!hasText(value)) refuse('Validation', `${action}: ${what} is required`);
  };

  const allowedActions = (): DvcttAllowedAction[] =>
    tthcRepeal ? [] : (Object.keys(rules) as DvcttAction[])
      .filter((a) => rules[a].when() === undefined)
      .map((a) => ({ action: a, by: rules[a].by === 'vpcp' ? 'VPCP' : service.agency }));

  const recentRounds = (): DvcttRound[] => rounds.slice(-RECENT_ROUNDS);

  function view(): DvcttView {
    const clocks = [...finishedClocks, ...sla.list()];
    return {
      workflowId,
      service,
      status,
      acceptsNewDossiers: acceptsNewDossiers(status),
      currentRound: current()?.round,
      rounds: recentRounds().map((r) => ({ ...r, clocks: clocks.filter((c) => r.clockKeys.includes(c.key)) })),
      fixReported,
      ...(tthcRepeal ? { tthcRepeal } : {}),
      allowedActions: allowedActions(),
      actions,
      abandonAfterWorkingDays: abandonAfter,
    };
  }

  /** Records the step in state at once, before the handler's first await. */
  function moveTo(next: DvcttStatus, action: DvcttAction | 'tthcRepealed', actor: ActorRef, note?: string, data?: Record<string, unknown>): ActionRecord {
    const at = new Date().toISOString();
    if (next !== status) statusChangedAt = at;
    status = next;
    const record: ActionRecord = { seq: ++actionSeq, action, actor, at, ...(note ? { note } : {}), ...(data ? { data } : {}) };
    actions = [...actions, record].slice(-RECENT_ACTIONS);
    return record;
  }

  /** Persists the action and answers with where the case stands (compact: the detail is in the query). */
  async function project(action: ActionRecord, round = current()): Promise<DvcttActionResult> {
    sla.setStage(status);
    revision += 1;
    await projectDvctt({
      workflowId, serviceCode: service.code, status, currentRound: current()?.round, statusChangedAt, revision, round, action, ...(tthcRepeal ? { tthcRepeal } : {}),
    });
    return {
      workflowId, serviceCode: service.code, status, acceptsNewDossiers: acceptsNewDossiers(status), currentRound: current()?.round,
      action, allowedActions: allowedActions(),
    };
  }

  async function startClock(round: DvcttRound, spec: Omit<ClockSpec, 'stage'>): Promise<void> {
    round.clockKeys.push(spec.key);
    await sla.start({ ...spec, stage: status });
  }

  /** A period of the case's rule set (`sla.period`), or a project rule's. */
  type LoopPeriod = Pick<ClockSpec, 'amount' | 'unit' | 'article' | 'ruleSetId'>;
  const vpcpClock = (key: string, period: LoopPeriod, step: string, stepVi: string) =>
    ({ key, ...period, step, stepVi, owner: 'VPCP', ownerKind: 'vpcp' as const });
  const agencyClock = (key: string, period: LoopPeriod, step: string, stepVi: string) =>
    ({ key, ...period, step, stepVi, owner: service.agency, ownerKind: 'agency' as const });

  /** Project rule: an agency's turn in the loop is watched for abandonment (shown, never counted as a breach). */
  const startAbandonClock = (round: DvcttRound, key: string) =>
    startClock(round, {
      ...agencyClock(key, { amount: abandonAfter, unit: 'workingDays', article: 'project rule (abandoned loop)' },
        `The agency acts again on the service (else VPCP may close the loop)`, `Bộ, ngành, địa phương tiếp tục thực hiện (nếu không, VPCP có thể đóng quy trình)`),
      kind: 'projectRule',
    });

  async function completeAbandonClock(by: string): Promise<void> {
    const clock = abandonClock();
    if (clock) await sla.complete(clock.key, by);
  }

  async function notifyAgency(step: string, subjectVi: string, subject: string, reasons?: string): Promise<void> {
    const detail = reasons ? ` Lý do / Reasons: ${reasons}` : '';
    await sendNotification({
      key: `${workflowId}:${step}:portal`, workflowId, template: `dvctt.${step.replace(/^round\d+:/, '')}`, channel: 'portal', recipient: service.agency,
      subjectVi: `${subjectVi} — ${service.name} (${service.code})`, subject: `${subject} — ${service.name} (${service.code})`,
      bodyVi: `Dịch vụ công trực tuyến ${service.name} (${service.code}): ${subjectVi}.${detail}`,
      body: `Online service ${service.name} (${service.code}): ${subject}.${detail}`,
      data: { serviceCode: service.code, round: roundNo(), status },
    });
  }

  // Art 27.2: the agency proposes the service for publication for testing; each proposal is a new round.
  setHandler(proposeDvcttUpdate, ({ actor, note }) => gate.run('propose', async () => {
    const round: DvcttRound = { round: roundNo() + 1, proposedAt: new Date().toISOString(), proposedBy: actor.userId, outcome: 'open', clockKeys: [], ...(note ? { proposalNote: note } : {}) };
    rounds.push(round);
    fixReported = undefined;
    const record = moveTo('proposed', 'propose', actor, note, { round: round.round });
    await completeAbandonClock(actor.userId);
    // Art 27.3: VPCP reviews and marks it public within 2 working days.
    await startClock(round, vpcpClock(`review#${round.round}`, sla.period('dvctt.review'), 'VPCP reviews the proposal and publishes the service for testing', 'VPCP rà soát, đánh dấu công khai dịch vụ công để kiểm thử'));
    return project(record);
  }), { validator: ({ actor }) => check('propose', actor) });

  // Art 27.3: approve → published for testing; reject with reasons → back to the agency.
  setHandler(reviewDvcttProposalUpdate, ({ actor, decision, reasons }) => gate.run('review', async () => {
    const round = current() as DvcttRound;
    round.review = { decision, at: new Date().toISOString(), by: actor.userId, ...(reasons ? { reasons } : {}) };
    if (decision === 'reject') round.outcome = 'rejected';
    const record = moveTo(decision === 'approve' ? 'published-for-testing' : 'returned', 'review', actor, reasons, { round: round.round, decision });
    await sla.complete(`review#${round.round}`, actor.userId);
    if (decision === 'approve') {
      // Art 27.4: the agency tests the published service within 5 working days.
      await startClock(round, agencyClock(`test#${round.round}`, sla.period('dvctt.test'), 'The agency tests the published service and sends the test report', 'Bộ, ngành, địa phương kiểm thử dịch vụ công đã công khai và gửi kết quả'));
      await startAbandonClock(round, `abandonTesting#${round.round}`);
      await notifyAgency(`round${round.round}:published`, 'đã được công khai để kiểm thử', 'published for testing');
    } else {
      await startAbandonClock(round, `abandon#${round.round}`);
      await notifyAgency(`round${round.round}:returned`, 'chưa đáp ứng yêu cầu công khai, đề nghị hoàn thiện', 'not published; please fix and propose again', reasons);
    }
    return project(record);
  }), {
    validator: ({ actor, decision, reasons }) => {
      check('review', actor);
      if (decision !== 'approve' && decision !== 'reject') refuse('Validation', 'review: decision must be approve or reject');
      if (decision === 'reject') requireText(reasons, 'review', 'the reasons for not publishing');
    },
  });

  // Art 27.4: the test report — TTHC name, service name, codes of the test dossiers completed.
  setHandler(submitDvcttTestReportUpdate, ({ actor, tthcName, serviceName, dossierCodes }) => gate.run('submitTestReport', async () => {
    const round = current() as DvcttRound;
    round.testReport = { tthcName, serviceName, dossierCodes, at: new Date().toISOString(), by: actor.userId };
    const record = moveTo('test-reported', 'submitTestReport', actor, undefined, { round: round.round, dossierCodes });
    await sla.complete(`test#${round.round}`, actor.userId);
    await completeAbandonClock(actor.userId);
    // Art 27.5: VPCP confirms the result within 2 working days.
    await startClock(round, vpcpClock(`confirm#${round.round}`, sla.period('dvctt.confirm'), 'VPCP confirms the test result', 'VPCP xác nhận kết quả kiểm thử'));
    return project(record);
  }), {
    validator: ({ actor, tthcName, serviceName, dossierCodes }) => {
      check('submitTestReport', actor);
      requireText(tthcName, 'submitTestReport', 'the TTHC name');
      requireText(serviceName, 'submitTestReport', 'the service name');
      if (!Array.isArray(dossierCodes) || dossierCodes.filter(hasText).length === 0) refuse('Validation', 'submitTestReport: at least one test dossier code is required');
    },
  });

  // Art 27.5: pass → stays public, the loop ends (live); fail → unpublished, back to the agency.
  setHandler(confirmDvcttTestUpdate, ({ actor, result, reasons }) => gate.run('confirmTest', async () => {
    const round = current() as DvcttRound;
    round.confirmation = { result, at: new Date().toISOString(), by: actor.userId, ...(reasons ? { reasons } : {}) };
    round.outcome = result === 'pass' ? 'passed' : 'failed';
    const record = moveTo(result === 'pass' ? 'live' : 'unpublished', 'confirmTest', actor, reasons, { round: round.round, result });
    await sla.complete(`confirm#${round.round}`, actor.userId);
    if (result === 'pass') {
      await notifyAgency(`round${round.round}:live`, 'hoàn thành kiểm thử, được cung cấp chính thức', 'test passed; the service is live');
    } else {
      await startAbandonClock(round, `abandon#${round.round}`);
      await notifyAgency(`round${round.round}:unpublished`, 'chưa hoàn thành kiểm thử, đã bỏ công khai, đề nghị hoàn thiện lại', 'test not passed; unpublished, please redo', reasons);
    }
    return project(record);
  }), {
    validator: ({ actor, result, reasons }) => {
      check('confirmTest', actor);
      if (result !== 'pass' && result !== 'fail') refuse('Validation', 'confirmTest: result must be pass or fail');
      if (result === 'fail') requireText(reasons, 'confirmTest', 'the reasons the test did not pass');
    },
  });

  // Art 28.4: tạm ngưng — no new dossiers; those already submitted keep being processed.
  setHandler(suspendDvcttServiceUpdate, ({ actor, reasons }) => gate.run('suspend', async () => {
    suspensions += 1;
    fixReported = undefined;
    const record = moveTo('suspended', 'suspend', actor, reasons, { suspension: suspensions });
    await notifyAgency(`suspension${suspensions}:suspended`, 'bị tạm ngưng cung cấp do chưa bảo đảm chất lượng, đề nghị khắc phục', 'suspended for quality; please fix', reasons);
    return project(record);
  }), { validator: ({ actor, reasons }) => { check('suspend', actor); requireText(reasons, 'suspend', 'the reasons'); } });

  setHandler(reportDvcttFixUpdate, ({ actor, note }) => gate.run('reportFix', async () => {
    fixReported = { at: new Date().toISOString(), by: actor.userId, note };
    const record = moveTo('suspended', 'reportFix', actor, note, { suspension: suspensions });
    return project(record);
  }), { validator: ({ actor, note }) => { check('reportFix', actor); requireText(note, 'reportFix', 'what was fixed'); } });

  setHandler(resumeDvcttServiceUpdate, ({ actor, note }) => gate.run('resume', async () => {
    const record = moveTo('live', 'resume', actor, note, { suspension: suspensions });
    await notifyAgency(`suspension${suspensions}:resumed`, 'được cung cấp trở lại', 'resumed');
    return project(record);
  }), { validator: ({ actor }) => check('resume', actor) });

  // Art 28.4: dừng — unpublished; the service comes back only through a new test round (project rule).
  setHandler(stopDvcttServiceUpdate, ({ actor, reasons }) => gate.run('stop', async () => {
    const round = current() as DvcttRound;
    const record = moveTo('stopped', 'stop', actor, reasons, { round: round.round });
    await startAbandonClock(round, `abandonStopped#${round.round}`);
    await notifyAgency(`round${round.round}:stopped`, 'bị dừng cung cấp do chưa bảo đảm chất lượng, đề nghị hoàn thiện và đề nghị kiểm thử lại', 'stopped for quality; fix it and propose it again', reasons);
    return project(record);
  }), { validator: ({ actor, reasons }) => { check('stop', actor); requireText(reasons, 'stop', 'the reasons'); } });

  async function endLoop(next: 'withdrawn' | 'closed', action: DvcttAction, actor: ActorRef, reasons: string): Promise<DvcttActionResult> {
    const round = current() as DvcttRound;
    if (round.outcome === 'open') round.outcome = next;
    const record = moveTo(next, action, actor, reasons, { round: round.round });
    // Withdrawn or closed, every open clock is moot: cancelled, not met (a breached one stays breached).
    // Histories from before this rule completed the abandonment clock on withdrawal.
    if (next === 'withdrawn' && !patched('dvctt-withdraw-cancels-clocks')) await completeAbandonClock(actor.userId);
    await sla.cancelAll(`${next}: ${reasons}`);
    return project(record);
  }

  setHandler(withdrawDvcttUpdate, ({ actor, reasons }) => gate.run('withdraw', () => endLoop('withdrawn', 'withdraw', actor, reasons)),
    { validator: ({ actor, reasons }) => { check('withdraw', actor); requireText(reasons, 'withdraw', 'the reasons'); } });

  // Project rule: VPCP may close a loop once the agency's abandonment clock has breached.
  setHandler(closeDvcttLoopUpdate, ({ actor, reasons }) => gate.run('close', async () => {
    const result = await endLoop('closed', 'close', actor, reasons);
    await notifyAgency(`round${roundNo()}:closed`, 'quy trình kiểm thử đã bị đóng do không được tiếp tục thực hiện', 'the test loop was closed as abandoned', reasons);
    return result;
  }), { validator: ({ actor, reasons }) => { check('close', actor); requireText(reasons, 'close', 'the reasons'); } });

  setHandler(dvcttStateQuery, view);

  // Art 28.1, 19: the TTHC was repealed (signalled by its decision's workflow once the repeal is in
  // force). Applied in the main loop, after any action in progress; a repeated notice is ignored.
  setHandler(tthcRepealedSignal, (notice) => {
    if (!tthcRepeal && !pendingRepeal) pendingRepeal = notice;
  });

  /**
   * No new dossiers and no new rounds; dossiers already submitted keep being processed (Art 28.4,
   * last sentence). A withdrawn or closed service keeps its status; every other one is suspended.
   */
  const applyRepeal = (notice: TthcRepealNotice) => gate.run('tthcRepealed', async () => {
    tthcRepeal = notice;
    pendingRepeal = undefined;
    const reason = tthcRepealReason(notice);
    const round = current();
    if (round?.outcome === 'open') round.outcome = 'closed';
    const { actor, ...data } = notice;
    const record = moveTo(status === 'withdrawn' || status === 'closed' ? status : 'suspended', 'tthcRepealed', actor, reason, { ...data });
    await sla.cancelAll(`tthc repealed: ${reason}`);
    await notifyAgency('tthc-repealed', `ngừng cung cấp do thủ tục hành chính ${notice.tthcCode} đã bị bãi bỏ`, `no longer provided: TTHC ${notice.tthcCode} was repealed`, reason);
    return project(record, round);
  });

  // Long-lived: the service's whole life on the Portal. Keep history small with continueAsNew.
  const historyFull = () => (input.maxHistoryEvents ? workflowInfo().historyLength >= input.maxHistoryEvents : workflowInfo().continueAsNewSuggested);
  for (;;) {
    await condition(() => historyFull() || (pendingRepeal !== undefined && !gate.busy));
    if (pendingRepeal === undefined || gate.busy) break;
    await applyRepeal(pendingRepeal);
  }
  await sla.settle();
  const openClocks = sla.carryOver();
  const kept = recentRounds();
  const keptKeys = new Set(kept.flatMap((r) => r.clockKeys));
  await continueAsNew<typeof dvcttWorkflow>({
    ...input,
    ruleSet: sla.carriedRuleSet(),
    carried: {
      status, statusChangedAt, rounds: kept, actions, actionSeq, suspensions, fixReported, tthcRepeal, pendingRepeal, projectionRevision: revision, openClocks,
      finishedClocks: [...finishedClocks, ...sla.list().filter((c) => !openClocks.includes(c))].filter((c) => keptKeys.has(c.key)),
    },
  });
}
