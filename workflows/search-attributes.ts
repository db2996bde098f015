import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes, so that Temporal's own visibility (CLI, Web UI, list API) can find
 * cases by agency, process and stage, and SLA breaches without asking our database, e.g.
 *   temporal workflow list --query "DvcqgSlaBreached = true AND DvcqgAgency = 'BTP'"
 * The dev server registers them at start (scripts/runtime.ts); production registers them once
 * with `temporal operator search-attribute create`.
 */
export const agencyKey = defineSearchAttributeKey('DvcqgAgency', SearchAttributeType.KEYWORD);
export const processKey = defineSearchAttributeKey('DvcqgProcess', SearchAttributeType.KEYWORD);
export const stageKey = defineSearchAttributeKey('DvcqgStage', SearchAttributeType.KEYWORD);
export const slaBreachedKey = defineSearchAttributeKey('DvcqgSlaBreached', SearchAttributeType.BOOL);
export const nextDueAtKey = defineSearchAttributeKey('DvcqgNextDueAt', SearchAttributeType.DATETIME);
/** Owners (agency/VPCP/bank codes) with at least one breached clock: breaches count against them. */
export const breachOwnersKey = defineSearchAttributeKey('DvcqgBreachOwners', SearchAttributeType.KEYWORD_LIST);

export const SEARCH_ATTRIBUTES = [
  { name: agencyKey.name, type: agencyKey.type, cliType: 'Keyword' },
  { name: processKey.name, type: processKey.type, cliType: 'Keyword' },
  { name: stageKey.name, type: stageKey.type, cliType: 'Keyword' },
  { name: slaBreachedKey.name, type: slaBreachedKey.type, cliType: 'Bool' },
  { name: nextDueAtKey.name, type: nextDueAtKey.type, cliType: 'Datetime' },
  { name: breachOwnersKey.name, type: breachOwnersKey.type, cliType: 'KeywordList' },
] as const;
