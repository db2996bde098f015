import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { z } from 'zod';
import { loadCalendarVersion } from '../../../db/queries/calendar.js';
import { breachCursorOf, dueCursorOf, listBreaches, onTimeRates } from '../../../db/queries/sla.js';
import { slaClockKind, slaOutcome, slaOwnerKind, slaUnit } from '../../../db/schema/index.js';
import { recomputeJobWorkflowId, type RecomputeJobInput, type RecomputeJobResult } from '../../../workflows/recompute.definitions.js';
import { problem, problemSchema } from '../../errors.js';
import { within } from '../../idempotency.js';
import { caseId, cursorId, cursorInstant, cursorPaged, cursorParam, cursorWindow, dateOrInstant, keysetPage, pageQuery, safeCode, safeText } from '../../schemas.js';
import { actorOf, agencyInQuery } from '../../auth.js';
import { clockScopeOf, DUE_SOON_WORKING_DAYS, dueSoon } from './clocks.js';
import { consistencyRoutes } from './consistency.js';
import { dashboardRoutes } from './dashboard.js';

const code = safeCode();

const clockSchema = z
  .object({
    workflowId: z.string(),
    clockKey: z.string(),
    process: z.string(),
    caseAgency: z.string(),
    owner: z.string(),
    ownerKind: z.enum(slaOwnerKind.enumValues),
    /** Only `regulated` clocks count in breach lists and on-time rates; the others are shown, never counted. */
    kind: z.enum(slaClockKind.enumValues),
    article: z.string(),
    /** The rule set the period and article come from; null for clocks written before rule sets existed (the 2020 baseline). */
    ruleSetId: z.string().nullable(),
    rule: z.string(),
    stage: z.string(),
    unit: z.enum(slaUnit.enumValues),
    amount: z.number().int(),
    startedAt: z.string(),
    dueAt: z.string(),
    calendarVersion: z.number().int(),
    outcome: z.enum(slaOutcome.enumValues),
    breachedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    completedBy: z.string().nullable(),
  })
  .meta({ id: 'SlaClockRow' });
type ClockRow = Awaited<ReturnType<typeof listBreaches>>['items'][number];

const toDto = (c: ClockRow): z.infer<typeof clockSchema> => ({
  ...c,
  startedAt: c.startedAt.toISOString(),
  dueAt: c.dueAt.toISOString(),
  breachedAt: c.breachedAt?.toISOString() ?? null,
  completedAt: c.completedAt?.toISOString() ?? null,
});

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema };

/** `?cursor` of the clock lists: the last item's breach (or due) instant, case and clock key. */
const clockCursor = cursorParam(z.tuple([cursorInstant, cursorId, cursorId]));

/**
 * Where a page of a clock list starts: after the cursor (keyset; no total, the first page gave it), or
 * at `?page`'s OFFSET (the older paging, kept for callers that use it). One extra row says whether a
 * next page exists.
 */
const windowOf = ({ page, pageSize, cursor }: { page: number; pageSize: number; cursor?: [string, string, string] }) =>
  cursor ? { limit: pageSize + 1, after: cursor, withTotal: false } : { ...cursorWindow<never>({ page, pageSize }), withTotal: true };


/**
 * An agency officer naming another agency in a filter is refused (403), not silently emptied; a
 * bank reads only the clocks it owns, so `owner=` naming another bank is refused the same way.
 */
const supervisors = {
  access: {
    roles: ['vpcp', 'auditor', 'agency', 'bank'] as const,
    agencyOf: agencyInQuery,
    bankOf: (request: FastifyRequest) => (request.query as { owner?: string }).owner,
  },
};

/**
 * SLA supervision (SPEC §3): breaches, open clocks due soon and on-time rates, from the
 * `sla_clocks` projection; and VPCP's explicit recomputation of open clocks after a calendar change.
 */
const recomputeResultSchema = z.object({
  calendarVersion: z.number().int(),
  /** Per case (the first 1,000); `total` and `failed` count them all. */
  results: z.array(z.object({
    workflowId: z.string(),
    status: z.enum(['recomputed', 'unchanged', 'failed']),
    recomputed: z.array(z.object({ key: z.string(), previousDueAt: z.string(), dueAt: z.string(), calendarVersion: z.number().int() })).optional(),
    error: z.string().optional(),
  })),
  total: z.number().int(),
  failed: z.number().int(),
});

