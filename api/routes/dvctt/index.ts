import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import { findAgency } from '../../../db/queries/agencies.js';
import {
  declareService,
  findService,
  listBreaches,
  listRounds,
  listServices,
  roundsPerService,
  type DvcttServiceRow,
  type Scope,
} from '../../../db/queries/dvctt.js';
import { findProcedure } from '../../../db/queries/tthc.js';
import { dvcttRoundOutcome, slaClockKind } from '../../../db/schema/index.js';
import { localizedCode } from '../../../workflows/tthc.rules.js';
import {
  acceptsNewDossiers,
  closeDvcttLoopUpdate,
  confirmDvcttTestUpdate,
  DEFAULT_ABANDON_AFTER_WORKING_DAYS,
  DVCTT_PROCESS,
  DVCTT_STATUSES,
  dvcttStateQuery,
  dvcttWorkflowId,
  proposeDvcttUpdate,
  reportDvcttFixUpdate,
  resumeDvcttServiceUpdate,
  reviewDvcttProposalUpdate,
  stopDvcttServiceUpdate,
  submitDvcttTestReportUpdate,
  suspendDvcttServiceUpdate,
  withdrawDvcttUpdate,
  tthcRepealReason,
  type DvcttActionResult,
  type DvcttService,
  type DvcttView,
  type DvcttWorkflowInput,
  type TthcRepealNotice,
} from '../../../workflows/dvctt.definitions.js';
import { agencyKey, processKey, stageKey } from '../../../workflows/search-attributes.js';
import { problem, problemSchema } from '../../errors.js';
import { cursorId, cursorInstant, cursorPaged, cursorParam, cursorWindow, keysetPage, MAX_INT4, pageQuery, queryInt, safeMultilineText, safeText, slaClockSchema } from '../../schemas.js';
import { actorOf, agencyInQuery, assertAgencyScope, type Actor, type Role } from '../../auth.js';
import type { Permission } from '../../../domain/permissions/catalogue.js';
import { dvcttActionsFor } from '../../../domain/permissions/case-actions.js';
import { runUpdate } from '../../idempotency.js';
import { describeCase, queryCase, startOnce } from '../../case-record.js';
import { ruleSetForNewCase } from '../rule-sets/pin.js';

const code = z.string().trim().regex(/^[A-Za-z0-9._-]{2,64}$/, 'letters, digits, dot, dash, underscore; 2–64');
const text = (max: number) => safeText(max, 3);
/** Reasons and notes may span lines. */
const note = safeMultilineText(2000, 3);
const params = z.object({ code });
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const actionErrors = { ...errors, 409: problemSchema, 422: problemSchema };

const readers = ['agency', 'vpcp', 'auditor', 'portal'] as const satisfies readonly Role[];
/** Agencies read only their own services; VPCP, auditors and the Portal read all. */
const scopeOf = (actor: Actor): Scope => (actor.role === 'agency' ? { agency: actor.agency } : {});

const tthcRepealSchema = z
  .object({
    tthcCode: z.string(), decisionId: z.string(), decisionNumber: z.string(), effectiveOn: z.string(),
    actor: z.object({ userId: z.string(), role: z.string(), agency: z.string().optional(), bank: z.string().optional() }),
  })
  .meta({ id: 'DvcttTthcRepeal', description: 'Art 28.1: the TTHC the service delivers was repealed; the service is no longer provided' });
/** A TTHC code as the catalogue writes it (a province's copy is `<central code>@<province>`). */
const tthcCodeSchema = z.string().trim().regex(/^[0-9A-Za-z.@-]{3,80}$/, 'a TTHC code such as 1.001234');

const serviceSchema = z
  .object({
    code: z.string(),
    name: z.string(),
    tthcCode: z.string(),
    agency: z.string(),
    level: z.number().int(),
    declaredBy: z.string(),
    declaredAt: z.string(),
    status: z.enum(DVCTT_STATUSES),
    statusChangedAt: z.string(),
    currentRound: z.number().int().nullable(),
    workflowId: z.string().nullable(),
    tthcRepeal: tthcRepealSchema.nullable(),
    /** A counted clock of the service's case breached (not an abandonment clock), and against whom. */
    slaBreached: z.boolean(),
    breachOwners: z.array(z.string()),
  })
  .meta({ id: 'DvcttService' });
