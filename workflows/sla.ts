import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { shortActivity } from './activity-options.js';
import { actorCode, refuse, requireRole } from './actors.js';
import { BASELINE_RULE_SET_ID, periodOf, pinRuleSet, RULES_2020, type PeriodId } from '../domain/rules/index.js';
import {
  agencyKey,
  breachOwnersKey,
  nextDueAtKey,
  processKey,
  slaBreachedKey,
  stageKey,
} from './search-attributes.js';
import {
  caseRuleSetQuery,
  changeRuleSetUpdate,
  clockKindOf,
  recomputeSlaClocksUpdate,
  reprojectSlaClocksSignal,
  slaClocksQuery,
  type CaseRuleSet,
  type ChangeRuleSetInput,
  type ClockSpec,
  type RecomputeClocksInput,
  type RecomputeClocksResult,
  type ReprojectClocksInput,
  type SlaClock,
} from './sla.definitions.js';

const { computeDeadline, projectSlaClock, ruleSetForCase } = proxyActivities<ReturnType<typeof createActivities>>(shortActivity);

const nowIso = () => new Date().toISOString();

/** Patch ids (README, versioning rule): histories from before these changes replay on the old path. */
const SETTLE_BEFORE_CONTINUE = 'sla-settle-before-continue-as-new';
const REPROJECT_CARRIED = 'sla-reproject-carried-clocks';
const KEEP_EARLIER_BREACHES = 'sla-keep-breach-owners-across-continue-as-new';
const PIN_RULE_SET_AT_START = 'sla-pin-rule-set-at-start';

/**
 * The one SLA helper every process uses. A clock's due instant is computed once by an activity
 * (so it is in history with rule, article, unit, owner and calendar version); a watcher waits on
 * `condition(fn, timeout)` until the step is done or the deadline passes; a missed deadline is
 * recorded as `breached` at its due instant, and a later completion is still recorded (late).
 * Every change goes to the case's search attributes and to the `sla_clocks` projection.
 */
export class SlaTracker {
  private readonly clocks = new Map<string, SlaClock>();
  private stage: string;
  /** Projection writes not yet done (a watcher's breach is written outside any handler). */
  private writing = 0;
  /** Owners of counted breaches of clocks earlier runs finished (this run no longer keeps those clocks). */
  private readonly earlierBreachOwners = new Set<string>();

  /** The case's rule set (absent: the 2020 baseline, for cases started before rule sets existed). */
  private ruleSet: CaseRuleSet | undefined;

  constructor(
    private readonly ctx: {
      process: string;
      agency: string;
      initialStage: string;
      seed?: SlaClock[];
      /**
       * The rule set pinned in the case's start input (null: none, the 2020 baseline). Left out by a
       * process that does not read its periods from rule sets yet: VPCP cannot move such a case.
       */
      ruleSet?: CaseRuleSet | null;
    },
  ) {
    this.stage = ctx.initialStage;
    this.ruleSet = ctx.ruleSet ?? undefined;
    // A continued run inherits its search attributes, but would rewrite DvcqgBreachOwners from the
    // clocks it keeps (the open ones): a breach finished by an earlier run must stay visible.
    if (workflowInfo().continuedFromExecutionRunId && patched(KEEP_EARLIER_BREACHES)) {
      for (const owner of workflowInfo().typedSearchAttributes.get(breachOwnersKey) ?? []) this.earlierBreachOwners.add(owner);
    }
    // Clocks carried from runs before rule sets existed ran under the baseline.
    const seed = (ctx.seed ?? []).map((clock) => ({ ...clock, kind: clockKindOf(clock), ruleSetId: clock.ruleSetId ?? BASELINE_RULE_SET_ID }));
    for (const clock of seed) this.clocks.set(clock.key, clock);
    // A carried clock's last write may have been lost when the previous run continued as new before
    // `settle` existed: write every carried clock again, as a newer revision.
    if (seed.length > 0 && patched(REPROJECT_CARRIED)) for (const clock of seed) void this.publish(clock);
    for (const clock of seed) if (this.isOpen(clock)) void this.watch(clock);
    setHandler(slaClocksQuery, () => this.list());
    setHandler(reprojectSlaClocksSignal, (input) => this.reproject(input));
    setHandler(recomputeSlaClocksUpdate, (input) => this.recompute(input), {
      validator: (input: RecomputeClocksInput) => {
        requireRole(input?.actor, ['vpcp'], 'recompute SLA clocks');
        if (!input.reason?.trim()) refuse('Validation', 'recompute SLA clocks: a reason is required');
      },
    });
    setHandler(caseRuleSetQuery, () => this.caseRuleSet());
    setHandler(changeRuleSetUpdate, (input) => this.changeRuleSet(input), {
      validator: (input: ChangeRuleSetInput) => this.validateRuleSetChange(input),
    });
    this.publishSearchAttributes();
  }

  /** The id of the rule set new clocks of this case are computed under. */
  get ruleSetId(): string {
    return this.ruleSet?.id ?? BASELINE_RULE_SET_ID;
  }

