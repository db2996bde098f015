import { boolean, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Runs of the SLA consistency checker (activities/consistency.ts): how far each got (the watermark
 * the next run of the same scope starts from), what it compared and what it found. The supervision
 * route shows the latest run of a scope with its findings.
 */
export const consistencyRuns = pgTable(
  'consistency_runs',
  {
    id: serial().primaryKey(),
    /** '' = every case (the Schedule); a workflow-id prefix for a narrowed run (tests, an operator's look at one process). */
    scope: text().notNull(),
    startedAt: timestamp({ withTimezone: true }).notNull(),
    finishedAt: timestamp({ withTimezone: true }).notNull(),
    /** Keyset over the cases in `sla_clocks`: this run checked the cases after `fromWorkflowId` up to `nextWorkflowId`. */
    fromWorkflowId: text().notNull(),
    /** Where the next run starts; '' once a run reached the last case (the next cycle starts over). */
    nextWorkflowId: text().notNull(),
    /** Temporal visibility's page token (base64) for the pass over running cases; null = from the first page. */
    visibilityPageToken: text(),
    /** This run finished a whole pass over `sla_clocks`. */
    cycleCompleted: boolean().notNull(),
    casesChecked: integer().notNull(),
    disagreements: integer().notNull(),
    repaired: integer().notNull(),
    byCause: jsonb().$type<Record<string, number>>().notNull(),
    /** Findings stored for this run (at most the per-run cap; `disagreements` counts them all). */
    findingsKept: integer().notNull(),
  },
  (t) => [index('consistency_runs_scope_idx').on(t.scope, t.id)],
);

/** What one run found, case by case: the cause, what each side said, and the repair done. */
export const consistencyFindings = pgTable(
  'consistency_findings',
  {
    runId: integer().notNull().references(() => consistencyRuns.id, { onDelete: 'cascade' }),
    seq: integer().notNull(),
    workflowId: text().notNull(),
    /** e.g. missing-breach-write, missing-clock-row, pending-after-close, visibility-stale. */
    cause: text().notNull(),
    /** reprojected | signalled | cancelled | none. */
    repair: text().notNull(),
    detail: text().notNull(),
    /** What Temporal (visibility / the workflow's own query) and `sla_clocks` said. */
    temporal: jsonb().$type<Record<string, unknown>>().notNull(),
    projection: jsonb().$type<Record<string, unknown>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] })],
);
