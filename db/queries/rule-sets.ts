import { asc, eq } from 'drizzle-orm';
import { BUILT_IN_RULE_SETS, localDayOf, pinRuleSet, ruleSetInForce, RULES_2020, type PinnedRuleSet, type RuleSet } from '../../domain/rules/index.js';
import type { Database, Executor } from '../client.js';
import { ruleSets } from '../schema/index.js';

export interface RuleSetRow extends RuleSet {
  reason: string;
  createdBy: string;
  createdAt: Date;
}

const summary = {
  id: ruleSets.id,
  title: ruleSets.title,
  titleVi: ruleSets.titleVi,
  legalSource: ruleSets.legalSource,
  inForceFrom: ruleSets.inForceFrom,
  inForceTo: ruleSets.inForceTo,
  basedOn: ruleSets.basedOn,
  reason: ruleSets.reason,
  createdBy: ruleSets.createdBy,
  createdAt: ruleSets.createdAt,
};
const columns = { ...summary, periods: ruleSets.periods, values: ruleSets.values };

/** Every rule set, oldest first (without its periods and values). */
export function listRuleSets(db: Executor) {
  return db.select(summary).from(ruleSets).orderBy(asc(ruleSets.createdAt), asc(ruleSets.id));
}

export async function loadRuleSet(db: Executor, id: string): Promise<RuleSetRow | undefined> {
  const [row] = await db.select(columns).from(ruleSets).where(eq(ruleSets.id, id));
  return row;
}

/** Stores a new (already validated) rule set; false if the id is taken — rule sets are never replaced. */
export async function insertRuleSet(db: Executor, set: RuleSet, reason: string, createdBy: string): Promise<boolean> {
  const inserted = await db.insert(ruleSets).values({ ...set, reason, createdBy }).onConflictDoNothing({ target: ruleSets.id }).returning({ id: ruleSets.id });
  return inserted.length === 1;
}

/** The built-in rule sets (domain/rules), each once: the 2020 baseline and the 2025 submission. */
export async function seedRuleSets(db: Database): Promise<void> {
  for (const set of BUILT_IN_RULE_SETS) await insertRuleSet(db, set, 'built-in (domain/rules)', 'system');
}

/**
 * The rule set a case starting at `at` runs under: the one in force on its local day (the latest to
 * come into force). Few rows (a handful of versions over years): read whole, chosen by the domain rule.
 */
export async function ruleSetInForceAt(db: Executor, at: Date): Promise<RuleSetRow | undefined> {
  return ruleSetInForce(await loadRuleSets(db), localDayOf(at));
}

/** Every rule set with its periods and values, oldest first. */
export async function loadRuleSets(db: Executor): Promise<RuleSetRow[]> {
  return await db.select(columns).from(ruleSets).orderBy(asc(ruleSets.createdAt), asc(ruleSets.id));
}

/**
 * What a new case of `process` carries in its start input: the set named (VPCP), else the one in
 * force on the day it starts (the 2020 baseline if none is). Undefined only for an unknown name.
 */
export async function ruleSetForNewCase(db: Executor, process: string, options: { named?: string; at?: Date } = {}): Promise<PinnedRuleSet | undefined> {
  if (options.named) {
    const set = await loadRuleSet(db, options.named);
    return set && pinRuleSet(set, process);
  }
  return pinRuleSet((await ruleSetInForceAt(db, options.at ?? new Date())) ?? RULES_2020, process);
}