  /** A period of the case's rule set, ready to spread into a clock spec (amount, unit, article, ruleSetId). */
  period(id: PeriodId): ReturnType<typeof periodOf> {
    return periodOf(this.ruleSet, id);
  }

  /**
   * For a case started by a schedule or another workflow, with no rule set in its input: the one in
   * force now, read once by an activity (so it is in history). Histories from before keep the baseline.
   */
  async pinAtStart(): Promise<void> {
    if (this.ruleSet || !patched(PIN_RULE_SET_AT_START)) return;
    this.ruleSet = await ruleSetForCase({ process: this.ctx.process, at: nowIso() });
  }

  /** What the case carries into a continued run (undefined: it never had one — the baseline). */
  carriedRuleSet(): CaseRuleSet | undefined {
    return this.ruleSet;
  }

  private caseRuleSet(): CaseRuleSet {
    return this.ruleSet ?? pinRuleSet(RULES_2020, this.ctx.process);
  }

  private validateRuleSetChange(input: ChangeRuleSetInput): void {
    requireRole(input?.actor, ['vpcp'], 'change the rule set');
    if (this.ctx.ruleSet === undefined) refuse('InvalidTransition', `change the rule set: ${this.ctx.process} cases do not read their periods from a rule set yet`);
    if (!input.reason?.trim()) refuse('Validation', 'change the rule set: a reason is required');
    if (!input.ruleSet?.id) refuse('Validation', 'change the rule set: the new rule set is required');
    if (input.ruleSet.id === this.ruleSetId) refuse('InvalidTransition', `change the rule set: the case already runs under ${input.ruleSet.id}`);
    const missing = Object.keys(this.caseRuleSet().periods).filter((id) => !input.ruleSet.periods?.[id as PeriodId]);
    if (missing.length > 0) refuse('Validation', `change the rule set: ${input.ruleSet.id} has no period ${missing.join(', ')}`);
  }

  /** Clocks started from now on use the new set; running ones keep the period they started with. */
  private changeRuleSet(input: ChangeRuleSetInput): CaseRuleSet {
    const change = { at: nowIso(), by: `${actorCode(input.actor)}/${input.actor.userId}`, reason: input.reason, from: this.ruleSetId, to: input.ruleSet.id };
    this.ruleSet = { ...pinRuleSet(input.ruleSet, this.ctx.process), changes: [...(this.ruleSet?.changes ?? []), change] };
    return this.ruleSet;
  }

  list(): SlaClock[] {
    return [...this.clocks.values()];
  }

  get(key: string): SlaClock | undefined {
    return this.clocks.get(key);
  }

  /** Clocks carried into a continued-as-new run: the ones not finished yet. */
  carryOver(): SlaClock[] {
    return this.list().filter((c) => this.isOpen(c));
  }

  /**
   * Waits until every handler has finished and every projection write has landed, so that
   * continue-as-new loses nothing — a breach recorded by a watcher just before it included.
   */
  async settle(): Promise<void> {
    const waitForWrites = patched(SETTLE_BEFORE_CONTINUE);
    await condition(() => allHandlersFinished() && (!waitForWrites || this.writing === 0));
  }

  setStage(stage: string): void {
    this.stage = stage;
    this.publishSearchAttributes();
  }

  async start(spec: ClockSpec): Promise<SlaClock> {
    const existing = this.clocks.get(spec.key);
    // A programming error in the process, surfaced as a failed update rather than a stuck task.
    if (existing && this.isOpen(existing)) throw ApplicationFailure.create({ type: 'InvalidTransition', message: `clock ${spec.key} is already running`, nonRetryable: true });
    const from = spec.from ?? nowIso();
    const deadline = await computeDeadline({ from, amount: spec.amount, unit: spec.unit, clock: spec.key, article: spec.article, owner: spec.owner });
    const { from: _from, ...rest } = spec;
    const clock: SlaClock = {
      ...rest,
      ruleSetId: spec.ruleSetId ?? this.ruleSetId,
      kind: clockKindOf(spec),
      startedAt: from,
      dueAt: deadline.dueAt,
      dueLocal: deadline.dueLocal,
      calendarVersion: deadline.calendarVersion,
      rule: deadline.rule,
      explanation: deadline.explanation.summary,
      explanationVi: deadline.explanation.summaryVi,
      outcome: 'pending',
      recomputations: [],
      // A reused key continues its revisions: the projection only accepts newer ones.
      revision: existing?.revision ?? 0,
    };
    this.clocks.set(clock.key, clock);
    this.stage = spec.stage;
    await this.publish(clock);
    void this.watch(clock);
    return clock;
  }

  /** The step was done: `met` if on time; if already breached, the late completion is recorded. */
  async complete(key: string, by: string): Promise<SlaClock | undefined> {
    const clock = this.clocks.get(key);
    if (!clock || !this.isOpen(clock)) return clock;
    const at = nowIso();
    clock.completedAt = at;
    clock.completedBy = by;
    if (clock.outcome === 'pending') {
      clock.outcome = Date.parse(at) <= Date.parse(clock.dueAt) ? 'met' : 'breached';
      if (clock.outcome === 'breached') clock.breachedAt = clock.dueAt;
    }
    if (clock.outcome === 'breached') {
      clock.lateByMinutes = Math.max(0, Math.ceil((Date.parse(at) - Date.parse(clock.dueAt)) / 60_000));
    }
    await this.publish(clock);
    return clock;
  }

