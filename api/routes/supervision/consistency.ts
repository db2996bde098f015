import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { consistencyReport } from '../../../db/queries/consistency.js';
import { problemSchema } from '../../errors.js';
import { caseId, pageQuery, pageWindow, paged, safeCode } from '../../schemas.js';

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
      summary: 'The latest SLA consistency check: cases compared, disagreements by cause, repairs (run by a Schedule every 10 minutes)',
      querystring: z.object({
        /** A narrowed run's scope (a workflow-id prefix); default: the Schedule's runs over every case. */
        scope: caseId.optional(),
        cause: safeCode().optional(),
        ...pageQuery,
      }),
      response: { 200: z.object({ run: runSchema.nullable(), findings: paged(findingSchema) }), 400: problemSchema, 401: problemSchema, 403: problemSchema },
    },
  }, async (request) => {
    const { scope, cause, page, pageSize } = request.query;
    const report = await consistencyReport(app.db, scope ?? '', { ...pageWindow({ page, pageSize }), cause });
    if (!report) return { run: null, findings: { items: [], total: 0, page, pageSize } };
    const { run, findings, total } = report;
    return {
      run: {
        id: run.id, scope: run.scope, startedAt: run.startedAt.toISOString(), finishedAt: run.finishedAt.toISOString(),
        casesChecked: run.casesChecked, disagreements: run.disagreements, repaired: run.repaired, byCause: run.byCause,
        fromWorkflowId: run.fromWorkflowId, nextWorkflowId: run.nextWorkflowId, cycleCompleted: run.cycleCompleted, findingsKept: run.findingsKept,
      },
      findings: { items: findings, total, page, pageSize },
    };
  });
};
