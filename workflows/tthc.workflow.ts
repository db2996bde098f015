import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { DeadlineUnit } from '../domain/calendar/types.js';
import { batchActivity, shortActivity } from './activity-options.js';
import { ActionGate, actorCode, refuse, requireAgency, requireRole, type ActorRef } from './actors.js';
import { dvcttWorkflowId, tthcRepealedSignal, type TthcRepealNotice } from './dvctt.definitions.js';
import { SlaTracker } from './sla.js';
import {
  addTthcItemsUpdate,
  checkTthcDecisionUpdate,
  publishTthcDecisionUpdate,
  TTHC_PROCESS,
  tthcDecisionQuery,
  type CheckGap,
  type DecisionStage,
  type IssueTiming,
  type StartTthcDecisionInput,
  type TthcDecisionState,
  type TthcDecisionSummary,
  type TthcDecisionWorkflowInput,
  type TthcPublishResult,
} from './tthc.definitions.js';
import { notifyProvinces } from './tthc.notifications.js';
import { ISSUE_LEAD_PERIOD, itemKey, itemKindAllowed, PUBLICATION_PERIOD, startOfLocalDay } from './tthc.rules.js';

type Activities = ReturnType<typeof createActivities>;

/** Patch id (README, versioning rule): decisions from before it never continued as new. */
const CONTINUE_AS_NEW = 'tthc-decision-continue-as-new';

const { computeDeadline, projectTthcDecision, recordTthcRepealOnServices } = proxyActivities<Activities>(shortActivity);
// Every item of the decision against the catalogue; publication is one transaction over them all.
const { checkTthcDecision, publishTthcDecision } = proxyActivities<Activities>(batchActivity);

/**
 * One publication decision (Quyết định công bố TTHC), Art 16–20: the agency enters the decision
 * and its items (Art 17 new, 18 amended, 19 repealed, 20 interconnected; 17.2 localized), checks
 * and reconciles them (Art 16.4), and publishes them all at once (Art 16.5). The entry-and-
 * publication clock runs from the signing day (Decree 63 Art 24); the decision's own timing
 * against the law it implements is checked at entry (Decree 63 Art 15) and flagged if late.
 *
 * Histories stay small (issue 18.5): the projection is sent only the items that changed, and a
 * decision whose history grows long (entered and checked over and over) continues as new, carrying
 * its state, its unwritten changes and its open clock.
 */