  /** The step became moot (withdrawn, transferred, superseded): not counted either way. */
  async cancel(key: string, reason: string): Promise<void> {
    const clock = this.clocks.get(key);
    if (!clock || !this.isOpen(clock)) return;
    if (clock.outcome === 'pending') clock.outcome = 'cancelled';
    clock.completedAt = nowIso();
    clock.cancelReason = reason;
    await this.publish(clock);
  }

  /** Cancel every open clock (the case ended). */
  async cancelAll(reason: string): Promise<void> {
    for (const clock of this.list()) await this.cancel(clock.key, reason);
  }

  /** Resolves when the clock breaches (now, if it already has); never if it is completed first. */
  async breached(key: string): Promise<boolean> {
    await condition(() => {
      const c = this.clocks.get(key);
      return !c || c.outcome === 'breached' || !this.isOpen(c);
    });
    return this.clocks.get(key)?.outcome === 'breached';
  }

  private isOpen(clock: SlaClock): boolean {
    return clock.completedAt === undefined && clock.outcome !== 'cancelled';
  }

  private async watch(clock: SlaClock): Promise<void> {
    while (clock.outcome === 'pending') {
      const due = clock.dueAt;
      const remaining = Date.parse(due) - Date.now();
      // Wake on completion, on a recomputed due instant, or at the deadline.
      const changed = remaining > 0 ? await condition(() => clock.outcome !== 'pending' || clock.dueAt !== due, remaining) : false;
      if (!changed && clock.outcome === 'pending' && clock.dueAt === due) {
        clock.outcome = 'breached';
        clock.breachedAt = due;
        await this.publish(clock);
      }
    }
  }

  private async recompute(input: RecomputeClocksInput): Promise<RecomputeClocksResult> {
    const recomputed: RecomputeClocksResult['recomputed'] = [];
    // Only clocks still pending move: a breach that happened under the calendar then in force stands.
    for (const clock of this.list().filter((c) => c.outcome === 'pending' && this.isOpen(c))) {
      const deadline = await computeDeadline({
        from: clock.startedAt, amount: clock.amount, unit: clock.unit, clock: clock.key, article: clock.article, owner: clock.owner,
      });
      // The step may have been done (or the clock breached) while the calendar was read.
      if (clock.outcome !== 'pending' || !this.isOpen(clock)) continue;
      if (deadline.dueAt === clock.dueAt && deadline.calendarVersion === clock.calendarVersion) continue;
      const previous = { previousDueAt: clock.dueAt, previousCalendarVersion: clock.calendarVersion };
      clock.recomputations.push({ at: nowIso(), by: input.actor.userId, reason: input.reason, ...previous });
      clock.dueAt = deadline.dueAt;
      clock.dueLocal = deadline.dueLocal;
      clock.calendarVersion = deadline.calendarVersion;
      clock.explanation = deadline.explanation.summary;
      clock.explanationVi = deadline.explanation.summaryVi;
      await this.publish(clock);
      recomputed.push({ key: clock.key, previousDueAt: previous.previousDueAt, dueAt: clock.dueAt, calendarVersion: clock.calendarVersion });
    }
    return { recomputed };
  }

  /** The consistency checker's repair: every clock written again as a newer revision, and the search attributes. */
  private async reproject(input: ReprojectClocksInput): Promise<void> {
    for (const owner of input?.breachOwners ?? []) this.earlierBreachOwners.add(owner);
    this.publishSearchAttributes();
    await Promise.all(this.list().map((clock) => this.publish(clock)));
  }

  private async publish(clock: SlaClock): Promise<void> {
    clock.revision += 1;
    this.publishSearchAttributes();
    this.writing += 1;
    try {
      await projectSlaClock({
        workflowId: workflowInfo().workflowId,
        process: this.ctx.process,
        caseAgency: this.ctx.agency,
        stage: this.stage,
        clock: { ...clock },
      });
    } finally {
      this.writing -= 1;
    }
  }

  private publishSearchAttributes(): void {
    const clocks = this.list();
    const open = clocks.filter((c) => c.outcome === 'pending' && this.isOpen(c));
    const nextDue = open.map((c) => c.dueAt).sort()[0];
    // Only counted clocks make a breach of a party of the Portal (not a citizen's wait, not a project rule).
    const breached = clocks.filter((c) => c.outcome === 'breached' && c.kind === 'regulated').map((c) => c.owner);
    const breachOwners = [...new Set([...this.earlierBreachOwners, ...breached])].sort();
    upsertSearchAttributes([
      { key: agencyKey, value: this.ctx.agency },
      { key: processKey, value: this.ctx.process },
      { key: stageKey, value: this.stage },
      { key: slaBreachedKey, value: breachOwners.length > 0 },
      { key: nextDueAtKey, value: nextDue ? new Date(nextDue) : null },
      { key: breachOwnersKey, value: breachOwners },
    ]);
  }
}
