import { sql } from 'drizzle-orm';
import { boolean, date, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type {
  DecisionItem,
  IssueTiming,
  LocalizationRecord,
  ReviewFinding,
  ReviewRound,
  TthcComponents,
  TthcPublishResult,
} from '../../domain/tthc/types.js';

export const tthcAuthorityKind = pgEnum('tthc_authority_kind', ['minister', 'provincial-chairman', 'shortened-procedure']);
export const tthcDecisionStage = pgEnum('tthc_decision_stage', ['entering', 'checked', 'published']);
export const tthcProcedureStatus = pgEnum('tthc_procedure_status', ['published', 'repealed']);
export const tthcVersionStatus = pgEnum('tthc_version_status', ['published', 'superseded', 'repealed']);
export const tthcLevel = pgEnum('tthc_level', ['central', 'provincial', 'district', 'commune']);
export const tthcReviewStage = pgEnum('tthc_review_stage', ['awaiting-fix', 'fix-submitted', 'accepted']);

/**
 * Publication decisions (Quyết định công bố TTHC) as entered by the agency: a projection of the
 * decision workflow (the source of truth until publication), replaced only by a newer revision.
 * Drafts of new / amended TTHCs live here, in `items`, until the decision is published.
 */
export const tthcDecisions = pgTable(
  'tthc_decisions',
  {
    id: text().primaryKey(),
    workflowId: text().notNull(),
    revision: integer().notNull(),
    number: text().notNull(),
    title: text().notNull(),
    agency: text().notNull(),
    authorityKind: tthcAuthorityKind().notNull(),
    signedOn: date({ mode: 'string' }).notNull(),
    /** When the legal document that defines the TTHCs takes effect (Decree 63 Art 15). */
    legalEffectiveOn: date({ mode: 'string' }).notNull(),
    /** Who signed it (name and title), public with the decision (Art 16.5). */
    signer: text(),
    stage: tthcDecisionStage().notNull(),
    items: jsonb().$type<DecisionItem[]>().notNull(),
    /** Decree 63 Art 15: issued late before the law takes effect (recorded, not blocking). */
    lateIssue: boolean().notNull(),
    issueTiming: jsonb().$type<IssueTiming>(),
    publishedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('tthc_decisions_agency_idx').on(t.agency, t.signedOn, t.id), index('tthc_decisions_late_idx').on(t.lateIssue),
    // The decision lists, newest signature first by keyset (issue 18.3).
    index('tthc_decisions_signed_idx').on(t.signedOn, t.id),
  ],
);

/**
 * One row per TTHC (its identity and the search fields of its current version), changed only by
 * the publish transaction. A province's localized copy points at the central TTHC it localizes.
 */
export const tthcProcedures = pgTable(
  'tthc_procedures',
  {
    code: text().primaryKey(),
    /** The agency that publishes it (ministry, sector or province). */
    agency: text().notNull(),
    /** The central TTHC this province's copy localizes (Art 17.2, 18.2); null for an original. */
    localizesCode: text(),
    /** Performed through the interconnected procedure (liên thông, Art 20) with these TTHCs. */
    interconnected: boolean().notNull().default(false),
    currentVersion: integer().notNull(),
    status: tthcProcedureStatus().notNull(),
    name: text().notNull(),
    field: text().notNull(),
    level: tthcLevel().notNull(),
    implementingAgency: text().notNull(),
    /** Set when the central TTHC was amended after this localized copy was made (Art 18.2). */
    centralAmendedVersion: integer(),
    updatedAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    index('tthc_procedures_localizes_idx').on(t.localizesCode),
    index('tthc_procedures_search_idx').on(t.agency, t.field, t.level, t.status),
  ],
);

/**
 * Every published version of every TTHC, never rewritten except to close it. Two intervals:
 * [validFrom, validTo) is when the version was the catalogue's current entry (published → replaced);
 * [effectiveFrom, effectiveTo) is when it was legally in force — from the effective day of the act
 * that made it, until the effective day of the act that amended or repealed it (Art 16.5, 19.1).
 * The in-force intervals of one TTHC never overlap (a later act cuts every earlier one), so "what
 * did TTHC X say on date D" is one indexed lookup.
 */
export const tthcVersions = pgTable(
  'tthc_versions',
  {
    code: text().notNull(),
    version: integer().notNull(),
    status: tthcVersionStatus().notNull(),
    /** The decision that published this version (or, for a review correction, the one it corrects). */
    decisionId: text().notNull(),
    /** Set when the version is a correction accepted in a quality review (Art 24.2a). */
    reviewId: text(),
    /** The decision that superseded or repealed this version. */
    closedByDecisionId: text(),
    name: text().notNull(),
    field: text().notNull(),
    level: tthcLevel().notNull(),
    implementingAgency: text().notNull(),
    components: jsonb().$type<TthcComponents>().notNull(),
    /** A localized copy: the central version it was made from. */
    centralVersion: integer(),
    interconnectedWith: jsonb().$type<string[]>(),
    /** A localized copy: the authorized agency and the provincial acts it rests on (Art 17.2). */
    localization: jsonb().$type<LocalizationRecord>(),
    validFrom: timestamp({ withTimezone: true }).notNull(),
    validTo: timestamp({ withTimezone: true }),
    effectiveFrom: timestamp({ withTimezone: true }).notNull(),
    effectiveTo: timestamp({ withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.code, t.version] }),
    index('tthc_versions_valid_idx').on(t.code, t.validFrom, t.validTo),
    index('tthc_versions_effective_idx').on(t.code, t.effectiveFrom, t.effectiveTo),
    uniqueIndex('tthc_versions_one_open_idx').on(t.code).where(sql`valid_to is null`),
  ],
);

/** Idempotency record of a decision's publication: one row, written in the publish transaction. */
export const tthcPublications = pgTable('tthc_publications', {
  decisionId: text().primaryKey(),
  workflowId: text().notNull(),
  publishedAt: timestamp({ withTimezone: true }).notNull(),
  result: jsonb().$type<TthcPublishResult>().notNull(),
});

/** Quality reviews (Art 24.2a): a projection of the review workflow; results are public. */
export const tthcReviews = pgTable(
  'tthc_reviews',
  {
    id: text().primaryKey(),
    workflowId: text().notNull(),
    revision: integer().notNull(),
    code: text().notNull(),
    version: integer().notNull(),
    agency: text().notNull(),
    stage: tthcReviewStage().notNull(),
    findings: jsonb().$type<ReviewFinding[]>().notNull(),
    rounds: jsonb().$type<ReviewRound[]>().notNull(),
    correctedVersion: integer(),
    openedAt: timestamp({ withTimezone: true }).notNull(),
    closedAt: timestamp({ withTimezone: true }),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('tthc_reviews_agency_idx').on(t.agency, t.stage), index('tthc_reviews_code_idx').on(t.code),
    // The review list, newest first by keyset (issue 18.3).
    index('tthc_reviews_opened_idx').on(t.openedAt, t.id),
  ],
);
