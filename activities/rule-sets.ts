import type { Database } from '../db/client.js';
import { ruleSetForNewCase } from '../db/queries/rule-sets.js';
import type { PinnedRuleSet } from '../domain/rules/types.js';

/**
 * For cases started by a schedule or by another workflow (no API request to resolve it): the rule
 * set in force at the workflow's start instant, read once; the result is in the case's history.
 */
export function createRuleSetActivities(db: Database) {
  return {
    async ruleSetForCase(input: { process: string; at: string }): Promise<PinnedRuleSet> {
      return (await ruleSetForNewCase(db, input.process, { at: new Date(input.at) })) as PinnedRuleSet;
    },
  };
}
