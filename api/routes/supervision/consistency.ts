import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { consistencyReport } from '../../../db/queries/consistency.js';
import { problem, problemSchema } from '../../errors.js';
import { caseId, cursorPaged, cursorParam, cursorWindow, keysetPage, MAX_INT4, pageQuery, safeCode } from '../../schemas.js';

const findingSchema = z
  .object({
    workflowId: z.string(),
    cause: z.string(),
    repair: z.string(),
    detail: z.string(),
    temporal: z.record(z.string(), z.unknown()),
    projection: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'ConsistencyFinding' });

const runSchema = z.object({
  id: z.number().int(),
  scope: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  casesChecked: z.number().int(),
  disagreements: z.number().int(),
  repaired: z.number().int(),
  byCause: z.record(z.string(), z.number().int()),
  fromWorkflowId: z.string(),
  nextWorkflowId: z.string(),
  cycleCompleted: z.boolean(),
  findingsKept: z.number().int(),
});

/**
 * The SLA consistency checker's latest report (activities/consistency.ts): Temporal's visibility and
 * the workflows' own clocks against `sla_clocks`, each disagreement with its cause and repair.
 */
export const consistencyRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/consistency', {
    config: { access: { roles: ['vpcp', 'auditor'] as const } },
    schema: {
      tags: ['supervision'],
      summary: 'The latest SLA consistency check: cases compared, disagreements by cause, repairs (run by a Schedule every 10 minutes); findings in the run\'s order, keyset pages (`cursor` = the previous page\'s `findings.nextCursor`, which stays on that run)',
      querystring: z.object({
        /** A narrowed run's scope (a workflow-id prefix); default: the Schedule's runs over every case. */
        scope: caseId.optional(),
        cause: safeCode().optional(),
        ...pageQuery,
        cursor: cursorParam(z.tuple([z.number().int().min(1).max(MAX_INT4), z.number().int().min(0).max(MAX_INT4)])).optional(),
      }),
      response: {
        200: z.object({ run: runSchema.nullable(), findings: cursorPaged(findingSchema) }),
        400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema,
      },
    },
  }, async (request) => {
    const { scope, cause, page, pageSize, cursor } = request.query;
    const report = await consistencyReport(app.db, scope ?? '', { ...cursorWindow({ page, pageSize, cursor }), cause });
    if (!report && cursor) throw problem('not-found', 'The run this cursor pages through was forgotten (older than the runs kept); start again from the first page');
    if (!report) return { run: null, findings: { items: [], total: 0, totalEstimated: false, page, pageSize, nextCursor: null } };
    const { run, findings: rows, total, totalEstimated } = report;
    const { items, nextCursor } = keysetPage(rows, pageSize, (f) => [run.id, f.seq]);
    const findings = items.map(({ seq: _seq, ...f }) => f);
    return {
      run: {
        id: run.id, scope: run.scope, startedAt: run.startedAt.toISOString(), finishedAt: run.finishedAt.toISOString(),
        casesChecked: run.casesChecked, disagreements: run.disagreements, repaired: run.repaired, byCause: run.byCause,
        fromWorkflowId: run.fromWorkflowId, nextWorkflowId: run.nextWorkflowId, cycleCompleted: run.cycleCompleted, findingsKept: run.findingsKept,
      },
      findings: { items: findings, ...(cursor ? {} : { total, totalEstimated }), page, pageSize, nextCursor },
    };
  });
};
