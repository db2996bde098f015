import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { agencyKey } from '../../../workflows/search-attributes.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { buildExport, checkExport, type HistoryExport } from '../../../domain/audit/export.js';
import { buildTimeline } from '../../../domain/audit/timeline.js';
import { decodeHistory } from '../../../codec/history.js';
import { findIssuedExports, recordAuditRead, type AuditReadAction } from '../../../db/queries/audit.js';
import { listBreaches } from '../../../db/queries/sla.js';
import { actorOf, assertAgencyScope, type Actor, type Role } from '../../auth.js';
import { problem, problemSchema } from '../../errors.js';
import { within } from '../../idempotency.js';
import { caseId, queryInt, safeCode, safeText } from '../../schemas.js';
import { clockScopeOf, dueSoon } from '../supervision/clocks.js';
import { auditReplayWorkflowId, type AuditReplayResult } from '../../../workflows/audit.definitions.js';
import { describeCase, loadCaseRuns, type CaseInfo, type CaseRun } from '../../case-record.js';
import { findRun } from '../../../db/queries/record.js';
import { sendHtml, supervisorPage, temporalUiUrl, timelinePage, withToken, type SupervisionRow } from './html.js';
import { historyExportSchema, replaySchema, supervisionSchema, timelineSchema, verifySchema } from './schemas.js';
import { authenticatePage, mintViewToken, VIEW_TOKEN_MINUTES } from './view-token.js';

/** Auditors and VPCP read every case; an agency reads only its own cases (DvcqgAgency). */
const AUDIT_ROLES = ['auditor', 'vpcp', 'agency'] as const satisfies readonly Role[];
const SUPERVISION_ROWS = 500;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** An audit page that a browser may open with `?token=<view token>` instead of a bearer header. */
    auditView?: true;
  }
}

const idParams = z.object({ id: caseId });
const viewQuery = z.object({
  format: z.enum(['json', 'html']).optional(),
  /** A view token (see POST /v1/audit/view-token): accepted only on these read-only page routes. */
  token: safeText(4096).optional(),
});

/** How long the replay request waits for the worker before answering 202 (a first replay bundles the code). */
const REPLAY_WAIT_MS = 60_000;
const replayPendingSchema = z.object({ status: z.literal('pending'), jobId: z.string() });

/** Every agency a run named as the case's (DvcqgAgency at its start and in each upsert). */
function caseAgenciesOf(run: CaseRun): string[] {
  const found: string[] = [];
  for (const event of run.proto.events ?? []) {
    const fields = (event.workflowExecutionStartedEventAttributes ?? event.upsertWorkflowSearchAttributesEventAttributes)?.searchAttributes?.indexedFields;
    const payload = fields?.[agencyKey.name];
    if (!payload) continue;
    const value = defaultPayloadConverter.fromPayload<unknown>(payload);
    if (typeof value === 'string') found.push(value);
  }
  return found;
}

/** HTML when asked for by `?format=html`, or by a browser's Accept header when no format is given. */
const wantsHtml = (format: string | undefined, accept: string | undefined): boolean =>
  format === 'html' || (format === undefined && (accept ?? '').includes('text/html'));

/**
 * Audit and supervision: a case's timeline read from its Temporal history, the raw history with
 * a content hash, its verification, replay against the deployed code, and the supervisors' page
 * of breaches and clocks due soon. Every read is itself recorded in `audit_reads`.
 */
