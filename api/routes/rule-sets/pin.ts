import { loadRuleSet, ruleSetInForceAt } from '../../../db/queries/rule-sets.js';
import type { Executor } from '../../../db/client.js';
import { pinRuleSet, RULES_2020 } from '../../../domain/rules/index.js';
import type { CaseRuleSet } from '../../../workflows/sla.definitions.js';
import { problem } from '../../errors.js';

/**
 * The rule set a new case of `process` starts under, as its start input carries it: the one VPCP
 * names, else the one in force on the day it starts (the 2020 baseline if the store holds none in
 * force). Resolved here, once, so that the workflow's first history event holds the exact periods.
 */
export async function ruleSetForNewCase(db: Executor, process: string, named?: string, at = new Date()): Promise<CaseRuleSet> {
  if (named) {
    const set = await loadRuleSet(db, named);
    if (!set) throw problem('unprocessable', `No rule set ${named}`, [{ path: 'body.ruleSetId', message: 'unknown rule set' }]);
    return pinRuleSet(set, process);
  }
  return pinRuleSet((await ruleSetInForceAt(db, at)) ?? RULES_2020, process);
}
