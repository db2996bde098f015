import { sql } from 'drizzle-orm';
import { boolean, date, doublePrecision, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import type { EvaluationConfig, EvaluationLevel, IndicatorResult, LevelThreshold } from '../../domain/evaluation/index.js';

/**
 * The evaluation configuration (Art 30.4: VPCP sets the criteria and method): weights, level
 * thresholds and their legal source, as numbered versions. A change is a new row, never an edit,
 * so every result names the version it was computed with.
 */
export const evaluationConfigs = pgTable('evaluation_configs', {
  version: integer().primaryKey(),
  config: jsonb().$type<EvaluationConfig>().notNull(),
  reason: text().notNull(),
  createdBy: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export const evaluationTrigger = pgEnum('evaluation_trigger', ['schedule', 'vpcp']);
export const evaluationRunStatus = pgEnum('evaluation_run_status', ['running', 'completed']);

/** One evaluation run (the evaluation workflow, keyed by its workflow id) over one period. */
export const evaluationRuns = pgTable(
  'evaluation_runs',
  {
    id: text().primaryKey(),
    periodFrom: date({ mode: 'string' }).notNull(),
    periodTo: date({ mode: 'string' }).notNull(),
    configVersion: integer().notNull(),
    trigger: evaluationTrigger().notNull(),
    requestedBy: text(),
    /** The results are made public when the run completes (the yearly Schedule; VPCP on request). */
    publish: boolean().notNull(),
    status: evaluationRunStatus().notNull(),
    agencies: integer().notNull().default(0),
    levels: jsonb().$type<Record<EvaluationLevel | 'notClassified', number>>(),
    startedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp({ withTimezone: true }),
    publishedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    index('evaluation_runs_published_idx').on(t.publishedAt).where(sql`published_at is not null`),
    index('evaluation_runs_started_idx').on(t.startedAt, t.id),
  ],
);

/** Each agency's result of a run, explaining itself: indicator values, scores, weights, the level's band. */
export const evaluationResults = pgTable(
  'evaluation_results',
  {
    runId: text().notNull(),
    agency: text().notNull(),
    /** 'ministry' (ministries and sectors) or 'province': ranks are within the group. */
    agencyGroup: text().notNull(),
    score: doublePrecision(),
    level: text().$type<EvaluationLevel>(),
    rank: integer(),
    coverage: doublePrecision().notNull(),
    threshold: jsonb().$type<LevelThreshold>(),
    indicators: jsonb().$type<IndicatorResult[]>().notNull(),
    explanation: text().notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.agency] })],
);