export const auditRoutes: FastifyPluginAsyncZod = async (app) => {
  const authConfig = { secret: app.config.AUTH_JWT_SECRET, issuer: app.config.AUTH_JWT_ISSUER };
  /** The timeline reads payloads in clear; exports, hashes and the record keep them as stored (encrypted). */
  const decodedRun = async (run: CaseRun) => ({ runId: run.runId, history: await decodeHistory(run.proto, app.payloadCodecs) });
  const temporalUi = (workflowId: string) => temporalUiUrl(app.config, workflowId);

  // The HTML pages authenticate a bearer header (already checked by the global hook) or a view token.
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.auditView) await authenticatePage(request, authConfig, AUDIT_ROLES);
  });

  const record = (request: FastifyRequest, actor: Actor, action: AuditReadAction, extra: { workflowId?: string; outcome?: 'granted' | 'denied'; sha256?: string; detail?: string } = {}) =>
    recordAuditRead(app.db, {
      userId: actor.userId, role: actor.role, agency: actor.agency, action, requestId: request.id, outcome: extra.outcome ?? 'granted',
      workflowId: extra.workflowId, sha256: extra.sha256, detail: extra.detail,
    });

  /** The case, if this actor may read it; a refusal is recorded too. */
  /**
   * Whether an agency took part in a case now owned by another (a province that received an item and
   * transferred it, a coordinating ministry): it acted in it, or the case was its own in an earlier run.
   */
  async function handledBy(info: CaseInfo, agency: string | undefined): Promise<boolean> {
    if (!agency) return false;
    const runs = await loadCaseRuns(app, info);
    const timeline = buildTimeline(info.workflowId, await Promise.all(runs.map(decodedRun)));
    return timeline.entries.some((e) => e.actor?.agency === agency) || runs.some((run) => caseAgenciesOf(run).includes(agency));
  }

  async function openCase(request: FastifyRequest, workflowId: string, action: AuditReadAction): Promise<CaseInfo> {
    const actor = actorOf(request);
    const info = await describeCase(app, workflowId);
    if (actor.role === 'agency' && info.agency !== actor.agency && !(await handledBy(info, actor.agency))) {
      await record(request, actor, action, { workflowId, outcome: 'denied', detail: `case agency ${info.agency ?? 'none'}` });
      throw problem('wrong-scope', `Agency ${actor.agency} may not read case ${workflowId} of ${info.agency ? `agency ${info.agency}` : 'no agency'}`);
    }
    return info;
  }

  app.post('/view-token', {
    // Banks too: their token opens only the supervision dashboard (the audit pages refuse the role).
    config: { access: { roles: [...AUDIT_ROLES, 'bank'] } },
    schema: {
      tags: ['audit'],
      summary: `A ${VIEW_TOKEN_MINUTES}-minute token for opening the audit HTML pages and the supervision dashboard in a browser (?token=)`,
      response: {
        200: z.object({ token: z.string(), expiresAt: z.string(), supervisorUrl: z.string(), dashboardUrl: z.string() }),
        401: problemSchema, 403: problemSchema,
      },
    },
  }, async (request) => {
    const actor = actorOf(request);
    const { token, expiresAt } = await mintViewToken(authConfig, actor);
    await record(request, actor, 'view-token', { detail: `expires ${expiresAt}` });
    return {
      token,
      expiresAt,
      supervisorUrl: `${app.config.PUBLIC_BASE_URL}${withToken('/v1/audit/supervisor?format=html', token)}`,
      dashboardUrl: `${app.config.PUBLIC_BASE_URL}${withToken('/v1/supervision/dashboard', token)}`,
    };
  });

  app.get('/workflows/:id/timeline', {
    config: { auditView: true },
    schema: {
      tags: ['audit'],
      summary: 'The case timeline in business terms (JSON, or HTML with ?format=html / Accept: text/html)',
      security: [{ bearer: [] }],
      params: idParams,
      querystring: viewQuery,
      response: { 200: timelineSchema, 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema },
    },
  }, async (request, reply) => {
    const { id } = request.params;
    const info = await openCase(request, id, 'timeline');
    const runs = await loadCaseRuns(app, info);
    const timeline = buildTimeline(id, await Promise.all(runs.map(decodedRun)));
    const html = wantsHtml(request.query.format, request.headers.accept);
    await record(request, actorOf(request), 'timeline', { workflowId: id, detail: html ? 'html' : 'json' });
    if (html) {
      return sendHtml(reply as FastifyReply, timelinePage(info, timeline, { token: request.query.token, temporalUi }));
    }
    const base = `/v1/audit/workflows/${encodeURIComponent(id)}`;
    return {
      ...timeline,
      agency: info.agency,
      process: info.process,
      status: info.status,
      source: info.source,
      links: { temporalUi: temporalUi(id), history: `${base}/history`, html: `${base}/timeline?format=html` },
    };
  });

  app.get('/workflows/:id/history', {
    config: { access: { roles: AUDIT_ROLES } },
    schema: {
      tags: ['audit'],
      summary: 'The raw Temporal history of every run (temporal workflow show --output json), with its SHA-256',
      params: idParams,
      response: { 200: historyExportSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema },
    },
  }, async (request, reply) => {
    const { id } = request.params;
    const info = await openCase(request, id, 'history');
    const exported = buildExport(id, await loadCaseRuns(app, info));
    await record(request, actorOf(request), 'history', { workflowId: id, sha256: exported.sha256, detail: `${exported.runs.length} run(s)` });
    reply.header('x-content-sha256', exported.sha256);
    reply.header('content-disposition', `attachment; filename="${id.replace(/[^\w.-]/g, '_')}.history.json"`);
    return exported;
  });

  app.post('/verify', {
    config: { access: { roles: AUDIT_ROLES } },
    bodyLimit: 64 * 1024 * 1024,
    schema: {
      tags: ['audit'],
      summary: 'Check a history export: does its content match its hash, and did this server issue that hash?',
      body: historyExportSchema,
      response: { 200: verifySchema, 400: problemSchema, 401: problemSchema, 403: problemSchema },
    },
  }, async (request) => {
    const actor = actorOf(request);
    const exported = request.body as HistoryExport;
    const check = checkExport(exported);
    const head = exported.sha256.toLowerCase();
    // The head is known when it is a stored run's chain hash (a closed case) or an export issued earlier (an open one).
    const stored = await findRun(app.db, exported.runs[exported.runs.length - 1]?.runId ?? '');
    const fromRecord = stored && stored.workflowId === exported.workflowId && stored.sha256 === head ? stored : undefined;
    const [issued] = fromRecord ? [] : await findIssuedExports(app.db, { workflowId: exported.workflowId, sha256: head });
    // An agency may verify only an export of its own case.
    const ownerAgency = fromRecord ? fromRecord.agency : issued?.agency;
    if (actor.role === 'agency' && (fromRecord || issued) && ownerAgency !== actor.agency) {
      await record(request, actor, 'verify', { workflowId: exported.workflowId, outcome: 'denied' });
      throw problem('wrong-scope', `Agency ${actor.agency} may not verify exports of case ${exported.workflowId}`);
    }
    const known = !!(fromRecord || issued);
    const verdict = !check.hashMatches ? 'tampered' : !check.chainComplete ? 'incomplete' : known ? 'authentic' : 'unknown-origin';
    await record(request, actor, 'verify', { workflowId: exported.workflowId, detail: `${verdict} ${exported.sha256}` });
    return {
      workflowId: exported.workflowId,
      claimedSha256: exported.sha256,
      computedSha256: check.computedSha256,
      hashMatches: check.hashMatches,
      chainComplete: check.chainComplete,
      issuedByServer: known,
      knownFrom: fromRecord ? 'record' : issued ? 'export' : undefined,
      issuedAt: fromRecord ? fromRecord.closedAt.toISOString() : issued?.at.toISOString(),
      issuedTo: issued ? `${issued.userId} (${issued.role}${issued.agency ? `, ${issued.agency}` : ''})` : undefined,
      problems: check.problems,
      verdict,
    } as const;
  });

  app.post('/workflows/:id/replay', {
    config: { access: { roles: AUDIT_ROLES } },
    schema: {
      tags: ['audit'],
      summary: 'Replay every run of the case against the deployed workflow code (determinism check)',
      params: idParams,
      response: { 200: replaySchema, 202: replayPendingSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema },
    },
  }, async (request, reply) => {
    const { id } = request.params;
    await openCase(request, id, 'replay');
    // Replay is CPU work: it runs in the worker (auditReplayWorkflow), never on the API's event loop.
    const jobId = randomUUID();
    const handle = await app.temporal.workflow.start('auditReplayWorkflow', { taskQueue: app.config.TASK_QUEUE, workflowId: auditReplayWorkflowId(jobId), args: [{ workflowId: id }] });
    const result = await boundedResult(handle.workflowId, REPLAY_WAIT_MS);
    if (!result) return reply.status(202).header('location', `/v1/audit/replays/${jobId}`).send({ status: 'pending' as const, jobId });
    await recordReplay(request, result);
    return result;
  });

  const recordReplay = (request: FastifyRequest, result: AuditReplayResult) =>
    record(request, actorOf(request), 'replay', { workflowId: result.workflowId, detail: result.ok ? 'ok' : `diverged: ${result.runs.find((r) => !r.ok)?.error?.message ?? ''}`.slice(0, 2000) });

  const boundedResult = async (workflowId: string, waitMs: number) =>
    (await within(app.temporal.workflow.getHandle(workflowId).result() as Promise<AuditReplayResult>, waitMs))?.value;

  app.get('/replays/:jobId', {
    config: { access: { roles: AUDIT_ROLES } },
    schema: {
      tags: ['audit'],
      summary: 'The result of a replay answered 202',
      params: z.object({ jobId: z.uuid() }),
      response: { 200: replaySchema, 202: replayPendingSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema },
    },
  }, async (request, reply) => {
    const result = await boundedResult(auditReplayWorkflowId(request.params.jobId), 2_000);
    if (!result) return reply.status(202).header('retry-after', '2').send({ status: 'pending' as const, jobId: request.params.jobId });
    // The case is checked again: an agency reads only replays of its own cases.
    await openCase(request, result.workflowId, 'replay');
    await recordReplay(request, result);
    return result;
  });

  app.get('/supervisor', {
    config: { auditView: true },
    schema: {
      tags: ['audit'],
      summary: 'Breaches and clocks due soon, by agency and process (HTML by default; ?format=json)',
      security: [{ bearer: [] }],
      querystring: viewQuery.extend({
        days: queryInt(1, 60).default(3),
        process: safeCode().optional(),
        agency: safeCode().optional(),
      }),
      response: { 200: supervisionSchema, 400: problemSchema, 401: problemSchema, 403: problemSchema },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const { days, process, agency, format, token } = request.query;
    // The one rule for a filter naming another agency (403 wrong-scope); the refusal is recorded too.
    if (agency) {
      try {
        assertAgencyScope(actor, agency, 'the supervision');
      } catch (err) {
        await record(request, actor, 'supervisor', { outcome: 'denied', detail: `agency filter ${agency}` });
        throw err;
      }
    }
    const scope = clockScopeOf(actor);
    const filter = { agency, process, limit: SUPERVISION_ROWS, offset: 0 };
    const [breaches, due] = await Promise.all([listBreaches(app.db, scope, filter), dueSoon(app.db, app.calendars, scope, { ...filter, withinWorkingDays: days })]);
    const { until } = due;
    await record(request, actor, 'supervisor', { detail: `breaches ${breaches.total}, due ${due.total}` });
    // A page for people: HTML unless JSON is asked for.
    const html = format !== 'json' && !(request.headers.accept ?? '').includes('application/json');
    if (html) {
      return sendHtml(reply as FastifyReply, supervisorPage({ breaches: breaches.items, breachTotal: breaches.total, due: due.items, dueTotal: due.total, until, workingDays: days, scope: scope.agency }, { token, temporalUi }));
    }
    const row = (r: SupervisionRow) => ({
      ...r,
      dueAt: r.dueAt.toISOString(),
      breachedAt: r.breachedAt?.toISOString() ?? null,
      completedAt: r.completedAt?.toISOString() ?? null,
      timeline: `/v1/audit/workflows/${encodeURIComponent(r.workflowId)}/timeline`,
      temporalUi: temporalUi(r.workflowId),
    });
    return {
      until: until.toISOString(),
      breaches: { total: breaches.total, items: breaches.items.map(row) },
      dueSoon: { total: due.total, items: due.items.map(row) },
    };
  });
};