const toServiceDto = (s: NonNullable<DvcttServiceRow>): z.infer<typeof serviceSchema> => ({
  ...s,
  declaredAt: s.declaredAt.toISOString(),
  statusChangedAt: s.statusChangedAt.toISOString(),
});

const actorRefSchema = z.object({ userId: z.string(), role: z.string(), agency: z.string().optional(), bank: z.string().optional() });
const testReportSchema = z.object({
  tthcName: text(500).describe('Tên thủ tục hành chính'),
  serviceName: text(500).describe('Tên dịch vụ công'),
  dossierCodes: z.array(safeText(64)).min(1).max(200).describe('Mã số hồ sơ đã hoàn thành kiểm thử'),
});
const roundSchema = z.object({
  round: z.number().int(),
  proposedAt: z.string(),
  proposedBy: z.string(),
  proposalNote: z.string().optional(),
  review: z.object({ decision: z.enum(['approve', 'reject']), at: z.string(), by: z.string(), reasons: z.string().optional() }).optional(),
  testReport: testReportSchema.extend({ at: z.string(), by: z.string() }).optional(),
  confirmation: z.object({ result: z.enum(['pass', 'fail']), at: z.string(), by: z.string(), reasons: z.string().optional() }).optional(),
  outcome: z.enum(dvcttRoundOutcome.enumValues),
  clockKeys: z.array(z.string()),
});
const viewSchema = z
  .object({
    workflowId: z.string(),
    service: z.object({ code: z.string(), name: z.string(), tthcCode: z.string(), agency: z.string(), level: z.number().int() }),
    status: z.enum(DVCTT_STATUSES),
    acceptsNewDossiers: z.boolean(),
    currentRound: z.number().int().optional(),
    rounds: z.array(roundSchema.extend({ clocks: z.array(slaClockSchema) })),
    fixReported: z.object({ at: z.string(), by: z.string(), note: z.string() }).optional(),
    tthcRepeal: tthcRepealSchema.optional(),
    allowedActions: z.array(z.object({ action: z.string(), by: z.string() })),
    /** Issue 13.6: what this caller may do now (party, role, permissions), named as the action routes. */
    actionsAllowed: z.array(z.string()),
    actions: z.array(z.object({ seq: z.number().int(), action: z.string(), actor: actorRefSchema, at: z.string(), note: z.string().optional(), data: z.record(z.string(), z.unknown()).optional() })),
    abandonAfterWorkingDays: z.number().int(),
  })
  .meta({ id: 'DvcttCase' });

const asService = (s: NonNullable<DvcttServiceRow>): DvcttService => ({ code: s.code, name: s.name, tthcCode: s.tthcCode, agency: s.agency, level: s.level as 3 | 4 });

/** A declared service has no workflow until its first proposal: its case is just the declaration. */
const declaredView = (s: NonNullable<DvcttServiceRow>): DvcttView => ({
  workflowId: dvcttWorkflowId(s.code), service: asService(s), status: 'declared', acceptsNewDossiers: false, rounds: [],
  ...(s.tthcRepeal ? { tthcRepeal: s.tthcRepeal } : {}),
  allowedActions: s.tthcRepeal ? [] : [{ action: 'propose', by: s.agency }], actions: [], abandonAfterWorkingDays: DEFAULT_ABANDON_AFTER_WORKING_DAYS,
});

/**
 * P2 — online public service test integration "2 + 5 + 2" (Art 27–28): the register of declared
 * services, one route per action on a service's workflow, and supervisors' lists.
 */
