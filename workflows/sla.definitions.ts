import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CaseRuleSet, RuleSet } from '../domain/rules/types.js';
import type { SlaClock } from '../domain/sla/clocks.js';
import type { ActorRef } from './actors.js';

// The clock types live in domain/sla (db/ and api/ read them too); re-exported for workflow callers.
export {
  CLOCK_KINDS,
  clockKindOf,
  type ClockKind,
  type ClockOutcome,
  type ClockRecomputation,
  type ClockSpec,
  type OwnerKind,
  type SlaClock,
} from '../domain/sla/clocks.js';

export interface RecomputeClocksInput {
  /** Only VPCP may move open clocks onto a new calendar version. */
  actor: ActorRef;
  reason: string;
}

export interface RecomputeClocksResult {
  recomputed: { key: string; previousDueAt: string; dueAt: string; calendarVersion: number }[];
}

/** Every workflow that keeps SLA clocks answers this query and accepts this update. */
export const slaClocksQuery = defineQuery<SlaClock[]>('slaClocks');
/** Explicit VPCP action after a calendar change: re-derive the due instants of open clocks. */
export const recomputeSlaClocksUpdate = defineUpdate<RecomputeClocksResult, [RecomputeClocksInput]>('recomputeSlaClocksUpdate');

export interface ReprojectClocksInput {
  /** Why the case is asked (the consistency checker's finding), kept in the signal's history event. */
  reason: string;
  /**
   * Owners of counted breaches recorded by earlier runs of the case (finished clocks the current run
   * no longer keeps), for `DvcqgBreachOwners` when visibility lost them at a continue-as-new.
   */
  breachOwners?: string[];
}

/**
 * The consistency checker's repair of a running case: the workflow writes every clock it keeps to
 * the projection again, each as a newer revision, and upserts its search attributes again.
 */
export const reprojectSlaClocksSignal = defineSignal<[ReprojectClocksInput]>('reprojectSlaClocksSignal');

export type { CaseRuleSet, RuleSetChange } from '../domain/rules/types.js';

export interface ChangeRuleSetInput {
  /** Only VPCP moves a running case to another rule set. */
  actor: ActorRef;
  reason: string;
  /** The new rule set (the API reads it from the store); the case keeps the periods of its own process. */
  ruleSet: Pick<RuleSet, 'id' | 'periods'>;
}

/** The case's rule set and its changes (every workflow that reads periods from a pinned rule set answers it). */
export const caseRuleSetQuery = defineQuery<CaseRuleSet>('caseRuleSet');
/**
 * Explicit VPCP action: clocks started from now on use the new rule set's periods and articles;
 * clocks already running keep the period they started with (like a breach under an earlier calendar).
 */
export const changeRuleSetUpdate = defineUpdate<CaseRuleSet, [ChangeRuleSetInput]>('changeRuleSetUpdate');
