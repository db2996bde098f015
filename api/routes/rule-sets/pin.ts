import { loadRuleSets, ruleSetForNewCase as resolve, type RuleSetRow } from '../../../db/queries/rule-sets.js';
import type { Executor } from '../../../db/client.js';
import { localDayOf, pinRuleSet, ruleSetInForce, RULES_2020 } from '../../../domain/rules/index.js';
import type { CaseRuleSet } from '../../../workflows/sla.definitions.js';
import { problem } from '../../errors.js';

/**
 * How long an API process reuses the rule sets it read (project rule). Rule sets are never changed,
 * only added (VPCP, `POST /v1/rule-sets`): the process that adds one forgets its copy at once; another
 * API process sees the new set at most this long after it was stored. Every case start needs the set
 * in force, so this saves a read of every rule set's periods per start.
 */
export const RULE_SETS_REUSE_MS = 2_000;
const known = new WeakMap<Executor, { until: number; rows: Promise<RuleSetRow[]> }>();

/** The rule sets, read at most once per `RULE_SETS_REUSE_MS` (a failed read is not kept). */
function ruleSets(db: Executor): Promise<RuleSetRow[]> {
  const now = Date.now();
  const entry = known.get(db);
  if (entry && entry.until > now) return entry.rows;
  const rows = loadRuleSets(db);
  known.set(db, { until: now + RULE_SETS_REUSE_MS, rows });
  rows.catch(() => known.delete(db));
  return rows;
}

/** After a rule set was stored: the next start reads them again. */
export function forgetRuleSets(db: Executor): void {
  known.delete(db);
}

/**
 * The rule set a new case of `process` starts under, as its start input carries it: the one VPCP
 * names, else the one in force on the day it starts. Resolved by the API, once, so that the
 * workflow's first history event holds the exact periods.
 */
export async function ruleSetForNewCase(db: Executor, process: string, named?: string, at = new Date()): Promise<CaseRuleSet> {
  if (!named) return pinRuleSet(ruleSetInForce(await ruleSets(db), localDayOf(at)) ?? RULES_2020, process);
  const pinned = await resolve(db, process, { named, at });
  if (!pinned) throw problem('unprocessable', `No rule set ${named}`, [{ path: 'body.ruleSetId', message: 'unknown rule set' }]);
  return pinned;
}