export const supervisionRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(consistencyRoutes);
  await app.register(dashboardRoutes);
  app.get('/breaches', {
    config: supervisors,
    schema: {
      tags: ['supervision'],
      summary: 'Breached clocks, newest breach first, filtered by case agency, owner, process, article and breach period; keyset pages (`cursor` = the previous page\'s `nextCursor`)',
      querystring: z.object({
        agency: code.optional(),
        owner: code.optional(),
        process: code.optional(),
        article: safeText(100).optional(),
        from: dateOrInstant('from').optional(),
        to: dateOrInstant('to').optional(),
        /** Only breaches whose step is still not done. */
        open: z.stringbool().optional(),
        ...pageQuery,
        cursor: clockCursor.optional(),
      }),
      response: { 200: cursorPaged(clockSchema), ...errors },
    },
  }, async (request) => {
    const { from, to, page, pageSize, cursor, ...filter } = request.query;
    const result = await listBreaches(app.db, clockScopeOf(actorOf(request)), {
      ...filter,
      from: from ? new Date(from) : undefined,
      to: to ? new Date(to) : undefined,
      ...windowOf({ page, pageSize, cursor }),
    });
    const { items, nextCursor } = keysetPage(result.items, pageSize, breachCursorOf);
    return { items: items.map(toDto), total: result.total, ...(cursor ? {} : { totalEstimated: result.totalEstimated }), page, pageSize, nextCursor };
  });

  app.get('/due-soon', {
    config: supervisors,
    schema: {
      tags: ['supervision'],
      summary: 'Open clocks due by the end of the N-th working day from now (current calendar version), soonest first; keyset pages (`cursor`)',
      querystring: z.object({
        withinWorkingDays: z.coerce.number().int().min(1).max(250).default(DUE_SOON_WORKING_DAYS),
        agency: code.optional(),
        owner: code.optional(),
        process: code.optional(),
        ...pageQuery,
        cursor: clockCursor.optional(),
      }),
      response: { 200: cursorPaged(clockSchema).extend({ until: z.string(), calendarVersion: z.number().int() }), ...errors },
    },
  }, async (request) => {
    const { page, pageSize, cursor, ...filter } = request.query;
    const due = await dueSoon(app.db, app.calendars, clockScopeOf(actorOf(request)), { ...filter, ...windowOf({ page, pageSize, cursor }) });
    const { items, nextCursor } = keysetPage(due.items, pageSize, dueCursorOf);
    return { until: due.until.toISOString(), calendarVersion: due.calendarVersion, items: items.map(toDto), total: due.total, ...(cursor ? {} : { totalEstimated: due.totalEstimated }), page, pageSize, nextCursor };
  });

  app.get('/on-time-rates', {
    config: supervisors,
    schema: {
      tags: ['supervision'],
      summary: 'On-time rate per owner for the counted clocks due from `from` through `to` (a plain date is a whole local day): met / (met + breached)',
      querystring: z.object({ from: dateOrInstant('from'), to: dateOrInstant('to'), process: code.optional() }),
      response: {
        200: z.object({
          from: z.string(),
          to: z.string(),
          items: z.array(z.object({
            owner: z.string(),
            ownerKind: z.enum(slaOwnerKind.enumValues),
            met: z.number().int(),
            breached: z.number().int(),
            total: z.number().int(),
            onTimeRate: z.number().nullable(),
          })),
        }),
        ...errors,
      },
    },
  }, async (request) => {
    const { from, to, process } = request.query;
    if (Date.parse(to) <= Date.parse(from)) throw problem('validation', 'to must be after from', [{ path: 'querystring.to', message: 'must be after from' }]);
    const items = await onTimeRates(app.db, clockScopeOf(actorOf(request)), { from: new Date(from), to: new Date(to), process });
    return { from, to, items };
  });

  app.post('/recompute-clocks', {
    config: { access: { roles: ['vpcp'] as const }, permission: 'supervision.recompute' },
    schema: {
      tags: ['supervision'],
      summary: 'Recompute the due instants of open clocks computed on an older calendar version (explicit, recorded in each case)',
      body: z.object({
        reason: safeText(500, 3),
        /** Narrow the recomputation to one process or to given cases; default: every case with stale clocks. */
        process: code.optional(),
        workflowIds: z.array(caseId).min(1).max(1000).optional(),
      }),
      response: { 200: recomputeResultSchema, 202: z.object({ status: z.literal('pending'), jobId: z.string() }), ...errors },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const { reason, process, workflowIds } = request.body;
    const current = await loadCalendarVersion(app.db);
    if (!current) throw problem('not-found', 'No calendar version exists');
    // A job of its own (recomputeClocksWorkflow): no fan-out inside this request. Each case records the action.
    const jobId = request.idempotency?.updateId ?? randomUUID();
    const input: RecomputeJobInput = { actor, reason, calendarVersion: current.version, process, workflowIds };
    const handle = await app.temporal.workflow.start('recomputeClocksWorkflow', {
      taskQueue: app.config.TASK_QUEUE, workflowId: recomputeJobWorkflowId(jobId), args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    }).catch((err: unknown) => {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return app.temporal.workflow.getHandle(recomputeJobWorkflowId(jobId));
      throw err;
    });
    const outcome = await jobOutcome(handle.workflowId, app.config.UPDATE_WAIT_MS);
    if (!outcome) return reply.status(202).header('location', `/v1/supervision/recompute-clocks/${jobId}`).send({ status: 'pending' as const, jobId });
    request.log.info({ calendarVersion: current.version, reason, workflows: outcome.total, failed: outcome.failed }, 'SLA clocks recomputed');
    return outcome;
  });

  /** The job's result once it has finished (undefined while it runs past `waitMs`). */
  const jobOutcome = async (workflowId: string, waitMs: number) =>
    (await within(app.temporal.workflow.getHandle(workflowId).result() as Promise<RecomputeJobResult>, waitMs))?.value;

  app.get('/recompute-clocks/:jobId', {
    config: { access: { roles: ['vpcp', 'auditor'] as const } },
    schema: {
      tags: ['supervision'],
      summary: 'The result of a recomputation job answered 202',
      params: z.object({ jobId: z.string().regex(/^[\w-]{1,64}$/) }),
      response: { 200: recomputeResultSchema, 202: z.object({ status: z.literal('pending'), jobId: z.string() }), ...errors },
    },
  }, async (request, reply) => {
    const outcome = await jobOutcome(recomputeJobWorkflowId(request.params.jobId), 2_000);
    if (!outcome) return reply.status(202).header('retry-after', '2').send({ status: 'pending' as const, jobId: request.params.jobId });
    return outcome;
  });
};
