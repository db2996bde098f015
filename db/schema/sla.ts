import { sql } from 'drizzle-orm';
import { date, index, integer, pgEnum, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

export const slaUnit = pgEnum('sla_unit', ['workingDays', 'calendarDays', 'workingHours', 'settlementDay', 'hours']);
export const slaOutcome = pgEnum('sla_outcome', ['pending', 'met', 'breached', 'cancelled']);
export const slaOwnerKind = pgEnum('sla_owner_kind', ['agency', 'vpcp', 'bank', 'citizen']);
/** `regulated` clocks count against their owner; `projectRule` periods and `citizenWait`s are shown, never counted. */
export const slaClockKind = pgEnum('sla_clock_kind', ['regulated', 'projectRule', 'citizenWait']);

/**
 * Reporting projection of every SLA clock of every workflow (the workflow is the source of truth).
 * Written idempotently by the workflows' activities: one row per (workflow, clock key), replaced
 * only by a newer revision, so retries and reordering never regress a clock.
 */
export const slaClocks = pgTable(
  'sla_clocks',
  {
    workflowId: text().notNull(),
    clockKey: text().notNull(),
    revision: integer().notNull(),
    process: text().notNull(),
    /** The agency whose case it is (for agency-scoped reads). */
    caseAgency: text().notNull(),
    /** Who must act; breaches count against them. */
    owner: text().notNull(),
    ownerKind: slaOwnerKind().notNull(),
    kind: slaClockKind().notNull().default('regulated'),
    article: text().notNull(),
    /** The rule set the period and article come from (domain/rules); null for rows written before rule sets existed. */
    ruleSetId: text(),
    rule: text().notNull(),
    stage: text().notNull(),
    unit: slaUnit().notNull(),
    amount: integer().notNull(),
    startedAt: timestamp({ withTimezone: true }).notNull(),
    dueAt: timestamp({ withTimezone: true }).notNull(),
    calendarVersion: integer().notNull(),
    outcome: slaOutcome().notNull(),
    breachedAt: timestamp({ withTimezone: true }),
    completedAt: timestamp({ withTimezone: true }),
    completedBy: text(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.workflowId, t.clockKey] }),
    index('sla_clocks_breached_idx').on(t.outcome, t.breachedAt),
    index('sla_clocks_owner_breached_idx').on(t.owner, t.breachedAt),
    index('sla_clocks_case_agency_idx').on(t.caseAgency, t.breachedAt),
    index('sla_clocks_pending_due_idx').on(t.dueAt).where(sql`completed_at is null and outcome <> 'cancelled'`),
    index('sla_clocks_started_idx').on(t.startedAt),
    // Index-only scans for the dashboard, /metrics and the supervision lists (migration 0016):
    // on-time rates over a due range (counted clocks that are met or breached), grouped by owner;
    index('sla_clocks_rates_idx').on(t.dueAt, t.owner, t.ownerKind, t.outcome).where(sql`outcome in ('met', 'breached') and kind = 'regulated'`),
    // open clocks (pending or breached, not done): the soonest due per outcome, per day and process, the gauges;
    index('sla_clocks_open_idx').on(t.outcome, t.dueAt, t.owner, t.caseAgency, t.process, t.kind).where(sql`completed_at is null and outcome <> 'cancelled'`),
    // counted breaches by breach instant: per week and process, the latest, the longest open.
    index('sla_clocks_counted_breaches_idx').on(t.breachedAt, t.process, t.owner, t.caseAgency, t.completedAt).where(sql`outcome = 'breached' and kind = 'regulated'`),
    // Keyset pages of the supervision lists (issue 18.3), newest breach / soonest due first, ties by
    // case and clock: counted breaches in breach order (the filter columns after the key, so that the
    // exact totals are index-only scans), per owner and per case agency; pending clocks by due instant.
    index('sla_clocks_breach_list_idx').on(t.breachedAt, t.workflowId, t.clockKey, t.owner, t.caseAgency, t.process, t.article, t.completedAt).where(sql`outcome = 'breached' and kind = 'regulated'`),
    index('sla_clocks_owner_breach_list_idx').on(t.owner, t.breachedAt, t.workflowId, t.clockKey).where(sql`outcome = 'breached' and kind = 'regulated'`),
    index('sla_clocks_agency_breach_list_idx').on(t.caseAgency, t.breachedAt, t.workflowId, t.clockKey).where(sql`outcome = 'breached' and kind = 'regulated'`),
    // A process's breaches (the DVCTT loop's report, Art 28), latest first by keyset (issue 18.3), abandonment clocks included.
    index('sla_clocks_process_breach_list_idx').on(t.process, t.breachedAt, t.workflowId, t.clockKey).where(sql`outcome = 'breached'`),
    index('sla_clocks_due_list_idx').on(t.dueAt, t.workflowId, t.clockKey, t.owner, t.caseAgency, t.process).where(sql`outcome = 'pending' and completed_at is null`),
  ],
);

/**
 * Counted (`regulated`) met and breached clocks per owner and process, by the local day and the local
 * month of their due instant (`grain` 'day' | 'month'): the on-time rates read whole months and days
 * here and only the partial days at a range's edges from `sla_clocks` (issue 18.3: a year of rates
 * at 1,000,000 clocks read ~450,000 index entries). Kept by statement triggers on `sla_clocks`
 * (migration 0032), in the transaction of the clock's write, so it never disagrees with the clocks.
 */
export const slaOutcomeCounts = pgTable(
  'sla_outcome_counts',
  {
    grain: text().notNull(),
    periodStart: date({ mode: 'string' }).notNull(),
    owner: text().notNull(),
    ownerKind: slaOwnerKind().notNull(),
    process: text().notNull(),
    met: integer().notNull(),
    breached: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.grain, t.periodStart, t.owner, t.ownerKind, t.process] })],
);