export async function tthcDecisionWorkflow(input: TthcDecisionWorkflowInput): Promise<TthcDecisionState> {
  const { workflowId } = workflowInfo();
  const { createdBy, ruleSet: _ruleSet, carried, maxHistoryEvents: _maxHistoryEvents, ...decision } = input;
  const state: TthcDecisionState = carried?.state ?? { ...decision, stage: 'entering', items: [], actions: [] };
  const sla = new SlaTracker({ process: TTHC_PROCESS, agency: input.agency, initialStage: state.stage, seed: carried?.clocks, ruleSet: input.ruleSet ?? null });
  let revision = carried?.revision ?? 0;
  let clockStarted = carried !== undefined;
  /** Items changed since the projection last took them: key → the change's number (a later change of the key is sent again). */
  const unprojected = new Map<string, number>((carried?.unprojected ?? []).map((key, i) => [key, i + 1]));
  let changes = unprojected.size;
  const changed = (keys: string[]) => {
    for (const key of keys) unprojected.set(key, ++changes);
  };
  let publishedBy: ActorRef | undefined;
  // One action at a time: items cannot change while they are checked or published.
  const gate = new ActionGate();

  const record = (action: string, actor: ActorRef, data?: Record<string, unknown>) => {
    state.actions.push({ seq: state.actions.length + 1, action, actor, at: new Date().toISOString(), ...(data ? { data } : {}) });
  };
  /**
   * The projection row: the decision's own fields, and only the items changed since the last write
   * (their keys, and the items now under them) — not every item's content at every step.
   */
  const project = async () => {
    const sent = new Map(unprojected);
    const { items, actions: _actions, lastCheck: _lastCheck, publication, ...fields } = state;
    await projectTthcDecision({
      workflowId, revision: ++revision,
      decision: { ...fields, ...(publication ? { publishedAt: publication.publishedAt } : {}) },
      items: { keys: [...sent.keys()], current: items.filter((i) => sent.has(itemKey(i))) },
    });
    for (const [key, change] of sent) if (unprojected.get(key) === change) unprojected.delete(key);
  };
  const guard = (actor: ActorRef | undefined, action: string, stages: DecisionStage[]) => {
    gate.assertFree(action);
    requireRole(actor, ['agency'], action);
    requireAgency(actor, input.agency, action);
    if (!stages.includes(state.stage)) refuse('InvalidTransition', `${action}: the decision is ${state.stage}`);
  };
  /** What an action answers: where the decision stands; its items and content come from the query. */
  const summary = (): TthcDecisionSummary => ({
    decisionId: input.decisionId, stage: state.stage, itemCount: state.items.length, actionSeq: state.actions.length,
    ...(state.lastCheck ? { lastCheck: { at: state.lastCheck.at, gapCount: state.lastCheck.gaps.length } } : {}),
  });

  setHandler(tthcDecisionQuery, () => state);

  // Art 16.3 / 17–20 — cập nhật: items are replaced by code; any change requires a new check.
  setHandler(
    addTthcItemsUpdate,
    ({ actor, items, remove }) => gate.run('enter items', async () => {
      const replaced = new Set([...items.map(itemKey), ...(remove ?? [])]);
      state.items = [...state.items.filter((i) => !replaced.has(itemKey(i))), ...items];
      changed([...replaced]);
      state.stage = 'entering';
      record('enter-items', actor, { items: items.map(itemKey), removed: remove ?? [] });
      await project();
      return summary();
    }),
    {
      validator: ({ actor, items, remove }) => {
        guard(actor, 'enter items', ['entering', 'checked']);
        if (!Array.isArray(items) || (items.length === 0 && !remove?.length)) refuse('Validation', 'enter items: at least one item or removal is required');
        for (const item of items) {
          if (!itemKindAllowed(item.kind, input.agencyKind)) refuse('Validation', `enter items: a ${input.agencyKind} may not list ${item.kind} TTHCs`);
        }
      },
    },
  );

  // Art 16.4 — kiểm tra, rà soát, đối chiếu: completeness and reconciliation with the catalogue.
  setHandler(
    checkTthcDecisionUpdate,
    ({ actor }) => gate.run('check the decision', async () => {
      const { gaps } = await checkTthcDecision({ agency: input.agency, agencyKind: input.agencyKind, signedOn: input.signedOn, items: state.items });
      state.lastCheck = { at: new Date().toISOString(), gaps };
      state.stage = gaps.length === 0 ? 'checked' : 'entering';
      record('check', actor, { gaps: gaps.length });
      await project();
      return { gaps, stage: state.stage };
    }),
    { validator: ({ actor }) => guard(actor, 'check the decision', ['entering', 'checked']) },
  );

  // Art 16.5 — công khai: every item public together, or none.
  setHandler(
    publishTthcDecisionUpdate,
    ({ actor }) => gate.run('publish the decision', async (): Promise<TthcPublishResult> => {
      try {
        await condition(() => clockStarted);
        const publication = await publishTthcDecision({
          decisionId: input.decisionId, workflowId, agency: input.agency, agencyKind: input.agencyKind, items: state.items,
          signedOn: input.signedOn, effectiveOn: input.legalEffectiveOn,
        });
        state.publication = publication;
        publishedBy = actor;
        state.stage = 'published';
        record('publish', actor, { versions: publication.versions.length, cascaded: publication.cascaded.length });
        await sla.complete('publish', actorCode(actor));
        sla.setStage('published');
        await project();
        return publication;
      } catch (err) {
        const failure = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
        if (!failure) throw err;
        // The catalogue moved under the decision (another decision published first): re-check and rebase.
        const gaps = (failure.details?.[0] as CheckGap[] | undefined) ?? [];
        state.stage = 'entering';
        state.lastCheck = { at: new Date().toISOString(), gaps };
        record('publish-refused', actor, { reason: failure.message });
        await project();
        refuse(failure.type === 'TthcConflict' ? 'InvalidTransition' : 'Refused', failure.message);
      }
    }),
    {
      validator: ({ actor }) => {
        guard(actor, 'publish the decision', ['entering', 'checked']);
        if (state.stage !== 'checked') {
          const gaps = state.lastCheck?.gaps ?? [];
          refuse('Refused', gaps.length > 0
            ? `publish: the check (Art 16.4) found ${gaps.length} gap(s): ${gaps.map((g) => `${g.code} ${g.component}: ${g.problem}`).join('; ')}`
            : 'publish: check the decision first (Art 16.4)');
        }
      },
    },
  );

  if (!carried) {
    record('create', createdBy, { number: input.number, signedOn: input.signedOn });
    const deadline = sla.period(PUBLICATION_PERIOD[input.authorityKind]);
    await sla.start({
      key: 'publish',
      ...deadline,
      step: `Enter and publish the decision's TTHCs within ${deadline.amount} working days of signing`,
      stepVi: `Cập nhật, công khai TTHC trong ${deadline.amount} ngày làm việc kể từ ngày ký quyết định công bố`,
      owner: input.agency,
      ownerKind: 'agency',
      stage: 'entering',
      from: startOfLocalDay(input.signedOn),
    });
    clockStarted = true;
    state.issueTiming = await assessIssueTiming(input, sla.period(ISSUE_LEAD_PERIOD[input.agencyKind]));
    await project();
  }

  // Entering and checking last as long as the agency takes: a long history continues as new (once
  // this run has recorded an action of its own: a continued run never continues again at once).
  const actionsAtStart = state.actions.length;
  const historyFull = () => state.actions.length > actionsAtStart &&
    (input.maxHistoryEvents ? workflowInfo().historyLength >= input.maxHistoryEvents : workflowInfo().continueAsNewSuggested);
  const published = () => state.stage === 'published';
  let mayContinue = true;
  for (;;) {
    await condition(() => published() || (mayContinue && historyFull() && !gate.busy));
    if (published()) break;
    // A decision from before this rule waits on, however long its history.
    if (!patched(CONTINUE_AS_NEW)) {
      mayContinue = false;
      continue;
    }
    await sla.settle();
    await condition(() => !gate.busy && allHandlersFinished());
    if (published()) break;
    await continueAsNew<typeof tthcDecisionWorkflow>({
      ...input, ruleSet: sla.carriedRuleSet(),
      carried: { state, revision, unprojected: [...unprojected.keys()], clocks: sla.carryOver() },
    });
  }
  const publication = state.publication as TthcPublishResult;
  await notifyProvinces(workflowId, publication, {
    vi: `Quyết định ${state.number} (${state.agency})`, en: `Decision ${state.number} (${state.agency})`, data: { decisionId: state.decisionId },
  });
  // Decisions published before this rule ended here.
  if (patched('tthc-repeal-suspends-dvctt')) await suspendServicesOfRepealed(input, publication, publishedBy as ActorRef);
  await condition(allHandlersFinished);
  return state;
}

