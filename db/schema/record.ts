import { boolean, customType, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/**
 * The permanent case record: every closed run of every workflow, copied once from Temporal
 * (its history in the `temporal workflow show --output json` format, RFC 8785-canonical, gzipped)
 * with a SHA-256 chain over the runs of a case. Reads of closed cases come from here once
 * Temporal's retention has purged the execution.
 */
export const caseRuns = pgTable(
  'case_runs',
  {
    runId: text().primaryKey(),
    workflowId: text().notNull(),
    workflowType: text().notNull(),
    /** 1 for the first run of an execution, then +1 per continue-as-new (a reused id starts again at 1). */
    runSeq: integer().notNull(),
    previousRunId: text(),
    taskQueue: text().notNull(),
    agency: text(),
    process: text(),
    /** Temporal's close status: COMPLETED, CONTINUED_AS_NEW, FAILED, TERMINATED, CANCELLED, TIMED_OUT. */
    status: text().notNull(),
    startedAt: timestamp({ withTimezone: true }).notNull(),
    closedAt: timestamp({ withTimezone: true }).notNull(),
    eventCount: integer().notNull(),
    /** gzip of the canonical history JSON (the bytes `historySha256` covers). */
    historyGzip: bytea().notNull(),
    historyBytes: integer().notNull(),
    historySha256: text().notNull(),
    /** The chain: SHA-256 of the canonical {workflowId, runId, previousSha256, historySha256}. */
    sha256: text().notNull(),
    previousSha256: text(),
    /** The case's queries answered by the closed run (its final state), by query name. */
    finalQueries: jsonb().$type<Record<string, unknown>>(),
    copiedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('case_runs_workflow_idx').on(t.workflowId, t.closedAt),
    index('case_runs_closed_idx').on(t.closedAt),
  ],
);

/** Progress of the sweeper that copies closed runs: the close time up to which everything is copied. */
export const recordSweeps = pgTable('record_sweeps', {
  taskQueue: text().primaryKey(),
  watermark: timestamp({ withTimezone: true }).notNull(),
  lastRunAt: timestamp({ withTimezone: true }).notNull(),
  lastCopied: integer().notNull(),
});

/**
 * Business keys that must be unique forever (a payment's agency + requestRef, a decision id, a
 * service code…), claimed before the workflow that carries them is started. Temporal's id reuse
 * policy forgets a key once the run is purged; this table does not.
 */
export const businessKeys = pgTable(
  'business_keys',
  {
    kind: text().notNull(),
    key: text().notNull(),
    workflowId: text().notNull(),
    /** SHA-256 of the canonical request content: the same key with other content is a conflict. */
    contentSha256: text().notNull(),
    /** Set once the workflow start is known to have happened (a claim may precede a crash). */
    started: boolean().notNull().default(false),
    claimedBy: text(),
    claimedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.key] }), index('business_keys_workflow_idx').on(t.workflowId)],
);
