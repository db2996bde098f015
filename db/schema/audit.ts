import { bigint, index, pgEnum, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const auditReadAction = pgEnum('audit_read_action', ['timeline', 'history', 'verify', 'replay', 'supervisor', 'view-token', 'personal-data']);
export const auditReadOutcome = pgEnum('audit_read_outcome', ['granted', 'denied']);

/**
 * Every read through the audit API is itself recorded: who (user, role, agency), what (action,
 * case), when, and whether it was allowed. A history export also records the SHA-256 it was
 * issued with, so `POST /v1/audit/verify` can tell an export this server issued from one whose
 * content and hash were both rewritten.
 */
export const auditReads = pgTable(
  'audit_reads',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
    userId: text().notNull(),
    role: text().notNull(),
    agency: text(),
    action: auditReadAction().notNull(),
    workflowId: text(),
    outcome: auditReadOutcome().notNull(),
    requestId: text().notNull(),
    /** For a history export: the content hash handed out. */
    sha256: text(),
    detail: text(),
  },
  (t) => [
    index('audit_reads_workflow_idx').on(t.workflowId, t.at),
    index('audit_reads_user_idx').on(t.userId, t.at),
    index('audit_reads_sha256_idx').on(t.sha256),
  ],
);
