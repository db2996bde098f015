/**
 * Rule sets (SPEC §5): the regulated periods and value sets as versioned data, pinned per case.
 * Pure: workflow code imports it (periods it reads come from the case's pinned set, or the 2020
 * baseline for histories recorded before rule sets existed).
 */
import { RULES_2020 } from './baseline-2020.js';
import { RULES_2025_DRAFT } from './draft-2025.js';
import { PERIOD_IDS, type Period, type PeriodId, type PinnedRuleSet, type RuleSet } from './types.js';

export * from './types.js';
export { deriveRuleSet, ruleSetProblems, MAX_PERIOD_AMOUNT, RULE_SET_ID, type RuleSetChanges } from './derive.js';
export { RULES_2020, FEEDBACK_CATEGORIES, type FeedbackCategory } from './baseline-2020.js';
export { RULES_2025_DRAFT } from './draft-2025.js';

/** The rule sets seeded into every deployment (db/queries/rule-sets.ts), oldest first. */
export const BUILT_IN_RULE_SETS: readonly RuleSet[] = [RULES_2020, RULES_2025_DRAFT];

/** The local day (UTC+7, no DST) of an instant, YYYY-MM-DD. */
export const localDayOf = (at: Date): string => new Date(at.getTime() + 7 * 3_600_000).toISOString().slice(0, 10);

/** Whether new cases starting on `day` (local) start under this set. */
export const inForceOn = (set: Pick<RuleSet, 'inForceFrom' | 'inForceTo'>, day: string): boolean =>
  set.inForceFrom !== null && set.inForceFrom <= day && (set.inForceTo === null || day < set.inForceTo);

/**
 * The rule set a case starting on `day` runs under: of the sets in force that day, the one that came
 * into force last (a newer text replaces an older one without editing it); ties go to the later one in the list.
 */
export function ruleSetInForce<T extends Pick<RuleSet, 'inForceFrom' | 'inForceTo'>>(sets: readonly T[], day: string): T | undefined {
  let found: T | undefined;
  for (const set of sets) if (inForceOn(set, day) && (!found || (set.inForceFrom as string) >= (found.inForceFrom as string))) found = set;
  return found;
}

/** What a case of `process` carries of a rule set: its id and the periods of that process. */
export function pinRuleSet(set: Pick<RuleSet, 'id' | 'periods'>, process: string): PinnedRuleSet {
  const periods = Object.fromEntries(PERIOD_IDS.filter((id) => id.startsWith(`${process}.`)).map((id) => [id, set.periods[id]]));
  return { id: set.id, periods };
}

/** The 2020 baseline a case without a pinned rule set (recorded before they existed) runs under. */
export const BASELINE_RULE_SET_ID = RULES_2020.id;

/**
 * A period of the case's pinned rule set, as a clock declares it (`amount`, `unit`, `article`,
 * `ruleSetId`). Without a pinned set: the 2020 baseline — the values the code used as literals,
 * so histories recorded before replay with the same commands.
 */
export function periodOf(pinned: PinnedRuleSet | undefined, id: PeriodId): Pick<Period, 'amount' | 'unit' | 'article'> & { ruleSetId: string } {
  const period = pinned ? pinned.periods[id] : RULES_2020.periods[id];
  // A programming error (a process reading another process's period): fails the task, visibly.
  if (!period) throw new Error(`rule set ${pinned?.id} pins no period ${id}`);
  return { amount: period.amount, unit: period.unit, article: period.article, ruleSetId: pinned?.id ?? BASELINE_RULE_SET_ID };
}