export const dvcttRoutes: FastifyPluginAsyncZod = async (app) => {
  /** The declared service, 404 if unknown, 403 if an agency officer reaches for another agency's. */
  async function serviceInScope(serviceCode: string, actor: Actor) {
    const service = await findService(app.db, serviceCode);
    if (!service) throw problem('not-found', `No declared online service with code ${serviceCode}`);
    assertAgencyScope(actor, service.agency, `service ${serviceCode}`);
    return service;
  }
  /**
   * Art 27.1, 28.1: a service is declared in the National TTHC Database for a TTHC published there
   * by the declaring agency, or for a central TTHC that agency (a province) has localized.
   */
  async function assertDeliverable(tthcCode: string, agency: string): Promise<void> {
    const tthc = await findProcedure(app.db, tthcCode);
    if (!tthc) throw problem('unprocessable', `Art 28.1: TTHC ${tthcCode} is not in the National TTHC Database; an online service is declared only for a published TTHC`);
    if (tthc.status !== 'published') throw problem('unprocessable', `Art 28.1: TTHC ${tthcCode} was repealed; no online service is declared for it`);
    if (tthc.agency === agency) return;
    const copy = await findProcedure(app.db, localizedCode(tthcCode, agency));
    if (copy?.status === 'published') return;
    throw problem('unprocessable', `Art 27.1: TTHC ${tthcCode} is published by ${tthc.agency}; ${agency} declares online services only for its own TTHCs or those it localized`);
  }
  /** Art 28.1, 19: no new round for a service whose TTHC was repealed (its repeal published, or in force). */
  async function assertNotRepealed(service: { code: string; tthcCode: string; agency: string; tthcRepeal: TthcRepealNotice | null }): Promise<void> {
    if (service.tthcRepeal) throw problem('invalid-transition', `Service ${service.code} is no longer provided: ${tthcRepealReason(service.tthcRepeal)}`);
    const tthc = await findProcedure(app.db, service.tthcCode);
    const copy = tthc && tthc.agency !== service.agency ? await findProcedure(app.db, localizedCode(service.tthcCode, service.agency)) : undefined;
    if (tthc?.status === 'repealed' || copy?.status === 'repealed') {
      throw problem('invalid-transition', `Service ${service.code}: its TTHC ${copy?.code ?? service.tthcCode} was repealed (Art 19, 28.1); it is not proposed again`);
    }
  }
  const handleOf = (serviceCode: string): WorkflowHandle => app.temporal.workflow.getHandle(dvcttWorkflowId(serviceCode));

  /** The update answers compactly; the caller gets the case as it stands after it (the workflow's query). */
  const forCaller = async (view: DvcttView, actor: Actor) => ({ ...view, actionsAllowed: dvcttActionsFor(view, await app.permissions.callerOf(actor)) });

  async function act<I>(request: FastifyRequest, serviceCode: string, update: UpdateDefinition<DvcttActionResult, [I]>, input: I): Promise<DvcttView & { actionsAllowed: string[] }> {
    const handle = handleOf(serviceCode);
    await runUpdate(request, handle, update, [input]);
    return forCaller(await handle.query(dvcttStateQuery), actorOf(request));
  }

  app.post('/services', {
    config: { access: { roles: ['agency'] as const, agencyOf: (request) => (request.body as { agency?: string } | undefined)?.agency }, permission: 'dvctt.register' },
    schema: {
      tags: ['dvctt'],
      summary: 'Declare a level 3/4 online public service (Art 27.1, 28.1); idempotent on the code',
      description: 'Only for a TTHC the declaring agency published in the National TTHC Database, or a central TTHC it localized (422 with the reason otherwise).',
      body: z.object({ code, name: text(500), tthcCode: tthcCodeSchema, agency: code, level: z.union([z.literal(3), z.literal(4)]) }),
      response: { 200: serviceSchema, 201: serviceSchema, ...errors, 409: problemSchema, 422: problemSchema },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    if (!(await findAgency(app.db, request.body.agency))) throw problem('unprocessable', `Unknown agency ${request.body.agency}`);
    // A declaration already made is answered as before (replay or conflict), whatever became of its TTHC since.
    if (!(await findService(app.db, request.body.code))) await assertDeliverable(request.body.tthcCode, request.body.agency);
    const { outcome, service } = await declareService(app.db, { ...request.body, declaredBy: actor.userId });
    if (outcome === 'conflict') throw problem('already-exists', `Service ${service.code} is already declared differently (by ${service.agency}); nothing was changed`);
    return reply.status(outcome === 'created' ? 201 : 200).send(toServiceDto(service));
  });

  app.get('/services', {
    config: { access: { roles: readers, agencyOf: agencyInQuery } },
    schema: {
      tags: ['dvctt'],
      summary: 'Declared services; supervisors filter by status and by how long they have been in it (stuck in a stage)',
      querystring: z.object({
        status: z.enum(DVCTT_STATUSES).optional(),
        agency: code.optional(),
        tthcCode: tthcCodeSchema.optional().describe('Only the services that deliver this TTHC'),
        /** Only services in their current status for at least this many days. */
        minDaysInStatus: z.coerce.number().int().min(0).max(3650).optional(),
        ...pageQuery,
        cursor: cursorParam(z.tuple([cursorInstant, cursorId])).optional(),
      }),
      response: { 200: cursorPaged(serviceSchema), ...errors },
    },
  }, async (request) => {
    const { minDaysInStatus, page, pageSize, cursor, ...filter } = request.query;
    const statusSince = minDaysInStatus === undefined ? undefined : new Date(Date.now() - minDaysInStatus * 86_400_000);
    const { items: rows, total, totalEstimated } = await listServices(app.db, scopeOf(actorOf(request)), { ...filter, statusSince, ...cursorWindow({ page, pageSize, cursor }) });
    const { items, nextCursor } = keysetPage(rows, pageSize, (s) => [s.cursorAt, s.code]);
    return { items: items.map(toServiceDto), ...(cursor ? {} : { total, totalEstimated }), page, pageSize, nextCursor };
  });

  app.get('/services/:code', {
    config: { access: { roles: readers } },
    schema: {
      tags: ['dvctt'],
      summary: "A service's case: status, current round, every round with its clocks, the actions allowed now, who did what",
      params,
      response: { 200: viewSchema, ...errors },
    },
  }, async (request) => {
    const actor = actorOf(request);
    const service = await serviceInScope(request.params.code, actor);
    try {
      return await forCaller(await queryCase(app, dvcttWorkflowId(service.code), dvcttStateQuery), actor);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return forCaller(declaredView(service), actor);
      throw err;
    }
  });

  app.get('/services/:code/availability', {
    config: { access: { roles: readers } },
    schema: {
      tags: ['dvctt'],
      summary: 'Whether the Portal may accept NEW dossiers for the service (only when live); dossiers already submitted keep being processed (Art 28.4)',
      params,
      response: {
        200: z.object({ code: z.string(), status: z.enum(DVCTT_STATUSES), acceptsNewDossiers: z.boolean(), since: z.string(), reason: z.string().optional() }),
        ...errors,
      },
    },
  }, async (request) => {
    const service = await findService(app.db, request.params.code);
    if (!service) throw problem('not-found', `No declared online service with code ${request.params.code}`);
    return {
      code: service.code, status: service.status, acceptsNewDossiers: acceptsNewDossiers(service.status) && !service.tthcRepeal, since: service.statusChangedAt.toISOString(),
      ...(service.tthcRepeal ? { reason: tthcRepealReason(service.tthcRepeal) } : {}),
    };
  });

  app.get('/services/:code/rounds', {
    config: { access: { roles: readers } },
    schema: { tags: ['dvctt'], summary: 'Every round of the test loop of a service, numbered (projection)', params, response: { 200: z.object({ items: z.array(roundSchema) }), ...errors } },
  }, async (request) => {
    const service = await serviceInScope(request.params.code, actorOf(request));
    const rows = await listRounds(app.db, service.code);
    return {
      items: rows.map((r) => ({
        round: r.round, proposedAt: r.proposedAt.toISOString(), proposedBy: r.proposedBy, outcome: r.outcome, clockKeys: r.clockKeys,
        review: r.review ?? undefined, testReport: r.testReport ?? undefined, confirmation: r.confirmation ?? undefined,
      })),
    };
  });

  // Art 27.2: the first proposal starts the service's workflow; later ones are updates on it.
  app.post('/services/:code/propose', {
    config: { access: { roles: ['agency'] as const }, permission: 'dvctt.propose' },
    schema: {
      tags: ['dvctt'], summary: 'Agency proposes the service for publication for testing (Art 27.2); opens a new round', params,
      body: z.object({ note: safeMultilineText(2000, 0).optional() }).default({}),
      response: { 200: viewSchema, ...actionErrors },
    },
  }, async (request) => {
    const actor = actorOf(request);
    const service = await serviceInScope(request.params.code, actor);
    await assertNotRepealed(service);
    const input: DvcttWorkflowInput = { service: asService(service), ruleSet: await ruleSetForNewCase(app.db, DVCTT_PROCESS) };
    try {
      // One case per service for its whole life (claimed in PostgreSQL, so also after Temporal purged it).
      await startOnce(app, {
        kind: 'dvctt-service', key: service.code, workflowId: dvcttWorkflowId(service.code), content: { code: service.code },
        conflict: `Service ${service.code} already has a case`,
      }, () => app.temporal.workflow.start('dvcttWorkflow', {
        taskQueue: app.config.TASK_QUEUE,
        workflowId: dvcttWorkflowId(service.code),
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: agencyKey, value: service.agency },
          { key: processKey, value: DVCTT_PROCESS },
          { key: stageKey, value: 'declared' },
        ],
      }));
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const { status } = await describeCase(app, dvcttWorkflowId(service.code));
      if (status !== 'RUNNING') throw problem('already-exists', `The case of service ${service.code} ended (${status}); it is not started again`);
    }
    return act(request, service.code, proposeDvcttUpdate, { actor, note: request.body.note });
  });

  /** One route per action: authorize, then the workflow's validator decides (refusals never reach history). */
  function action<B extends z.ZodObject>(path: string, spec: { summary: string; roles: readonly Role[]; permission: Permission; body: B; update: UpdateDefinition<DvcttActionResult, [z.infer<B> & { actor: Actor }]> }) {
    app.post(`/services/:code/${path}`, {
      config: { access: { roles: spec.roles }, permission: spec.permission },
      schema: { tags: ['dvctt'], summary: spec.summary, params, body: spec.body, response: { 200: viewSchema, ...actionErrors } },
    }, async (request) => {
      const actor = actorOf(request);
      const service = await serviceInScope(request.params.code, actor);
      return act(request, service.code, spec.update, { ...(request.body as z.infer<B>), actor });
    });
  }
  const reasons = z.object({ reasons: note });

  action('review', {
    permission: 'dvctt.review',
    summary: 'VPCP reviews the proposal within 2 working days (Art 27.3): approve → published for testing; reject with reasons → back to the agency',
    roles: ['vpcp'], update: reviewDvcttProposalUpdate,
    body: z.object({ decision: z.enum(['approve', 'reject']), reasons: note.optional() }),
  });
  action('test-report', {
    permission: 'dvctt.report',
    summary: 'Agency sends its test report within 5 working days (Art 27.4): TTHC name, service name, test dossier codes',
    roles: ['agency'], update: submitDvcttTestReportUpdate, body: testReportSchema,
  });
  action('confirm', {
    permission: 'dvctt.review',
    summary: 'VPCP confirms the test result within 2 working days (Art 27.5): pass → live; fail with reasons → unpublished, back to the agency',
    roles: ['vpcp'], update: confirmDvcttTestUpdate,
    body: z.object({ result: z.enum(['pass', 'fail']), reasons: note.optional() }),
  });
  action('suspend', { permission: 'dvctt.supervise', summary: 'VPCP suspends a live service for quality (Art 28.4): no new dossiers; those in flight go on', roles: ['vpcp'], update: suspendDvcttServiceUpdate, body: reasons });
  action('fix', { permission: 'dvctt.report', summary: 'Agency reports the fix of a suspended service (Art 28.4)', roles: ['agency'], update: reportDvcttFixUpdate, body: z.object({ note }) });
  action('resume', { permission: 'dvctt.supervise', summary: "VPCP resumes a suspended service after the agency's fix (Art 28.4)", roles: ['vpcp'], update: resumeDvcttServiceUpdate, body: z.object({ note: safeMultilineText(2000, 0).optional() }) });
  action('stop', { permission: 'dvctt.supervise', summary: 'VPCP stops a service for quality (Art 28.4): unpublished; it returns only through a new test round', roles: ['vpcp'], update: stopDvcttServiceUpdate, body: reasons });
  action('withdraw', { permission: 'dvctt.propose', summary: 'Agency withdraws the service from the test loop', roles: ['agency'], update: withdrawDvcttUpdate, body: reasons });
  action('close', { permission: 'dvctt.supervise', summary: 'VPCP closes a loop the agency abandoned (project rule: its abandonment clock breached)', roles: ['vpcp'], update: closeDvcttLoopUpdate, body: reasons });

  app.get('/reports/rounds', {
    config: { access: { roles: readers, agencyOf: agencyInQuery } },
    schema: {
      tags: ['dvctt'], summary: 'Rounds per service and how they ended (Art 28), most rounds first (ties in code order); keyset pages (`cursor` = the previous page\'s `nextCursor`)',
      querystring: z.object({
        agency: code.optional(), minRounds: queryInt(1, 1000).optional(), ...pageQuery,
        cursor: cursorParam(z.tuple([z.number().int().min(1).max(MAX_INT4), cursorId])).optional(),
      }),
      response: {
        200: cursorPaged(z.object({ code: z.string(), name: z.string(), agency: z.string(), status: z.enum(DVCTT_STATUSES), rounds: z.number().int(), rejected: z.number().int(), failed: z.number().int(), passed: z.number().int() })),
        ...errors,
      },
    },
  }, async (request) => {
    const { page, pageSize, cursor, ...filter } = request.query;
    const { items: rows, total, totalEstimated } = await roundsPerService(app.db, scopeOf(actorOf(request)), { ...filter, ...cursorWindow({ page, pageSize, cursor }) });
    const { items, nextCursor } = keysetPage(rows, pageSize, (r) => [r.rounds, r.code]);
    // `total` without a cursor only (exact up to 10,000, then estimated; issue 18.3).
    return { items, ...(cursor ? {} : { total, totalEstimated }), page, pageSize, nextCursor };
  });

  app.get('/reports/breaches', {
    config: { access: { roles: readers } },
    schema: {
      tags: ['dvctt'], summary: "Who breached (Art 28): the loop's missed clocks, the latest breach first (VPCP's count against VPCP, the agency's against the agency), with totals per owner; abandonment clocks (project rule) are listed, not counted; keyset pages (`cursor` = the previous page's `nextCursor`)",
      querystring: z.object({ owner: code.optional(), serviceCode: code.optional(), ...pageQuery, cursor: cursorParam(z.tuple([cursorInstant, cursorId, cursorId])).optional() }),
      response: {
        200: cursorPaged(z.object({
          serviceCode: z.string(), agency: z.string(), clockKey: z.string(), owner: z.string(), kind: z.enum(slaClockKind.enumValues), article: z.string(), stage: z.string(),
          startedAt: z.string(), dueAt: z.string(), breachedAt: z.string().nullable(), completedAt: z.string().nullable(), completedBy: z.string().nullable(),
        })).extend({ byOwner: z.array(z.object({ owner: z.string(), breaches: z.number().int() })).optional().describe('Counted breaches per owner: on the first page (no cursor) only, like `total`') }),
        ...errors,
      },
    },
  }, async (request) => {
    const { page, pageSize, cursor, ...filter } = request.query;
    const { items: rows, total, totalEstimated, byOwner } = await listBreaches(app.db, scopeOf(actorOf(request)), { ...filter, ...cursorWindow({ page, pageSize, cursor }) });
    const { items, nextCursor } = keysetPage(rows, pageSize, (b) => [b.breachedAt!.toISOString(), b.workflowId, b.clockKey]);
    return {
      // The totals without a cursor only (issue 18.3): `total` exact up to 10,000, then estimated.
      ...(cursor ? {} : { byOwner, total, totalEstimated }),
      page,
      pageSize,
      nextCursor,
      items: items.map(({ workflowId: _case, ...b }) => ({
        ...b, startedAt: b.startedAt.toISOString(), dueAt: b.dueAt.toISOString(),
        breachedAt: b.breachedAt?.toISOString() ?? null, completedAt: b.completedAt?.toISOString() ?? null,
      })),
    };
  });
};
