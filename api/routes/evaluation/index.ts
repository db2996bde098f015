import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  addEvaluationConfig,
  currentEvaluationConfig,
  evaluationConfigVersion,
  evaluationResultsOf,
  evaluationRun,
  latestPublishedRun,
  listEvaluationConfigs,
  listEvaluationRuns,
  type EvaluationRunRow,
} from '../../../db/queries/evaluation.js';
import { partyNames } from '../../../db/queries/dashboard.js';
import { MAX_YEAR, MIN_YEAR } from '../../../domain/calendar/index.js';
import {
  configProblems,
  EVALUATION_LEVELS,
  INDICATOR_KEYS,
  INDICATORS,
  LEVEL_NAMES,
  type EvaluationConfig,
  type StoredEvaluationConfig,
} from '../../../domain/evaluation/index.js';
import { evaluationSearchAttributes, evaluationWorkflowId, type EvaluationRunInput, type EvaluationRunResult } from '../../../workflows/evaluation.definitions.js';
import { actorOf } from '../../auth.js';
import { problem, problemSchema } from '../../errors.js';
import { within } from '../../idempotency.js';
import { cursorId, cursorInstant, cursorPaged, cursorParam, cursorWindow, keysetPage, MAX_INT4, pageQuery, queryInt, realDate, safeText } from '../../schemas.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const level = z.enum(EVALUATION_LEVELS);
const score = z.number().min(0).max(100);

const configSchema = z
  .object({
    weights: z.object(Object.fromEntries(INDICATOR_KEYS.map((k) => [k, score])) as Record<(typeof INDICATOR_KEYS)[number], typeof score>).strict(),
    thresholds: z.object(Object.fromEntries(EVALUATION_LEVELS.map((l) => [l, score])) as Record<(typeof EVALUATION_LEVELS)[number], typeof score>).strict(),
    minCoverage: z.number().min(0).max(1),
    source: safeText(500, 3),
  })
  .strict()
  .meta({ id: 'EvaluationConfig' });
const storedConfigSchema = z
  .object({ version: z.number().int(), config: configSchema, reason: z.string(), createdBy: z.string(), createdAt: z.string() })
  .meta({ id: 'EvaluationConfigVersion' });
const catalogueSchema = z.object({
  indicators: z.array(z.object({ key: z.string(), group: z.string(), nameVi: z.string(), nameEn: z.string(), measure: z.string(), source: z.string() })),
  levels: z.array(z.object({ level, nameVi: z.string(), nameEn: z.string() })),
});

const indicatorResultSchema = z.object({
  key: z.string(), nameVi: z.string(), nameEn: z.string(), measure: z.string(), source: z.string(),
  numerator: z.number().nullable(), denominator: z.number().nullable(), value: z.number().nullable(), score: z.number().nullable(),
  weight: z.number(), effectiveWeight: z.number(), points: z.number(),
});
const resultSchema = z
  .object({
    agency: z.string(),
    nameVi: z.string(),
    name: z.string(),
    group: z.enum(['ministry', 'province']),
    score: z.number().nullable(),
    level: level.nullable(),
    levelVi: z.string().nullable(),
    levelEn: z.string().nullable(),
    rank: z.number().int().nullable(),
    coverage: z.number(),
    threshold: z.object({ level, nameVi: z.string(), nameEn: z.string(), minScore: z.number(), next: z.object({ level, minScore: z.number() }).nullable() }).nullable(),
    indicators: z.array(indicatorResultSchema),
    explanation: z.string(),
  })
  .meta({ id: 'AgencyEvaluation' });
