import type { DeadlineUnit } from '../calendar/types.js';

/**
 * Every regulated period a process uses, by a stable id `<process>.<step>` (the `process` of the
 * case and of its clocks). The id never changes when a newer text renumbers the article.
 */
export const PERIOD_IDS = [
  'feedback.classify',
  'feedback.notAccepted',
  'feedback.answer',
  'feedback.progress',
  'feedback.resultEntry',
  'account.notifyParties',
  'account.result',
  'operations.securityServerNotice',
  'operations.supportHandling',
  'operations.maintenanceNotice',
  'payment.settlement',
  'discrepancy.resolve',
  'refund.investigate',
  'dvctt.review',
  'dvctt.test',
  'dvctt.confirm',
  'tthc.publish.minister',
  'tthc.publish.provincialChairman',
  'tthc.publish.shortenedProcedure',
  'tthc.issueLead.ministry',
  'tthc.issueLead.sector',
  'tthc.issueLead.province',
  'tthc-review.fix',
] as const;
export type PeriodId = (typeof PERIOD_IDS)[number];

/** A regulated period as a rule set states it. */
export interface Period {
  amount: number;
  unit: DeadlineUnit;
  /** The article of *this* rule set that sets it (its own numbering), e.g. 'Art 42.3' or 'Art 44.3'. */
  article: string;
  /**
   * The rule set whose amount and unit this period keeps unchanged (the newer text does not change
   * them); absent where this set states the period itself. The article is always this set's own.
   */
  inheritedFrom?: string;
  /** How the article number was found where the source does not give it exactly. */
  note?: string;
}

/** The value sets a rule set fixes (what a TTHC level, an online-service class, a feedback category may be). */
export const VALUE_SET_IDS = ['onlineServiceClasses', 'tthcLevels', 'feedbackCategories'] as const;
export type ValueSetId = (typeof VALUE_SET_IDS)[number];

export interface ValueSetEntry {
  code: string;
  vi: string;
  en: string;
}

export interface ValueSet {
  article: string;
  values: ValueSetEntry[];
  /** As for a period: the rule set whose values this set keeps unchanged. */
  inheritedFrom?: string;
  note?: string;
}

/**
 * One version of the rules (SPEC §5): a legal text with the periods and value sets the processes
 * use. Immutable once stored: a change is a new rule set. Which one applies to a new case is the one
 * in force on the day it starts; the case keeps it to its end (pinned in its first history event).
 */
export interface RuleSet {
  /** Stable id, e.g. 'dvcqg-2020-draft'; recorded on every case and clock. */
  id: string;
  title: string;
  titleVi: string;
  /** The legal text (decision, draft, submission) it transcribes. */
  legalSource: string;
  /**
   * First local day (YYYY-MM-DD, UTC+7) new cases start under it; null: not in force (a draft or a
   * submission), usable only where VPCP names it.
   */
  inForceFrom: string | null;
  /** First local day it no longer applies to new cases; null: open-ended. */
  inForceTo: string | null;
  /** The rule set it was derived from (inherited values name it). */
  basedOn: string | null;
  periods: Record<PeriodId, Period>;
  values: Record<ValueSetId, ValueSet>;
}

/**
 * What a case carries: its rule set's id and the periods of its own process, resolved when it
 * starts (or when VPCP moves it to another set). In the workflow input, so that it is in the first
 * history event and a replay uses exactly these values.
 */
export interface PinnedRuleSet {
  id: string;
  periods: Partial<Record<PeriodId, Period>>;
}

/** A VPCP decision moving a running case to another rule set (recorded in the case, carried across continue-as-new). */
export interface RuleSetChange {
  at: string;
  by: string;
  reason: string;
  from: string;
  to: string;
}

/** What a case's start input carries: the pinned rule set now, and every explicit change since the case started. */
export interface CaseRuleSet extends PinnedRuleSet {
  changes?: RuleSetChange[];
}
