import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { QueryDefinition, UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import type { Permission } from '../../../domain/permissions/catalogue.js';
import { supportRequestActionsFor } from '../../../domain/permissions/case-actions.js';
import { findAgency } from '../../../db/queries/agencies.js';
import {
  listConnectedSystems,
  listCurrentSecurityServers,
  listMaintenanceWindows,
  listOperationsActions,
  listOutages,
  listSupportRequests,
  securityServerHistory,
} from '../../../db/queries/operations.js';
import {
  announceCompletionUpdate,
  cancelMaintenanceUpdate,
  closeSupportRequestUpdate,
  COMPLETION_UNITS,
  configureMonitorUpdate,
  connectionMonitorWorkflowId,
  decideEmergencyChangeUpdate,
  maintenanceQuery,
  maintenanceWorkflowId,
  MONITOR_LIMITS,
  monitorStateQuery,
  noteSupportRequestUpdate,
  OPERATIONS_PROCESS,
  probeableUrl,
  reopenSupportRequestUpdate,
  resolveSupportRequestUpdate,
  retireMonitorUpdate,
  securityServerChangeQuery,
  securityServerChangeWorkflowId,
  SUPPORT_KINDS,
  supportRequestQuery,
  supportRequestWorkflowId,
  SYSTEM_KINDS,
  withdrawSecurityServerChangeUpdate,
  withdrawSupportRequestUpdate,
  type ConnectionMonitorInput,
  type MaintenanceInput,
  type SecurityServerChangeInput,
  type SupportRequestInput,
} from '../../../workflows/operations.definitions.js';
import { agencyKey, processKey } from '../../../workflows/search-attributes.js';
import { problem, problemSchema } from '../../errors.js';
import { cursorId, cursorInstant, cursorParam, cursorWindow, dateOrInstant, instant, cursorPaged, keysetPage, pageQuery, safeCode, safeMultilineText, safeText, slaClockSchema } from '../../schemas.js';
import { actorOf, agencyInQuery, assertAgencyScope, type Actor, type Role } from '../../auth.js';
import { runUpdate, within } from '../../idempotency.js';
import { queryCase, startOnce } from '../../case-record.js';
import { ruleSetForNewCase } from '../rule-sets/pin.js';

const agencyCode = z.string().trim().regex(/^[A-Z0-9-]{2,32}$/, 'an agency code such as BTP or UBND-HN');
const caseParams = z.object({ id: z.string().regex(/^[a-f0-9]{24}$/, 'a case id (24 hex characters)') });
const systemParams = z.object({ systemId: safeCode(64) });
const idempotencyHeaders = z.object({ 'idempotency-key': z.string().min(8).max(128) });
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const actionErrors = { ...errors, 409: problemSchema, 422: problemSchema };
const reason = safeMultilineText(2000);

const contactSchema = z.object({
  name: safeText(200),
  phone: z.string().trim().regex(/^\+?[0-9 .-]{8,20}$/, 'a phone number').optional(),
  email: z.email().optional(),
});
const healthUrl = z.url().max(2000).refine((url) => probeableUrl(url) === undefined, 'an http(s) URL without credentials');
const limit = (key: keyof typeof MONITOR_LIMITS) => z.number().int().min(MONITOR_LIMITS[key].min).max(MONITOR_LIMITS[key].max);

const actionSchema = z.looseObject({ seq: z.number(), action: z.string(), at: z.string() });
const noticeSchema = z.looseObject({ article: z.string(), amount: z.number(), dueAt: z.string(), dueLocal: z.string(), sufficient: z.boolean() });
const changeSchema = z.looseObject({
  changeId: z.string(), workflowId: z.string(), agency: z.string(), serverId: z.string(), status: z.string(), effectiveAt: z.string(),
  registeredAt: z.string(), emergency: z.boolean(), notice: noticeSchema.optional(), refusedReason: z.string().optional(), actions: z.array(actionSchema),
}).meta({ id: 'SecurityServerChange' });
const supportSchema = z.looseObject({
  requestId: z.string(), workflowId: z.string(), agency: z.string(), kind: z.string(), title: z.string(), status: z.string(), round: z.number(),
  receivedAt: z.string(), actionsAllowed: z.array(z.string()), clocks: z.array(slaClockSchema), actions: z.array(actionSchema),
}).meta({ id: 'SupportRequest' });
const maintenanceSchema = z.looseObject({
  windowId: z.string(), workflowId: z.string(), title: z.string(), status: z.string(), startsAt: z.string(), endsAt: z.string(),
  announcedAt: z.string(), emergency: z.boolean(), notice: noticeSchema.optional(), refusedReason: z.string().optional(),
  notified: z.array(z.object({ step: z.string(), inbox: z.number(), email: z.number() })),
}).meta({ id: 'MaintenanceWindow' });
const monitorSchema = z.looseObject({
  workflowId: z.string(), status: z.string(), consecutiveFailures: z.number(), probes: z.number(), outages: z.number(),
  config: z.looseObject({ systemId: z.string(), agency: z.string(), name: z.string(), healthUrl: z.string(), failureThreshold: z.number(), intervalSeconds: z.number() }),
}).meta({ id: 'ConnectionMonitor' });

/** The workflow's view as the response body: the schema documents its main fields and passes the rest through. */
const asBody = <S extends z.ZodType>(_schema: S, view: object) => view as z.infer<S>;

/** A case id from the caller and its Idempotency-Key: a retried request names the same case. */
const caseIdOf = (actor: Actor, kind: string, key: string) => createHash('sha256').update(`${kind}|${actor.role}|${actor.agency ?? ''}|${key}`).digest('hex').slice(0, 24);
const fingerprintOf = (body: unknown) => createHash('sha256').update(JSON.stringify(body)).digest('hex');

/** Technical operations (Art 50–52): security servers, support requests, maintenance windows, connection monitors. */
export const operationsRoutes: FastifyPluginAsyncZod = async (app) => {
  async function requireAgencyExists(code: string, path: string): Promise<void> {
    if (!(await findAgency(app.db, code))) throw problem('unprocessable', `No agency with code ${code}`, [{ path, message: 'unknown agency code' }]);
  }

  /** Starts a case once per business key; a retry with the same content answers with the same case, other content is 409. */
  async function startCase(kind: string, key: string, workflowId: string, workflowType: string, agency: string, arg: { fingerprint: string }): Promise<boolean> {
    try {
      await startOnce(app, { kind, key, workflowId, content: { fingerprint: arg.fingerprint }, conflict: 'This Idempotency-Key was already used for a different request' },
        () => app.temporal.workflow.start(workflowType, {
          taskQueue: app.config.TASK_QUEUE, workflowId, args: [arg], workflowIdReusePolicy: 'REJECT_DUPLICATE',
          // The case's agency reads its timeline (audit) and finds it in Temporal's visibility.
          typedSearchAttributes: [{ key: agencyKey, value: agency }, { key: processKey, value: OPERATIONS_PROCESS }],
        }));
      return true;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      return false;
    }
  }

  /** The case's view once its first decision is taken (a notice checked, a clock started), within the update wait. */
  async function decided<V>(workflowId: string, query: QueryDefinition<V>, ready: (v: V) => boolean): Promise<V> {
    const poll = async () => {
      for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
        const view = await queryCase(app, workflowId, query);
        if (ready(view)) return view;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    };
    const outcome = await within(poll(), app.config.UPDATE_WAIT_MS);
    return outcome?.value ?? queryCase(app, workflowId, query);
  }

  /** One route per action on a case: the workflow's update validator refuses wrong state, role, agency or a missing reason. */
  function action<B extends z.ZodObject, V, I>(path: string, spec: {
    summary: string; roles: readonly Role[]; permission: Permission; params: z.ZodObject; body: B; response: z.ZodType;
    workflowIdOf: (params: Record<string, string>) => string; update: UpdateDefinition<V, [I]>;
  }) {
    app.post(path, {
      config: { access: { roles: spec.roles }, permission: spec.permission },
      schema: { tags: ['operations'], summary: spec.summary, params: spec.params, body: spec.body, response: { 200: spec.response, ...actionErrors } },
    }, async (request) => {
      const actor = actorOf(request);
      const workflowId = spec.workflowIdOf(request.params as Record<string, string>);
      const handle = app.temporal.workflow.getHandle(workflowId);
      try {
        return await runUpdate(request, handle, spec.update, [{ ...(request.body as object), actor } as I]);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) {
          const closed = await handle.describe().then((d) => d.status.name, () => undefined);
          if (closed) throw problem('invalid-transition', `Case ${workflowId} is closed`);
        }
        throw err;
      }
    });
  }

  /** A case read by id; an agency reads only its own. */
  function read<V extends object>(path: string, summary: string, params: z.ZodObject, response: z.ZodType, workflowIdOf: (p: Record<string, string>) => string, query: QueryDefinition<V>, roles: readonly Role[] = ['agency', 'vpcp', 'auditor'], forCaller?: (view: V, actor: Actor) => Promise<V>) {
    app.get(path, { config: { access: { roles } }, schema: { tags: ['operations'], summary, params, response: { 200: response, ...errors } } }, async (request) => {
      const view = await queryCase(app, workflowIdOf(request.params as Record<string, string>), query);
      const owner = view as { agency?: string; config?: { agency: string } };
      const agency = owner.agency ?? owner.config?.agency;
      if (agency) assertAgencyScope(actorOf(request), agency, 'this case');
      return forCaller ? forCaller(view, actorOf(request)) : { ...view };
    });
  }
  /** Issue 13.6: the actions this caller may take on a support request now, named as their routes. */
  const supportForCaller = async <V extends object>(view: V, actor: Actor): Promise<V> => {
    const v = view as V & { agency: string; actionsAllowed: string[] };
    return { ...v, actionsAllowed: supportRequestActionsFor(v, await app.permissions.callerOf(actor)) };
  };

  // ---- Art 50.2: security servers --------------------------------------------------------------

  app.post('/security-servers/changes', {
    config: { ownIdempotency: true, access: { roles: ['agency'] }, permission: 'operations.securityServers' },
    schema: {
      tags: ['operations'],
      summary: 'Register a change of a security server (Art 50.2): at least 3 working days before it takes effect — a shorter notice is refused (422) unless an emergency reason asks VPCP to accept it',
      headers: idempotencyHeaders,
      body: z.object({
        serverId: safeCode(64), address: safeText(300), certificateFingerprint: z.string().trim().regex(/^[A-Fa-f0-9:]{16,200}$/, 'a certificate fingerprint in hex'),
        contact: contactSchema, effectiveAt: instant, emergencyReason: reason.optional(),
      }),
      response: { 201: changeSchema, 200: changeSchema, ...actionErrors },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const { serverId, address, certificateFingerprint, contact, effectiveAt, emergencyReason } = request.body;
    const changeId = caseIdOf(actor, 'security-server-change', request.headers['idempotency-key']);
    const input: SecurityServerChangeInput = {
      changeId, agency: actor.agency!, serverId, record: { address, certificateFingerprint, contact }, effectiveAt: new Date(effectiveAt).toISOString(),
      requestedBy: actor, fingerprint: fingerprintOf(request.body), ...(emergencyReason ? { emergencyReason } : {}),
      ruleSet: await ruleSetForNewCase(app.db, OPERATIONS_PROCESS),
    };
    const workflowId = securityServerChangeWorkflowId(changeId);
    const started = await startCase('security-server-change', changeId, workflowId, 'securityServerChangeWorkflow', input.agency, input);
    const view = await decided(workflowId, securityServerChangeQuery, (v) => v.status !== 'checking');
    if (view.status === 'refused') throw problem('refused', view.refusedReason ?? 'refused (Art 50.2)');
    return reply.status(started ? 201 : 200).send(asBody(changeSchema, view));
  });

  app.get('/security-servers', {
    config: { access: { roles: ['agency', 'vpcp', 'auditor'], agencyOf: agencyInQuery } },
    schema: {
      tags: ['operations'], summary: 'Security servers in force (Art 50.2–50.3), by agency',
      querystring: z.object({ agency: agencyCode.optional() }),
      response: { 200: z.object({ items: z.array(z.looseObject({ agency: z.string(), serverId: z.string(), address: z.string(), effectiveAt: z.date() })) }), ...errors },
    },
  }, async (request) => {
    const actor = actorOf(request);
    return { items: await listCurrentSecurityServers(app.db, { agency: actor.role === 'agency' ? actor.agency : request.query.agency }) };
  });

  app.get('/security-servers/:agency/:serverId/history', {
    config: { access: { roles: ['agency', 'vpcp', 'auditor'], agencyOf: (req) => (req.params as { agency?: string }).agency } },
    schema: {
      tags: ['operations'], summary: 'Every registered version of a security server, newest effective first (refused and withdrawn ones too)',
      params: z.object({ agency: agencyCode, serverId: safeCode(64) }),
      response: { 200: z.object({ items: z.array(z.looseObject({ changeId: z.string(), status: z.string(), effectiveAt: z.date(), emergency: z.boolean() })) }), ...errors },
    },
  }, async (request) => ({ items: await securityServerHistory(app.db, request.params.agency, request.params.serverId) }));

  read('/security-servers/changes/:id', 'One security-server change: its notice, status and actions', caseParams, changeSchema, (p) => securityServerChangeWorkflowId(p.id!), securityServerChangeQuery);
  action('/security-servers/changes/:id/emergency-decision', {
    summary: 'VPCP accepts or refuses a short-notice change as an emergency (Art 50.2, recorded as such)', roles: ['vpcp'], permission: 'operations.emergencyChange', params: caseParams,
    body: z.object({ decision: z.enum(['approve', 'refuse']), reason }), response: changeSchema,
    workflowIdOf: (p) => securityServerChangeWorkflowId(p.id!), update: decideEmergencyChangeUpdate,
  });
  action('/security-servers/changes/:id/withdraw', {
    summary: 'The agency withdraws a change before it takes effect', roles: ['agency'], permission: 'operations.securityServers', params: caseParams, body: z.object({ reason }), response: changeSchema,
    workflowIdOf: (p) => securityServerChangeWorkflowId(p.id!), update: withdrawSecurityServerChangeUpdate,
  });

  // ---- Art 51: support and incident requests -----------------------------------------------------

  app.post('/support-requests', {
    config: { ownIdempotency: true, access: { roles: ['agency'] }, permission: 'operations.support' },
    schema: {
      tags: ['operations'], summary: 'File a support or incident request (Art 51): VPCP handles it within 8 working hours',
      headers: idempotencyHeaders,
      body: z.object({ kind: z.enum(SUPPORT_KINDS), title: safeText(300), description: safeMultilineText(20_000), systemId: safeCode(64).optional() }),
      response: { 201: supportSchema, 200: supportSchema, ...actionErrors },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const requestId = caseIdOf(actor, 'support-request', request.headers['idempotency-key']);
    const input: SupportRequestInput = {
      requestId, agency: actor.agency!, ...request.body, requestedBy: actor, fingerprint: fingerprintOf(request.body),
      ruleSet: await ruleSetForNewCase(app.db, OPERATIONS_PROCESS),
    };
    const workflowId = supportRequestWorkflowId(requestId);
    const started = await startCase('support-request', requestId, workflowId, 'supportRequestWorkflow', input.agency, input);
    const view = await decided(workflowId, supportRequestQuery, (v) => v.clocks.length > 0);
    return reply.status(started ? 201 : 200).send(asBody(supportSchema, view));
  });

  app.get('/support-requests', {
    config: { access: { roles: ['agency', 'vpcp', 'auditor'], agencyOf: agencyInQuery } },
    schema: {
      tags: ['operations'], summary: 'Support and incident requests (Art 51; agencies: their own), newest first; keyset pages (`cursor` = the previous page\'s `nextCursor`)',
      querystring: z.object({
        agency: agencyCode.optional(), status: z.enum(['received', 'scheduled', 'resolved', 'closed', 'withdrawn']).optional(), ...pageQuery,
        cursor: cursorParam(z.tuple([cursorInstant, cursorId])).optional(),
      }),
      response: { 200: cursorPaged(z.looseObject({ requestId: z.string(), agency: z.string(), status: z.string(), receivedAt: z.date(), dueAt: z.date().nullable() })), ...errors },
    },
  }, async (request) => {
    const actor = actorOf(request);
    const { page, pageSize, cursor, agency, status } = request.query;
    const { items: rows, total, totalEstimated } = await listSupportRequests(app.db, { agency: actor.role === 'agency' ? actor.agency : agency }, { status, ...cursorWindow({ page, pageSize, cursor }) });
    const { items, nextCursor } = keysetPage(rows, pageSize, (r) => [r.receivedAt.toISOString(), r.requestId]);
    return { items, ...(cursor ? {} : { total, totalEstimated }), page, pageSize, nextCursor };
  });

  read('/support-requests/:id', 'One support request: status, notes, clocks and the actions this caller may take now', caseParams, supportSchema, (p) => supportRequestWorkflowId(p.id!), supportRequestQuery, undefined, supportForCaller);
  const supportAction = <I>(path: string, summary: string, roles: readonly Role[], body: z.ZodObject, update: UpdateDefinition<unknown, [I]>) =>
    action(`/support-requests/:id/${path}`, { summary, roles, permission: roles.includes('agency') ? 'operations.support' : 'operations.supportHandle', params: caseParams, body, response: supportSchema, workflowIdOf: (p) => supportRequestWorkflowId(p.id!), update });
  supportAction('announce-completion', 'A complex request: VPCP announces the completion time (a period counted by the calendar); it becomes the clock and is published to the agency (Art 51)', ['vpcp'],
    z.object({ amount: z.number().int().min(1).max(400), unit: z.enum(COMPLETION_UNITS), reason }), announceCompletionUpdate as UpdateDefinition<unknown, [unknown]>);
  supportAction('notes', 'Add a note (the agency or VPCP)', ['agency', 'vpcp'], z.object({ text: safeMultilineText(5000) }), noteSupportRequestUpdate as UpdateDefinition<unknown, [unknown]>);
  supportAction('resolve', 'VPCP resolves the request (completes its clock)', ['vpcp'], z.object({ resolution: safeMultilineText(5000) }), resolveSupportRequestUpdate as UpdateDefinition<unknown, [unknown]>);
  supportAction('reopen', 'The agency reopens a resolved request: a new round of 8 working hours (project rule: within 5 working days)', ['agency'], z.object({ reason }), reopenSupportRequestUpdate as UpdateDefinition<unknown, [unknown]>);
  supportAction('close', 'The agency confirms a resolved request', ['agency'], z.object({}), closeSupportRequestUpdate as UpdateDefinition<unknown, [unknown]>);
  supportAction('withdraw', 'The agency withdraws an open request', ['agency'], z.object({ reason }), withdrawSupportRequestUpdate as UpdateDefinition<unknown, [unknown]>);

  // ---- Art 51: planned maintenance -----------------------------------------------------------------

  app.post('/maintenance', {
    config: { ownIdempotency: true, access: { roles: ['vpcp'] }, permission: 'operations.maintenance' },
    schema: {
      tags: ['operations'],
      summary: 'Announce a maintenance window to every agency and bank (Art 51): at least 5 working days ahead — a shorter notice is refused (422) unless it is an emergency with a reason (flagged)',
      headers: idempotencyHeaders,
      body: z.object({ title: safeText(300), description: safeMultilineText(5000), startsAt: instant, endsAt: instant, emergencyReason: reason.optional() })
        .refine((b) => Date.parse(b.endsAt) > Date.parse(b.startsAt), { message: 'endsAt must be after startsAt', path: ['endsAt'] }),
      response: { 201: maintenanceSchema, 200: maintenanceSchema, ...actionErrors },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const { startsAt, endsAt, emergencyReason, ...text } = request.body;
    if (Date.parse(startsAt) <= Date.now()) throw problem('unprocessable', 'A maintenance window starts in the future', [{ path: 'body.startsAt', message: 'in the past' }]);
    const windowId = caseIdOf(actor, 'maintenance', request.headers['idempotency-key']);
    const input: MaintenanceInput = {
      windowId, ...text, startsAt: new Date(startsAt).toISOString(), endsAt: new Date(endsAt).toISOString(), announcedBy: actor, fingerprint: fingerprintOf(request.body),
      ...(emergencyReason ? { emergencyReason } : {}),
      ruleSet: await ruleSetForNewCase(app.db, OPERATIONS_PROCESS),
    };
    const workflowId = maintenanceWorkflowId(windowId);
    const started = await startCase('maintenance', windowId, workflowId, 'maintenanceWorkflow', 'VPCP', input);
    // Answered once the parties are notified (or the notice refused), within the update wait.
    const view = await decided(workflowId, maintenanceQuery, (v) => v.status === 'refused' || v.notified.length > 0);
    if (view.status === 'refused') throw problem('refused', view.refusedReason ?? 'refused (Art 51)');
    return reply.status(started ? 201 : 200).send(asBody(maintenanceSchema, view));
  });

  app.get('/maintenance', {
    config: { access: { roles: ['agency', 'bank', 'vpcp', 'auditor'] } },
    schema: {
      tags: ['operations'], summary: 'Maintenance windows (Art 51), the latest start first; every party may read them; keyset pages (`cursor` = the previous page\'s `nextCursor`)',
      querystring: z.object({
        status: z.enum(['refused', 'announced', 'in-progress', 'completed', 'cancelled']).optional(), from: dateOrInstant('from').optional(), to: dateOrInstant('to').optional(), ...pageQuery,
        cursor: cursorParam(z.tuple([cursorInstant, cursorId])).optional(),
      }),
      response: { 200: cursorPaged(z.looseObject({ windowId: z.string(), status: z.string(), startsAt: z.date(), endsAt: z.date(), emergency: z.boolean() })), ...errors },
    },
  }, async (request) => {
    const { page, pageSize, cursor, from, to, status } = request.query;
    const { items: rows, total, totalEstimated } = await listMaintenanceWindows(app.db, { status, ...(from ? { from: new Date(from) } : {}), ...(to ? { to: new Date(to) } : {}), ...cursorWindow({ page, pageSize, cursor }) });
    const { items, nextCursor } = keysetPage(rows, pageSize, (r) => [r.startsAt.toISOString(), r.windowId]);
    return { items, ...(cursor ? {} : { total, totalEstimated }), page, pageSize, nextCursor };
  });

  read('/maintenance/:id', 'One maintenance window: notice, notices sent, start and end', caseParams, maintenanceSchema, (p) => maintenanceWorkflowId(p.id!), maintenanceQuery, ['agency', 'bank', 'vpcp', 'auditor']);
  action('/maintenance/:id/cancel', {
    summary: 'VPCP cancels an announced or running window; every party is told', roles: ['vpcp'], permission: 'operations.maintenance', params: caseParams, body: z.object({ reason }), response: maintenanceSchema,
    workflowIdOf: (p) => maintenanceWorkflowId(p.id!), update: cancelMaintenanceUpdate,
  });

  // ---- Art 52: connected systems and connection-loss alerts -----------------------------------------

  app.post('/systems', {
    config: { ownIdempotency: true, access: { roles: ['agency', 'vpcp'], agencyOf: (req) => (req.body as { agency?: string } | undefined)?.agency }, permission: 'operations.systems' },
    schema: {
      tags: ['operations'],
      summary: 'Register a connected system (a ministry/provincial portal or one-stop system) and start its connection monitor (Art 52); idempotent on systemId',
      body: z.object({
        systemId: safeCode(64), agency: agencyCode, name: safeText(300), kind: z.enum(SYSTEM_KINDS), healthUrl,
        admins: z.array(contactSchema).min(1).max(20),
        failureThreshold: limit('failureThreshold').default(MONITOR_LIMITS.failureThreshold.default),
        intervalSeconds: limit('intervalSeconds').default(MONITOR_LIMITS.intervalSeconds.default),
        timeoutMs: limit('timeoutMs').default(MONITOR_LIMITS.timeoutMs.default),
      }),
      response: { 201: monitorSchema, 200: monitorSchema, ...actionErrors },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    await requireAgencyExists(request.body.agency, 'body.agency');
    const input: ConnectionMonitorInput = { config: request.body, registeredBy: actor, fingerprint: fingerprintOf(request.body) };
    const workflowId = connectionMonitorWorkflowId(request.body.systemId);
    const started = await startCase('connected-system', request.body.systemId, workflowId, 'connectionMonitorWorkflow', input.config.agency, input);
    const view = await decided(workflowId, monitorStateQuery, (v) => v.probes > 0);
    return reply.status(started ? 201 : 200).send(asBody(monitorSchema, view));
  });

  app.get('/systems', {
    config: { access: { roles: ['agency', 'vpcp', 'auditor'], agencyOf: agencyInQuery } },
    schema: {
      tags: ['operations'], summary: 'Connected systems and their connection status (Art 52)',
      querystring: z.object({ agency: agencyCode.optional() }),
      response: { 200: z.object({ items: z.array(z.looseObject({ systemId: z.string(), agency: z.string(), status: z.string() })) }), ...errors },
    },
  }, async (request) => {
    const actor = actorOf(request);
    return { items: await listConnectedSystems(app.db, { agency: actor.role === 'agency' ? actor.agency : request.query.agency }) };
  });

  read('/systems/:systemId', 'One connected system: its monitor\'s state, open outage and recent actions', systemParams, monitorSchema, (p) => connectionMonitorWorkflowId(p.systemId!), monitorStateQuery);
  action('/systems/:systemId/configure', {
    summary: 'Change the health-check URL, admins, failure threshold, interval or timeout', roles: ['agency', 'vpcp'], permission: 'operations.systems', params: systemParams,
    body: z.object({ healthUrl: healthUrl.optional(), admins: z.array(contactSchema).min(1).max(20).optional(), failureThreshold: limit('failureThreshold').optional(), intervalSeconds: limit('intervalSeconds').optional(), timeoutMs: limit('timeoutMs').optional() }),
    response: monitorSchema, workflowIdOf: (p) => connectionMonitorWorkflowId(p.systemId!), update: configureMonitorUpdate,
  });
  action('/systems/:systemId/retire', {
    summary: 'Stop monitoring a system that is no longer connected', roles: ['agency', 'vpcp'], permission: 'operations.systems', params: systemParams, body: z.object({ reason }),
    response: monitorSchema, workflowIdOf: (p) => connectionMonitorWorkflowId(p.systemId!), update: retireMonitorUpdate,
  });

  app.get('/outages', {
    config: { access: { roles: ['agency', 'vpcp', 'auditor'], agencyOf: agencyInQuery } },
    schema: {
      tags: ['operations'], summary: 'Connection outages with their duration (Art 52), overlapping [from, to), the latest start first; keyset pages (`cursor` = the previous page\'s `nextCursor`)',
      querystring: z.object({
        agency: agencyCode.optional(), systemId: safeCode(64).optional(), from: dateOrInstant('from').optional(), to: dateOrInstant('to').optional(), ...pageQuery,
        cursor: cursorParam(z.tuple([cursorInstant, cursorId])).optional(),
      }),
      response: {
        200: cursorPaged(z.object({
          outageId: z.string(), systemId: z.string(), agencyCode: z.string(), startedAt: z.date(), endedAt: z.date().nullable(), detectedAt: z.date(),
          failures: z.number(), lastError: z.string().nullable(), durationSeconds: z.number(),
        })),
        ...errors,
      },
    },
  }, async (request) => {
    const actor = actorOf(request);
    const { page, pageSize, cursor, agency, from, to, systemId } = request.query;
    const { items: rows, total, totalEstimated } = await listOutages(app.db, { agency: actor.role === 'agency' ? actor.agency : agency }, {
      systemId, ...(from ? { from: new Date(from) } : {}), ...(to ? { to: new Date(to) } : {}), ...cursorWindow({ page, pageSize, cursor }),
    });
    const { items, nextCursor } = keysetPage(rows, pageSize, (r) => [r.startedAt.toISOString(), r.outageId]);
    return { items, ...(cursor ? {} : { total, totalEstimated }), page, pageSize, nextCursor };
  });

  app.get('/cases/:workflowId/actions', {
    config: { access: { roles: ['vpcp', 'auditor'] } },
    schema: {
      tags: ['operations'], summary: 'The full action log of an operations case (notes, decisions, timers)',
      params: z.object({ workflowId: z.string().regex(/^operations-[a-z]+-[A-Za-z0-9._-]{1,64}$/, 'an operations case id') }),
      response: { 200: z.object({ items: z.array(z.looseObject({ seq: z.number(), action: z.string(), at: z.date() })) }), ...errors },
    },
  }, async (request) => ({ items: await listOperationsActions(app.db, request.params.workflowId) }));
};