const runSchema = z
  .object({
    id: z.string(),
    period: z.object({ from: z.string(), to: z.string() }),
    configVersion: z.number().int(),
    trigger: z.enum(['schedule', 'vpcp']),
    requestedBy: z.string().nullable(),
    publish: z.boolean(),
    status: z.enum(['running', 'completed']),
    agencies: z.number().int(),
    levels: z.record(z.string(), z.number().int()).nullable(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    publishedAt: z.string().nullable(),
  })
  .meta({ id: 'EvaluationRun' });
const runWithResultsSchema = z.object({ run: runSchema, config: storedConfigSchema, results: z.array(resultSchema) }).meta({ id: 'EvaluationRunResults' });
const pendingSchema = z.object({ status: z.literal('pending'), runId: z.string() });

const runDto = (r: EvaluationRunRow): z.infer<typeof runSchema> => ({
  id: r.id, period: { from: r.periodFrom, to: r.periodTo }, configVersion: r.configVersion, trigger: r.trigger, requestedBy: r.requestedBy,
  publish: r.publish, status: r.status, agencies: r.agencies, levels: r.levels, startedAt: r.startedAt.toISOString(),
  finishedAt: r.finishedAt?.toISOString() ?? null, publishedAt: r.publishedAt?.toISOString() ?? null,
});

/**
 * Agency evaluation (Art 30): the configuration VPCP sets (weights, level thresholds, their source;
 * a change is a new version), evaluation runs over any period on demand (a workflow each), and the
 * published yearly results, public like the Regulation wants them (Art 30.3), each agency's result
 * explaining itself.
 */
export const evaluationRoutes: FastifyPluginAsyncZod = async (app) => {
  /** A run with its configuration version and every result (or one agency's), names and indicator texts joined in. */
  async function runWithResults(run: EvaluationRunRow, agency?: string): Promise<z.infer<typeof runWithResultsSchema>> {
    const [config, rows] = await Promise.all([evaluationConfigVersion(app.db, run.configVersion), evaluationResultsOf(app.db, run.id, agency ? [agency] : undefined)]);
    const names = await partyNames(app.db, rows.map((r) => r.agency));
    return {
      run: runDto(run),
      config: config!,
      results: rows.map((r) => ({
        agency: r.agency,
        nameVi: names.get(r.agency)?.nameVi ?? r.agency,
        name: names.get(r.agency)?.name ?? r.agency,
        group: r.agencyGroup as 'ministry' | 'province',
        score: r.score,
        level: r.level,
        levelVi: r.level ? LEVEL_NAMES[r.level].vi : null,
        levelEn: r.level ? LEVEL_NAMES[r.level].en : null,
        rank: r.rank,
        coverage: r.coverage,
        threshold: r.threshold,
        indicators: r.indicators.map((i) => ({ ...i, nameVi: INDICATORS[i.key].nameVi, nameEn: INDICATORS[i.key].nameEn, measure: INDICATORS[i.key].measure, source: INDICATORS[i.key].source })),
        explanation: r.explanation,
      })),
    };
  }

  app.get('/config', {
    schema: {
      tags: ['evaluation'],
      summary: 'The current evaluation configuration (public): weights, level thresholds and their source, with the indicator catalogue',
      security: [],
      response: { 200: z.object({ current: storedConfigSchema, catalogue: catalogueSchema }), ...errors },
    },
  }, async () => ({
    current: await currentEvaluationConfig(app.db),
    catalogue: {
      indicators: INDICATOR_KEYS.map((k) => INDICATORS[k]),
      levels: EVALUATION_LEVELS.map((l) => ({ level: l, nameVi: LEVEL_NAMES[l].vi, nameEn: LEVEL_NAMES[l].en })),
    },
  }));

  app.get('/config/versions', {
    schema: {
      tags: ['evaluation'], summary: 'Every version of the evaluation configuration, newest first (public)', security: [],
      response: { 200: z.object({ items: z.array(storedConfigSchema) }), ...errors },
    },
  }, async () => ({ items: await listEvaluationConfigs(app.db) }));

  app.get('/config/versions/:version', {
    schema: {
      tags: ['evaluation'], summary: 'One version of the evaluation configuration (public)', security: [],
      params: z.object({ version: queryInt(1, MAX_INT4) }),
      response: { 200: storedConfigSchema, ...errors },
    },
  }, async (request) => {
    const stored = await evaluationConfigVersion(app.db, request.params.version);
    if (!stored) throw problem('not-found', `No evaluation configuration version ${request.params.version}`);
    return stored;
  });

  app.post('/config', {
    config: { access: { roles: ['vpcp'] as const }, permission: 'evaluation.manage' },
    schema: {
      tags: ['evaluation'],
      summary: 'VPCP sets new weights and thresholds (Art 30.4): a new version on top of the one edited, never a change of an old one',
      body: z.object({ basedOnVersion: z.number().int().min(1).max(MAX_INT4), reason: safeText(500, 3), config: configSchema }),
      response: { 201: storedConfigSchema, ...errors, 409: problemSchema },
    },
  }, async (request, reply) => {
    const { basedOnVersion, reason, config } = request.body;
    const problems = configProblems(config as EvaluationConfig);
    if (problems.length > 0) {
      throw problem('validation', `The configuration cannot be used: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
        problems.map((p) => ({ path: `body.config.${p.path}`, message: p.message })));
    }
    const added = await addEvaluationConfig(app.db, { basedOn: basedOnVersion, config: config as EvaluationConfig, reason, createdBy: actorOf(request).userId });
    if ('conflict' in added) throw problem('conflict', `The current version is ${added.conflict}, not ${basedOnVersion}: re-read it and edit that one`);
    request.log.info({ version: added.stored.version, reason }, 'evaluation configuration version added');
    return reply.status(201).header('location', `/v1/evaluation/config/versions/${added.stored.version}`).send(added.stored satisfies StoredEvaluationConfig);
  });

  app.post('/runs', {
    config: { access: { roles: ['vpcp'] as const }, permission: 'evaluation.manage' },
    schema: {
      tags: ['evaluation'],
      summary: 'Evaluate every ministry, sector and province over a period, now (a workflow; the answer waits a bounded time, then 202)',
      body: z.object({
        from: realDate,
        to: realDate,
        /** Publish the results when the run completes (the yearly Schedule always does). */
        publish: z.boolean().default(false),
        /** Default: the current version. */
        configVersion: z.number().int().min(1).max(MAX_INT4).optional(),
      }),
      response: { 200: z.object({ run: runSchema }), 202: pendingSchema, ...errors },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const { from, to, publish, configVersion } = request.body;
    if (to < from) throw problem('validation', 'to must not be before from', [{ path: 'body.to', message: 'must not be before from' }]);
    if (configVersion !== undefined && !(await evaluationConfigVersion(app.db, configVersion))) {
      throw problem('not-found', `No evaluation configuration version ${configVersion}`);
    }
    const runId = evaluationWorkflowId(request.idempotency?.updateId ?? randomUUID());
    const input: EvaluationRunInput = { period: { from, to }, publish, trigger: 'vpcp', actor, configVersion };
    await app.temporal.workflow.start('evaluationWorkflow', { taskQueue: app.config.TASK_QUEUE, workflowId: runId, args: [input], workflowIdReusePolicy: 'REJECT_DUPLICATE', typedSearchAttributes: evaluationSearchAttributes() })
      .catch((err: unknown) => {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      });
    const done = await within(app.temporal.workflow.getHandle(runId).result() as Promise<EvaluationRunResult>, app.config.UPDATE_WAIT_MS);
    reply.header('location', `/v1/evaluation/runs/${encodeURIComponent(runId)}`);
    if (!done) return reply.status(202).send({ status: 'pending' as const, runId });
    const run = await evaluationRun(app.db, runId);
    request.log.info({ runId, period: { from, to }, configVersion: done.value.configVersion, levels: done.value.levels }, 'agency evaluation run');
    return { run: runDto(run!) };
  });

  app.get('/runs', {
    config: { access: { roles: ['vpcp', 'auditor'] as const } },
    schema: {
      tags: ['evaluation'], summary: 'Evaluation runs (Art 30), newest first (scheduled and on demand, published or not); keyset pages (`cursor` = the previous page\'s `nextCursor`)',
      querystring: z.object({ ...pageQuery, cursor: cursorParam(z.tuple([cursorInstant, cursorId])).optional() }),
      response: { 200: cursorPaged(runSchema), ...errors },
    },
  }, async (request) => {
    const { page, pageSize, cursor } = request.query;
    const { items: rows, total, totalEstimated } = await listEvaluationRuns(app.db, cursorWindow({ page, pageSize, cursor }));
    const { items, nextCursor } = keysetPage(rows, pageSize, (r) => [r.cursorAt, r.id]);
    return { items: items.map(runDto), ...(cursor ? {} : { total, totalEstimated }), page, pageSize, nextCursor };
  });

  app.get('/runs/:runId', {
    config: { access: { roles: ['vpcp', 'auditor', 'agency'] as const } },
    schema: {
      tags: ['evaluation'],
      summary: "One run with every agency's result explained (an agency officer: its own result only)",
      // A Schedule's run id ends with the RFC 3339 instant it was started for (colons included).
      params: z.object({ runId: z.string().regex(/^[\w.:+-]{1,160}$/) }),
      response: { 200: runWithResultsSchema, ...errors },
    },
  }, async (request) => {
    const run = await evaluationRun(app.db, request.params.runId);
    if (!run) throw problem('not-found', `No evaluation run ${request.params.runId}`);
    const actor = actorOf(request);
    return runWithResults(run, actor.role === 'agency' ? actor.agency : undefined);
  });

  app.get('/results', {
    schema: {
      tags: ['evaluation'],
      summary: 'The published evaluation results (Art 30.3, public): the latest, or the one for a year; each agency with its level, rank and explanation',
      security: [],
      querystring: z.object({ year: queryInt(MIN_YEAR, MAX_YEAR).optional() }),
      response: { 200: runWithResultsSchema, ...errors },
    },
  }, async (request) => {
    const run = await latestPublishedRun(app.db, request.query.year);
    if (!run) throw problem('not-found', request.query.year ? `No published evaluation for ${request.query.year}` : 'No evaluation has been published yet');
    return runWithResults(run);
  });
};
