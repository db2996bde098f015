import { sql } from 'drizzle-orm';
import { index, integer, pgTable, smallint, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Read model of account issues (Art 13.1): one row per complaint or wrong-identity-data report,
 * written only by the account workflow's activities, replaced only by a newer revision. No
 * personal data: the owner's name, phone and e-mail stay in the workflow's (encrypted) payloads.
 */
export const accountIssues = pgTable(
  'account_issues',
  {
    caseId: text().primaryKey(),
    workflowId: text().notNull(),
    accountId: text().notNull(),
    /** `complaint` or `wrong-identity-data` (Art 13.1). */
    kind: text().notNull(),
    /** `support-line` or `portal`. */
    channel: text().notNull(),
    status: text().notNull(),
    /** Related parties notified (identity providers, agencies): codes only. */
    parties: text().array().notNull().default(sql`'{}'::text[]`),
    receivedAt: timestamp({ withTimezone: true }).notNull(),
    partiesNotifiedAt: timestamp({ withTimezone: true }),
    acceptedAt: timestamp({ withTimezone: true }),
    closedAt: timestamp({ withTimezone: true }),
    revision: integer().notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The list, newest first by keyset (issue 18.3): whole, by status, by account; each ends in the id.
    index('account_issues_status_idx').on(t.status, t.receivedAt, t.caseId),
    index('account_issues_account_idx').on(t.accountId, t.receivedAt, t.caseId),
    index('account_issues_received_idx').on(t.receivedAt, t.caseId),
  ],
);

/**
 * Last activity of every Portal account (Art 13.2), as the Portal's identity system reports it:
 * tens of millions of rows, so one narrow row per account and one partial index on the instant
 * its next inactivity step is due. `noticeStage`: 0 active, 1 first lock notice sent, 2 second
 * notice sent, 3 locked; `nextActionAt` is null once locked.
 */
export const accounts = pgTable(
  'accounts',
  {
    accountId: text().primaryKey(),
    lastActivityAt: timestamp({ withTimezone: true }).notNull(),
    noticeStage: smallint().notNull().default(0),
    nextActionAt: timestamp({ withTimezone: true }),
    lastNoticeAt: timestamp({ withTimezone: true }),
    lockedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index('accounts_next_action_idx').on(t.nextActionAt).where(sql`next_action_at is not null`)],
);

/** Every activity batch the identity system sent, once: a retried batch is recognised by its id and content. */
export const accountActivityBatches = pgTable('account_activity_batches', {
  batchId: text().primaryKey(),
  contentSha256: text().notNull(),
  events: integer().notNull(),
  accounts: integer().notNull(),
  receivedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