/**
 * Art 19, 28.1: a repealed TTHC's online services stop taking new dossiers once the repeal is in
 * force — from the start of the decision's effective day, not from its publication (the TTHC is
 * law until then). The services bound to the repealed TTHCs (and to the copies the repeal
 * cascaded to) are marked in the register, and each running service case is signalled; the
 * signal is a command in this history, so it is sent once.
 */
async function suspendServicesOfRepealed(input: StartTthcDecisionInput, publication: TthcPublishResult, actor: ActorRef): Promise<void> {
  const codes = [...publication.versions.filter((v) => v.kind === 'repealed').map((v) => v.code), ...publication.cascaded.map((c) => c.code)];
  if (codes.length === 0) return;
  // Not a deadline anyone must meet: the instant the repeal takes legal effect.
  const wait = Date.parse(startOfLocalDay(input.legalEffectiveOn)) - Date.now();
  if (wait > 0) await sleep(wait);
  const notice: Omit<TthcRepealNotice, 'tthcCode'> = { decisionId: input.decisionId, decisionNumber: input.number, effectiveOn: input.legalEffectiveOn, actor };
  const services = await recordTthcRepealOnServices({ codes, notice });
  for (const service of services) {
    if (!service.started) continue;
    try {
      await getExternalWorkflowHandle(dvcttWorkflowId(service.serviceCode)).signal(tthcRepealedSignal, { ...notice, tthcCode: service.tthcCode });
    } catch (err) {
      // The service's case is gone (terminated by an operator): its register row records the repeal.
      log.warn('repeal notice not delivered', { serviceCode: service.serviceCode, error: String(err) });
    }
  }
}

/** Decree 63 Art 15: the lead period counted from signing must end before the law takes effect. */
async function assessIssueTiming(input: StartTthcDecisionInput, period: { amount: number; unit: DeadlineUnit; article: string }): Promise<IssueTiming> {
  // A rule set's issue lead is counted in days (validated: domain/rules ruleSetProblems).
  const lead = { ...period, unit: period.unit as IssueTiming['requiredUnit'] };
  const base = { rule: lead.article, requiredAmount: lead.amount, requiredUnit: lead.unit };
  if (input.authorityKind === 'shortened-procedure') {
    return {
      ...base, applicable: false, late: false,
      detail: 'Shortened procedure: the law may take effect on signing, no lead time applies (project rule)',
      detailVi: 'Văn bản ban hành theo trình tự rút gọn: không áp dụng thời hạn ban hành trước (quy tắc dự án)',
    };
  }
  const { dueAt } = await computeDeadline({
    from: startOfLocalDay(input.signedOn), amount: lead.amount, unit: lead.unit, clock: 'issueLead', article: lead.article, owner: input.agency,
  });
  const late = Date.parse(dueAt) >= Date.parse(startOfLocalDay(input.legalEffectiveOn));
  const unit = lead.unit === 'workingDays' ? 'working days' : 'days';
  return {
    ...base, applicable: true, leadEndsAt: dueAt, late,
    detail: late
      ? `Issued late: must be signed at least ${lead.amount} ${unit} before the legal document takes effect on ${input.legalEffectiveOn}`
      : `Issued in time: at least ${lead.amount} ${unit} before ${input.legalEffectiveOn}`,
    detailVi: late
      ? `Ban hành chậm: phải ký trước ít nhất ${lead.amount} ${lead.unit === 'workingDays' ? 'ngày làm việc' : 'ngày'} so với ngày văn bản có hiệu lực (${input.legalEffectiveOn})`
      : `Ban hành đúng hạn so với ngày văn bản có hiệu lực (${input.legalEffectiveOn})`,
  };
}
