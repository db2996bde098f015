import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Read model of citizen feedback (PAKN, Art 36–45): one row per item, written only by the feedback
 * workflow's activities (the workflow is the source of truth), replaced only by a newer revision.
 */
export const feedbackItems = pgTable(
  'feedback_items',
  {
    itemId: text().primaryKey(),
    workflowId: text().notNull(),
    /** The agency the citizen addressed (or VPCP for an escalation item). */
    receivingAgency: text().notNull(),
    /** The agency handling it now (changes on transfer and escalation). */
    agency: text().notNull(),
    /** Every agency that handled or coordinated on it (agency-scoped reads). */
    involvedAgencies: text().array().notNull(),
    status: text().notNull(),
    category: text().notNull(),
    channel: text().notNull(),
    tthcCode: text(),
    senderName: text().notNull(),
    senderAddress: text().notNull(),
    /** Required of Portal submissions (Art 39.3); an officer-entered item may have neither (Art 42.2b). */
    senderPhone: text(),
    senderEmail: text(),
    portalAccountId: text(),
    content: text().notNull(),
    round: integer().notNull(),
    escalatedFrom: text(),
    receivedAt: timestamp({ withTimezone: true }).notNull(),
    roundStartedAt: timestamp({ withTimezone: true }).notNull(),
    publishedAt: timestamp({ withTimezone: true }),
    closedReason: text(),
    revision: integer().notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('feedback_items_agency_status_idx').on(t.agency, t.status),
    index('feedback_items_involved_idx').using('gin', t.involvedAgencies),
    index('feedback_items_received_idx').on(t.receivedAt),
    index('feedback_items_escalated_from_idx').on(t.escalatedFrom).where(sql`escalated_from is not null`),
  ],
);

/** Every recorded action of an item (who, when, what), keyed by workflow id + sequence: retries never duplicate. */
export const feedbackActions = pgTable(
  'feedback_actions',
  {
    workflowId: text().notNull(),
    seq: integer().notNull(),
    action: text().notNull(),
    actorUserId: text().notNull(),
    actorRole: text().notNull(),
    actorAgency: text(),
    at: timestamp({ withTimezone: true }).notNull(),
    note: text(),
    data: jsonb().$type<Record<string, unknown>>(),
  },
  (t) => [primaryKey({ columns: [t.workflowId, t.seq] })],
);

/**
 * Published answers (Art 45.1), public on the Portal: the officer-approved public version of the
 * question (personal details removed) and the answer — never the citizen's raw text or contact data.
 */
export const feedbackAnswers = pgTable(
  'feedback_answers',
  {
    itemId: text().primaryKey(),
    agency: text().notNull(),
    category: text().notNull(),
    tthcCode: text(),
    question: text().notNull(),
    answer: text().notNull(),
    receivedAt: timestamp({ withTimezone: true }).notNull(),
    publishedAt: timestamp({ withTimezone: true }).notNull(),
    publishedBy: text().notNull(),
  },
  // The public list, latest published first by keyset (issue 18.3): whole, per agency, per category, per TTHC; each ending in the id.
  (t) => [
    index('feedback_answers_published_idx').on(t.publishedAt, t.itemId),
    index('feedback_answers_agency_idx').on(t.agency, t.publishedAt, t.itemId),
    index('feedback_answers_category_idx').on(t.category, t.publishedAt, t.itemId),
    index('feedback_answers_tthc_idx').on(t.tthcCode, t.publishedAt, t.itemId),
  ],
);

/**
 * Submissions refused at intake because they involve state secrets (Art 44.3): only the fact of
 * the refusal is kept — never the content or the sender's data. Keyed by the intake idempotency hash.
 */
export const feedbackRefusals = pgTable('feedback_refusals', {
  intakeKey: text().primaryKey(),
  article: text().notNull(),
  reason: text().notNull(),
  targetAgency: text().notNull(),
  channel: text().notNull(),
  submittedByRole: text().notNull(),
  submittedByUser: text().notNull(),
  refusedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
