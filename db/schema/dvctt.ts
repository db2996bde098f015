import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgEnum, pgTable, primaryKey, smallint, text, timestamp } from 'drizzle-orm/pg-core';
import { DVCTT_STATUSES, type DvcttRound, type TthcRepealNotice } from '../../domain/dvctt/types.js';
import type { ActorRef } from '../../domain/processes/actors.js';
import { agencies } from './agencies.js';

export const dvcttStatus = pgEnum('dvctt_status', DVCTT_STATUSES);
export const dvcttRoundOutcome = pgEnum('dvctt_round_outcome', ['open', 'rejected', 'failed', 'passed', 'withdrawn', 'closed']);

/**
 * Register of online public services (DVCTT) of level 3/4 declared by their agency (Art 27.1,
 * 28.1). Declaring is a plain registry write; the publication status, stage and round are a
 * projection written by the service's workflow (the workflow is the source of truth).
 */
export const dvcttServices = pgTable(
  'dvctt_services',
  {
    code: text().primaryKey(),
    name: text().notNull(),
    tthcCode: text().notNull(),
    agency: text().notNull().references(() => agencies.code),
    level: smallint().notNull(),
    declaredBy: text().notNull(),
    declaredAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    status: dvcttStatus().notNull().default('declared'),
    statusChangedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    currentRound: integer(),
    /**
     * Rounds of the test loop so far, and how many ended rejected, failed, passed: kept by the trigger
     * on `dvctt_rounds` (same transaction), read by the rounds ranking instead of aggregating every
     * round on each call (issue 18.3).
     */
    roundCount: integer().notNull().default(0),
    roundsRejected: integer().notNull().default(0),
    roundsFailed: integer().notNull().default(0),
    roundsPassed: integer().notNull().default(0),
    workflowId: text(),
    /** Art 28.1: the TTHC it delivers was repealed (by this decision, from this day): no new dossiers, no new rounds. */
    tthcRepeal: jsonb().$type<TthcRepealNotice>(),
    /** The workflow's projection revision: an older (retried, reordered) write never wins. */
    revision: integer().notNull().default(0),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('dvctt_services_level_check', sql`${t.level} in (3, 4)`),
    index('dvctt_services_status_idx').on(t.status, t.statusChangedAt),
    index('dvctt_services_agency_idx').on(t.agency),
    index('dvctt_services_workflow_idx').on(t.workflowId),
    // The service list by status change, keyset-paged (issue 18.3).
    index('dvctt_services_changed_idx').on(t.statusChangedAt, t.code),
    // The rounds ranking: most rounds first, ties by code, keyset-paged, whole and per agency; a service with no round is not ranked (issue 18.3).
    index('dvctt_services_rounds_idx').on(t.roundCount.desc(), t.code).where(sql`round_count > 0`),
    index('dvctt_services_agency_rounds_idx').on(t.agency, t.roundCount.desc(), t.code).where(sql`round_count > 0`),
  ],
);

/** Every round of the test loop, numbered per service and never overwritten by a later round. */
export const dvcttRounds = pgTable(
  'dvctt_rounds',
  {
    serviceCode: text().notNull().references(() => dvcttServices.code),
    round: integer().notNull(),
    workflowId: text().notNull(),
    outcome: dvcttRoundOutcome().notNull(),
    proposedAt: timestamp({ withTimezone: true }).notNull(),
    proposedBy: text().notNull(),
    review: jsonb().$type<NonNullable<DvcttRound['review']>>(),
    testReport: jsonb().$type<NonNullable<DvcttRound['testReport']>>(),
    confirmation: jsonb().$type<NonNullable<DvcttRound['confirmation']>>(),
    clockKeys: text().array().notNull(),
    revision: integer().notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.serviceCode, t.round] }), index('dvctt_rounds_outcome_idx').on(t.outcome)],
);

/** Who did what and when, per service (sequence continuous over the service's whole life). */
export const dvcttActions = pgTable(
  'dvctt_actions',
  {
    serviceCode: text().notNull().references(() => dvcttServices.code),
    seq: integer().notNull(),
    workflowId: text().notNull(),
    action: text().notNull(),
    actor: jsonb().$type<ActorRef>().notNull(),
    at: timestamp({ withTimezone: true }).notNull(),
    note: text(),
    data: jsonb().$type<Record<string, unknown>>(),
  },
  (t) => [primaryKey({ columns: [t.serviceCode, t.seq] })],
);
