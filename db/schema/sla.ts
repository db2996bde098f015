import { sql } from 'drizzle-orm';
import { index, integer, pgEnum, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

export const slaUnit = pgEnum('sla_unit', ['workingDays', 'calendarDays', 'workingHours', 'settlementDay']);
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
    // On-time rates (dashboard weeks, /on-time-rates): an index-only scan of a due range, grouped by owner.
    index('sla_clocks_due_rates_idx').on(t.dueAt, t.outcome, t.kind, t.owner, t.ownerKind),
    // The open clocks and open breaches of /metrics: an index-only scan, grouped by owner, process and kind.
    index('sla_clocks_open_idx').on(t.owner, t.process, t.kind, t.outcome).where(sql`completed_at is null and outcome <> 'cancelled'`),
  ],
);
