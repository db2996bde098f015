import { DEADLINE_UNITS } from '../calendar/types.js';
import { PERIOD_IDS, VALUE_SET_IDS, type Period, type PeriodId, type RuleSet, type ValueSet, type ValueSetId } from './types.js';

/** What a new rule set states; everything it does not state is inherited from the set it is based on. */
export interface RuleSetChanges {
  id: string;
  title: string;
  titleVi: string;
  legalSource: string;
  inForceFrom: string | null;
  inForceTo: string | null;
  /** Per period: a new article (renumbering) keeps amount and unit inherited; a new amount or unit makes it this set's own. */
  periods?: Partial<Record<PeriodId, Partial<Period>>>;
  values?: Partial<Record<ValueSetId, Partial<ValueSet>>>;
}

const originOf = (base: RuleSet, inheritedFrom: string | undefined) => inheritedFrom ?? base.id;

function derivePeriod(base: RuleSet, id: PeriodId, change: Partial<Period> | undefined): Period {
  const from = base.periods[id];
  const own = change?.amount !== undefined || change?.unit !== undefined;
  const note = change?.note ?? (change?.article === undefined ? from.note : undefined);
  return {
    amount: change?.amount ?? from.amount,
    unit: change?.unit ?? from.unit,
    article: change?.article ?? from.article,
    ...(own ? {} : { inheritedFrom: originOf(base, from.inheritedFrom) }),
    ...(note ? { note } : {}),
  };
}

function deriveValues(base: RuleSet, id: ValueSetId, change: Partial<ValueSet> | undefined): ValueSet {
  const from = base.values[id];
  const note = change?.note ?? (change?.article === undefined ? from.note : undefined);
  return {
    article: change?.article ?? from.article,
    values: change?.values ?? from.values,
    ...(change?.values ? {} : { inheritedFrom: originOf(base, from.inheritedFrom) }),
    ...(note ? { note } : {}),
  };
}

/** A new rule set from `base` and what changes: every period and value set it does not restate is marked inherited. */
export function deriveRuleSet(base: RuleSet, changes: RuleSetChanges): RuleSet {
  return {
    id: changes.id,
    title: changes.title,
    titleVi: changes.titleVi,
    legalSource: changes.legalSource,
    inForceFrom: changes.inForceFrom,
    inForceTo: changes.inForceTo,
    basedOn: base.id,
    periods: Object.fromEntries(PERIOD_IDS.map((id) => [id, derivePeriod(base, id, changes.periods?.[id])])) as Record<PeriodId, Period>,
    values: Object.fromEntries(VALUE_SET_IDS.map((id) => [id, deriveValues(base, id, changes.values?.[id])])) as Record<ValueSetId, ValueSet>,
  };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const isRealDate = (d: string) => ISO_DATE.test(d) && new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) === d;
/** Project rule: no regulated period is longer than this many of its units (a typo guard). */
export const MAX_PERIOD_AMOUNT = 1000;
export const RULE_SET_ID = /^[a-z0-9][a-z0-9.-]{2,63}$/;

/** Why a rule set cannot be stored (empty: it can), each with the path of the field. */
export function ruleSetProblems(set: RuleSet): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  if (!RULE_SET_ID.test(set.id)) add('id', 'lower-case letters, digits, dots and dashes, 3 to 64 characters');
  if (!set.title.trim()) add('title', 'required');
  if (!set.titleVi.trim()) add('titleVi', 'required');
  if (!set.legalSource.trim()) add('legalSource', 'required: the legal text the rule set transcribes');
  if (set.inForceFrom !== null && !isRealDate(set.inForceFrom)) add('inForceFrom', 'a real date YYYY-MM-DD');
  if (set.inForceTo !== null && !isRealDate(set.inForceTo)) add('inForceTo', 'a real date YYYY-MM-DD');
  if (set.inForceTo !== null && set.inForceFrom === null) add('inForceTo', 'a rule set not in force has no end');
  if (set.inForceTo !== null && set.inForceFrom !== null && set.inForceTo <= set.inForceFrom) add('inForceTo', 'must be after inForceFrom');
  for (const id of PERIOD_IDS) {
    const p = set.periods[id];
    if (!p) {
      add(`periods.${id}`, 'missing');
      continue;
    }
    if (!Number.isInteger(p.amount) || p.amount < 1 || p.amount > MAX_PERIOD_AMOUNT) add(`periods.${id}.amount`, `a whole number from 1 to ${MAX_PERIOD_AMOUNT}`);
    if (!DEADLINE_UNITS.includes(p.unit)) add(`periods.${id}.unit`, `one of ${DEADLINE_UNITS.join(', ')}`);
    if (!p.article?.trim()) add(`periods.${id}.article`, 'required: the article of this rule set that sets the period');
    // Decree 63/2010 Art 15 counts the issue lead in days (checked against the legal effective day).
    if (id.startsWith('tthc.issueLead.') && p.unit !== 'workingDays' && p.unit !== 'calendarDays') add(`periods.${id}.unit`, 'workingDays or calendarDays');
  }
  for (const id of VALUE_SET_IDS) {
    const v = set.values[id];
    if (!v || v.values.length === 0) {
      add(`values.${id}`, 'at least one value');
      continue;
    }
    const codes = v.values.map((e) => e.code);
    if (new Set(codes).size !== codes.length) add(`values.${id}.values`, 'codes must be unique');
    if (!v.article?.trim()) add(`values.${id}.article`, 'required');
  }
  return problems;
}
