import { loadRuleSets, ruleSetForNewCase as resolve } from '../../../db/queries/rule-sets.js';
import type { Executor } from '../../../db/client.js';
import { localDayOf, pinRuleSet, ruleSetInForce, RULES_2020 } from '../../../domain/rules/index.js';
import type { CaseRuleSet } from '../../../workflows/sla.definitions.js';
import { problem } from '../../errors.js';
import { REFERENCE_REUSE_MS, ReusedReference } from '../../reference-data.js';

/** The rule sets (never changed, only added): reused for a moment per API process. */
const ruleSets = new ReusedReference(REFERENCE_REUSE_MS, loadRuleSets);

/** After a rule set was stored: the next start reads them again. */
export function forgetRuleSets(db: Executor): void {
  ruleSets.forget(db);
}

/**
 * The rule set a new case of `process` starts under, as its start input carries it: the one VPCP
 * names, else the one in force on the day it starts. Resolved by the API, once, so that the
 * workflow's first history event holds the exact periods.
 */
export async function ruleSetForNewCase(db: Executor, process: string, named?: string, at = new Date()): Promise<CaseRuleSet> {
  if (!named) return pinRuleSet(ruleSetInForce(await ruleSets.get(db), localDayOf(at)) ?? RULES_2020, process);
  const pinned = await resolve(db, process, { named, at });
  if (!pinned) throw problem('unprocessable', `No rule set ${named}`, [{ path: 'body.ruleSetId', message: 'unknown rule set' }]);
  return pinned;
}
