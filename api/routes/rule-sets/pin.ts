import { ruleSetForNewCase as resolve } from '../../../db/queries/rule-sets.js';
import type { Executor } from '../../../db/client.js';
import type { CaseRuleSet } from '../../../workflows/sla.definitions.js';
import { problem } from '../../errors.js';

/**
 * The rule set a new case of `process` starts under, as its start input carries it: the one VPCP
 * names, else the one in force on the day it starts. Resolved by the API, once, so that the
 * workflow's first history event holds the exact periods.
 */
export async function ruleSetForNewCase(db: Executor, process: string, named?: string, at = new Date()): Promise<CaseRuleSet> {
  const pinned = await resolve(db, process, { named, at });
  if (!pinned) throw problem('unprocessable', `No rule set ${named}`, [{ path: 'body.ruleSetId', message: 'unknown rule set' }]);
  return pinned;
}
