import { randomUUID } from 'node:crypto';
import { QueryNotRegisteredError, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findAgency } from '../../../db/queries/agencies.js';
import {
  findProcedure,
  findPublishedDecision,
  findReview,
  listDecisions,
  listPublishedDecisions,
  listReviews,
  procedureVersionAt,
  procedureVersions,
  searchProcedures,
} from '../../../db/queries/tthc.js';
import { tthcAuthorityKind, tthcDecisionStage, tthcLevel, tthcProcedureStatus, tthcReviewStage, tthcVersionStatus } from '../../../db/schema/index.js';
import { slaClocksQuery } from '../../../workflows/sla.definitions.js';
import {
  addTthcItemsUpdate,
  checkTthcDecisionUpdate,
  decideTthcFixUpdate,
  publishTthcDecisionUpdate,
  submitTthcFixUpdate,
  TTHC_PROCESS,
  TTHC_REVIEW_PROCESS,
  tthcDecisionQuery,
  tthcDecisionWorkflowId,
  tthcReviewQuery,
  tthcReviewWorkflowId,
  type DecisionItem,
  type PublisherKind,
  type StartTthcDecisionInput,
  type StartTthcReviewInput,
} from '../../../workflows/tthc.definitions.js';
import { agencyOfDecisionId, authorityAllowed, decisionIdOf } from '../../../workflows/tthc.rules.js';
import { agencyKey, processKey, stageKey } from '../../../workflows/search-attributes.js';
import { problem, problemSchema } from '../../errors.js';
import { boundedInt, cursorDate, cursorId, cursorInstant, cursorPaged, cursorParam, cursorWindow, dateOrInstant, keysetPage, MAX_INT4, pageQuery, realDate, safeCode, safeMultilineText, safeText, slaClockSchema } from '../../schemas.js';
import { actorOf, agencyInQuery, assertAgencyScope, ROLES } from '../../auth.js';
import { runUpdate } from '../../idempotency.js';
import { queryCase, startOnce } from '../../case-record.js';
import { ruleSetForNewCase } from '../rule-sets/pin.js';

// ── Schemas ─────────────────────────────────────────────────────────────────────────────────

const tthcCode = z.string().trim().regex(/^[A-Za-z0-9._@-]{1,80}$/, 'letters, digits, dot, dash, underscore, @');
const texts = z.array(safeMultilineText(2000)).max(100);
const fees = z.array(z.object({ name: safeText(500), amountVnd: boundedInt(0, Number.MAX_SAFE_INTEGER) })).max(50);
const level = z.enum(tthcLevel.enumValues);

const componentsSchema = z
  .object({
    steps: texts.optional(), channels: texts.optional(),
    dossier: z.array(z.object({ name: safeText(1000), copies: boundedInt(1, 1000).optional() })).max(200).optional(),
    processingTime: safeMultilineText(500, 0).optional(), subjects: texts.optional(), result: safeMultilineText(2000, 0).optional(),
    fees: fees.optional(), legalBasis: texts.optional(), requirements: texts.optional(), place: safeMultilineText(1000, 0).optional(),
  })
  .meta({ id: 'TthcComponents' });
const contentSchema = z.object({
  name: safeText(1000, 0).optional(), field: safeText(300, 0).optional(), level: level.optional(),
  implementingAgency: safeText(500, 0).optional(), components: componentsSchema,
});
const provincialActSchema = z
  .object({ number: safeText(100), issuedOn: realDate, title: safeText(1000).optional() })
  .meta({ id: 'TthcProvincialAct' });
const itemSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('new'), code: tthcCode, content: contentSchema }),
    z.object({ kind: z.literal('interconnected'), code: tthcCode, content: contentSchema, interconnectedWith: z.array(tthcCode).min(1).max(50) }),
    z.object({ kind: z.literal('amended'), code: tthcCode, baseVersion: boundedInt(1, MAX_INT4), content: contentSchema }),
    z.object({ kind: z.literal('repealed'), code: tthcCode }),
    z.object({
      kind: z.literal('localized'), centralCode: tthcCode,
      local: z.object({
        implementingAgency: safeText(500, 0).optional(),
        authorizedAgency: safeText(500).optional().describe('Cơ quan được ủy quyền thực hiện (Art 17.2)'),
        level: level.optional(), processingTime: safeMultilineText(500, 0).optional(), place: safeMultilineText(1000, 0).optional(), fees: fees.optional(),
        legalBasis: z.array(provincialActSchema).max(50).optional()
          .describe('The provincial acts the local details rest on (Art 17.2): at least one, issued no later than the decision was signed (checked, Art 16.4)'),
      }),
    }),
  ])
  .meta({ id: 'TthcDecisionItem' });
const gapSchema = z.object({ code: z.string(), component: z.string(), problem: z.string() });
const issueTimingSchema = z.object({
  applicable: z.boolean(), rule: z.string(), requiredAmount: z.number(), requiredUnit: z.enum(['workingDays', 'calendarDays']),
  leadEndsAt: z.string().optional(), late: z.boolean(), detail: z.string(), detailVi: z.string(),
});
const publishResultSchema = z
  .object({
    decisionId: z.string(), publishedAt: z.string(),
    versions: z.array(z.object({ code: z.string(), version: z.number(), kind: z.string() })),
    cascaded: z.array(z.object({ code: z.string(), centralCode: z.string(), province: z.string(), version: z.number() })),
    flagged: z.array(z.object({ code: z.string(), centralCode: z.string(), centralVersion: z.number(), province: z.string() })),
  })
  .meta({ id: 'TthcPublication' });
const actionSchema = z.object({
  seq: z.number(), action: z.string(), at: z.string(), note: z.string().optional(), data: z.record(z.string(), z.unknown()).optional(),
  actor: z.object({ userId: z.string(), role: z.string(), agency: z.string().optional(), bank: z.string().optional() }),
});
const decisionStateSchema = z
  .object({
    decisionId: z.string(), number: z.string(), title: z.string(), agency: z.string(), agencyKind: z.string(),
    authorityKind: z.enum(tthcAuthorityKind.enumValues), signedOn: z.string(), legalEffectiveOn: z.string(), signer: z.string().optional(),
    stage: z.enum(tthcDecisionStage.enumValues), items: z.array(itemSchema), issueTiming: issueTimingSchema.optional(),
    lastCheck: z.object({ at: z.string(), gaps: z.array(gapSchema) }).optional(), publication: publishResultSchema.optional(),
    actions: z.array(actionSchema), clocks: z.array(slaClockSchema),
  })
  .meta({ id: 'TthcDecision' });
const decisionSummarySchema = z.object({
  id: z.string(), number: z.string(), title: z.string(), agency: z.string(), authorityKind: z.enum(tthcAuthorityKind.enumValues),
  signedOn: z.string(), legalEffectiveOn: z.string(), signer: z.string().nullable(), stage: z.enum(tthcDecisionStage.enumValues), items: z.array(itemSchema),
  lateIssue: z.boolean(), issueTiming: issueTimingSchema.nullable(), publishedAt: z.string().nullable(),
  /** A counted clock of the decision breached, and against whom. */
  slaBreached: z.boolean(), breachOwners: z.array(z.string()),
});
const procedureSchema = z
  .object({
    code: z.string(), agency: z.string(), localizesCode: z.string().nullable(), interconnected: z.boolean(), currentVersion: z.number(),
    status: z.enum(tthcProcedureStatus.enumValues), name: z.string(), field: z.string(), level, implementingAgency: z.string(),
    centralAmendedVersion: z.number().nullable(), updatedAt: z.string(),
  })
  .meta({ id: 'Tthc' });
const decisionLinkSchema = z
  .object({ id: z.string(), number: z.string(), effectiveOn: z.string(), href: z.string() })
  .meta({ id: 'TthcDecisionLink', description: 'A published decision (public: GET href)' });
const versionSchema = z
  .object({
    code: z.string(), version: z.number(), status: z.enum(tthcVersionStatus.enumValues), decisionId: z.string(), reviewId: z.string().nullable(),
    closedByDecisionId: z.string().nullable(), name: z.string(), field: z.string(), level, implementingAgency: z.string(),
    components: componentsSchema, centralVersion: z.number().nullable(), interconnectedWith: z.array(z.string()).nullable(),
    localization: z.object({ authorizedAgency: z.string().optional(), legalBasis: z.array(provincialActSchema) }).nullable()
      .describe('A localized copy: the authorized agency and the provincial acts its local details rest on (Art 17.2)'),
    validFrom: z.string().describe('Published: became the current entry of the catalogue'),
    validTo: z.string().nullable().describe('Replaced in the catalogue by a later version or the repeal'),
    effectiveFrom: z.string().describe('In force from: the start of the effective day of the decision that made it (Art 16.5)'),
    effectiveTo: z.string().nullable().describe('In force until: the effective day of the decision that amended or repealed it (Art 19.1)'),
    decision: decisionLinkSchema.nullable().describe('The decision that created or amended the TTHC into this version'),
    closedBy: decisionLinkSchema.nullable().describe('The decision that amended or repealed this version'),
  })
  .meta({ id: 'TthcVersion' });
const publishedDecisionSchema = z
  .object({
    id: z.string(), number: z.string(), title: z.string(), agency: z.string(), authorityKind: z.enum(tthcAuthorityKind.enumValues),
    signer: z.string().nullable(), signedOn: z.string(), effectiveOn: z.string(), publishedAt: z.string(), items: z.array(itemSchema),
    versions: publishResultSchema.shape.versions, cascaded: publishResultSchema.shape.cascaded,
  })
  .meta({ id: 'TthcPublishedDecision', description: 'A published decision (Art 16.5): public' });
const findingSchema = z.object({ criterion: z.enum(['completeness', 'accuracy', 'timeliness']), component: safeText(200), detail: safeMultilineText(2000, 3) });
const roundSchema = z.object({
  round: z.number(), requestedAt: z.string(), dueAt: z.string().optional(),
  fix: z.object({ at: z.string(), by: z.string(), note: z.string(), corrected: z.boolean() }).optional(),
  decision: z.object({ at: z.string(), by: z.string(), outcome: z.enum(['accepted', 'returned']), reason: z.string().optional() }).optional(),
});
const reviewSchema = z
  .object({
    id: z.string(), code: z.string(), version: z.number(), agency: z.string(), stage: z.enum(tthcReviewStage.enumValues),
    findings: z.array(findingSchema), rounds: z.array(roundSchema), correctedVersion: z.number().nullable(),
    openedAt: z.string(), closedAt: z.string().nullable(),
  })
  .meta({ id: 'TthcReview' });

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const decisionLink = (id: string | null, number: string | null, effectiveOn: string | null) =>
  id && number && effectiveOn ? { id, number, effectiveOn, href: `/v1/tthc/published-decisions/${id}` } : null;
type VersionRow = Awaited<ReturnType<typeof procedureVersions>>[number];
const toVersion = ({ decisionNumber, decisionEffectiveOn, closedByDecisionNumber, closedByDecisionEffectiveOn, ...v }: VersionRow) => ({
  ...v, validFrom: v.validFrom.toISOString(), validTo: iso(v.validTo), effectiveFrom: v.effectiveFrom.toISOString(), effectiveTo: iso(v.effectiveTo),
  decision: decisionLink(v.decisionId, decisionNumber, decisionEffectiveOn),
  closedBy: decisionLink(v.closedByDecisionId, closedByDecisionNumber, closedByDecisionEffectiveOn),
});
type PublishedRow = Awaited<ReturnType<typeof listPublishedDecisions>>['items'][number];
const toPublished = ({ result, publishedAt, ...d }: PublishedRow) => ({ ...d, publishedAt: publishedAt.toISOString(), versions: result.versions, cascaded: result.cascaded });
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const actionErrors = { ...errors, 409: problemSchema, 422: problemSchema };
const decisionParams = z.object({ id: z.string().regex(/^[A-Za-z0-9-]+\.[a-z0-9-]+$/, 'a decision id') });
const reviewParams = z.object({ id: z.string().uuid() });

/** A local date means "at the end of that day" (what the catalogue said on D); an instant is taken as is. */
/**
 * P1 — the National TTHC Database. Decisions: agencies enter, check and publish their own
 * decisions; every role may read them, agencies only their own. The catalogue (procedures, their
 * version history) and the quality-review results (Art 24.2a) are public: no token needed.
 */
export const tthcRoutes: FastifyPluginAsyncZod = async (app) => {
  const decisionHandle = (id: string) => app.temporal.workflow.getHandle(tthcDecisionWorkflowId(id));
  const reviewHandle = (id: string) => app.temporal.workflow.getHandle(tthcReviewWorkflowId(id));

  async function decisionView(id: string) {
    // From the workflow while Temporal holds it, from the permanent record after retention.
    const workflowId = tthcDecisionWorkflowId(id);
    const [state, clocks] = await Promise.all([queryCase(app, workflowId, tthcDecisionQuery), queryCase(app, workflowId, slaClocksQuery)]);
    return { ...state, clocks };
  }

  // ── Decisions ──

  app.post('/decisions', {
    config: { access: { roles: ['agency'], agencyOf: (req) => (req.body as { agency?: string }).agency }, permission: 'tthc.enter' },
    schema: {
      tags: ['tthc'], summary: 'Enter a signed publication decision (Art 16.3); starts its clock from the signing day',
      description: 'One case per decision number, for good: the same decision again is an idempotent replay (200); a different one under the same number is refused (409).',
      body: z.object({
        agency: safeCode(32), number: safeText(100), title: safeText(1000, 3),
        authorityKind: z.enum(tthcAuthorityKind.enumValues), signedOn: realDate,
        legalEffectiveOn: realDate.describe('Effective date: the decision\'s TTHCs (and its repeals) are in force from this day (Art 16.5, 19.1); not before signedOn'),
        signer: safeText(300, 3).optional().describe('Who signed it (name and title); public with the decision (Art 16.5)'),
      }),
      response: { 200: z.object({ decisionId: z.string(), workflowId: z.string() }), 201: z.object({ decisionId: z.string(), workflowId: z.string() }), ...actionErrors },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const { body } = request;
    const agency = await findAgency(app.db, body.agency);
    if (!agency) throw problem('not-found', `No agency with code ${body.agency}`);
    if (agency.kind === 'government-office') throw problem('unprocessable', 'VPCP does not publish TTHC decisions');
    const agencyKind: PublisherKind = agency.kind;
    if (!authorityAllowed(body.authorityKind, agencyKind)) throw problem('unprocessable', `A ${agencyKind} decision cannot be signed by authority ${body.authorityKind}`);
    if (body.legalEffectiveOn < body.signedOn) throw problem('validation', 'legalEffectiveOn (the effective date) is before signedOn');
    const decisionId = decisionIdOf(agency.code, body.number);
    const workflowId = tthcDecisionWorkflowId(decisionId);
    const input: StartTthcDecisionInput = { decisionId, ...body, agencyKind, createdBy: actor, ruleSet: await ruleSetForNewCase(app.db, TTHC_PROCESS) };
    try {
      // Even after its case closed and was purged, a decision number is never entered again (claimed in PostgreSQL).
      await startOnce(app, {
        kind: 'tthc-decision', key: decisionId, workflowId,
        content: { title: body.title, authorityKind: body.authorityKind, signedOn: body.signedOn, legalEffectiveOn: body.legalEffectiveOn, ...(body.signer ? { signer: body.signer } : {}) },
        conflict: `Decision ${body.number} of ${agency.code} was already entered with different details; nothing was changed`,
      }, () => app.temporal.workflow.start('tthcDecisionWorkflow', {
        taskQueue: app.config.TASK_QUEUE, workflowId, args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [{ key: agencyKey, value: agency.code }, { key: processKey, value: TTHC_PROCESS }, { key: stageKey, value: 'entering' }],
      }));
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const existing = await queryCase(app, workflowId, tthcDecisionQuery);
      const same = (['title', 'authorityKind', 'signedOn', 'legalEffectiveOn', 'signer'] as const).every((field) => existing[field] === body[field]);
      if (!same) throw problem('already-exists', `Decision ${body.number} of ${agency.code} was already entered (${existing.stage}) with different details; nothing was changed`);
      return reply.status(200).send({ decisionId, workflowId });
    }
    return reply.status(201).send({ decisionId, workflowId });
  });

  app.get('/decisions', {
    config: { access: { roles: ROLES, agencyOf: agencyInQuery } },
    schema: {
      tags: ['tthc'], summary: 'Publication decisions (agencies see their own)',
      querystring: z.object({
        agency: safeCode().optional(), stage: z.enum(tthcDecisionStage.enumValues).optional(), lateIssue: z.enum(['true', 'false']).optional(), ...pageQuery,
        cursor: cursorParam(z.tuple([cursorDate, cursorId])).optional(),
      }),
      response: { 200: cursorPaged(decisionSummarySchema), ...errors },
    },
  }, async (request) => {
    const actor = actorOf(request);
    const { page, pageSize, cursor, ...query } = request.query;
    const agency = actor.role === 'agency' ? actor.agency : query.agency;
    const { items: rows, total, totalEstimated } = await listDecisions(app.db, {
      agency, stage: query.stage, lateIssue: query.lateIssue === undefined ? undefined : query.lateIssue === 'true', ...cursorWindow({ page, pageSize, cursor }),
    });
    const { items, nextCursor } = keysetPage(rows, pageSize, (r) => [r.signedOn, r.id]);
    return { items: items.map((r) => ({ ...r, publishedAt: iso(r.publishedAt) })), ...(cursor ? {} : { total, totalEstimated }), page, pageSize, nextCursor };
  });

  app.get('/decisions/:id', {
    config: { access: { roles: ROLES, agencyOf: (req) => agencyOfDecisionId((req.params as { id: string }).id) } },
    schema: { tags: ['tthc'], summary: 'A decision: items, check result, publication, actions and clocks', params: decisionParams, response: { 200: decisionStateSchema, ...errors } },
  }, async (request) => {
    // Read your writes: the workflow answers before its first projection write has landed.
    try {
      return await decisionView(request.params.id);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || err instanceof QueryNotRegisteredError) throw problem('not-found', `No decision ${request.params.id}`);
      throw err;
    }
  });

  const decisionAction = { roles: ['agency'] as const, agencyOf: (req: { params: unknown }) => agencyOfDecisionId((req.params as { id: string }).id) };

  app.post('/decisions/:id/items', {
    config: { access: decisionAction, permission: 'tthc.enter' },
    schema: {
      tags: ['tthc'], summary: 'Enter items: new (Art 17), amended (Art 18), repealed (Art 19), interconnected (Art 20), localized (Art 17.2)',
      params: decisionParams, body: z.object({ items: z.array(itemSchema).max(500), remove: z.array(tthcCode).max(500).optional() }),
      response: { 200: decisionStateSchema, ...actionErrors },
    },
  }, async (request) => {
    const actor = actorOf(request);
    await runUpdate(request, decisionHandle(request.params.id), addTthcItemsUpdate, [{ actor, items: request.body.items as DecisionItem[], remove: request.body.remove }]);
    return decisionView(request.params.id);
  });

  app.post('/decisions/:id/check', {
    config: { access: decisionAction, permission: 'tthc.enter' },
    schema: {
      tags: ['tthc'], summary: 'Check and reconcile the entered items against the decision and the catalogue (Art 16.4)', params: decisionParams,
      response: { 200: z.object({ gaps: z.array(gapSchema), stage: z.enum(tthcDecisionStage.enumValues) }), ...actionErrors },
    },
  }, async (request) => runUpdate(request, decisionHandle(request.params.id), checkTthcDecisionUpdate, [{ actor: actorOf(request) }]));

  app.post('/decisions/:id/publish', {
    config: { access: decisionAction, permission: 'tthc.publish' },
    schema: {
      tags: ['tthc'], summary: 'Publish every item of the decision at once (Art 16.5); repeals cascade to localized copies (Art 19.1)',
      params: decisionParams, response: { 200: publishResultSchema, ...actionErrors },
    },
  }, async (request) => runUpdate(request, decisionHandle(request.params.id), publishTthcDecisionUpdate, [{ actor: actorOf(request) }]));

  // ── Published decisions (public, Art 16.5) ──

  app.get('/published-decisions', {
    schema: {
      tags: ['tthc'], summary: 'Published decisions (Art 16.5) — public, no token: number, signer, signing and effective dates, items; newest signed first, keyset pages (`cursor` = the previous page\'s `nextCursor`)', security: [],
      querystring: z.object({
        agency: safeCode().optional(), code: safeText(80).optional().describe('Only decisions that created, amended or repealed this TTHC'),
        signedFrom: realDate.optional(), signedTo: realDate.optional(), ...pageQuery,
        cursor: cursorParam(z.tuple([cursorDate, cursorId])).optional(),
      }),
      response: { 200: cursorPaged(publishedDecisionSchema), 400: problemSchema },
    },
  }, async (request) => {
    const { page, pageSize, cursor, ...filters } = request.query;
    const { items: rows, total, totalEstimated } = await listPublishedDecisions(app.db, { ...filters, ...cursorWindow({ page, pageSize, cursor }) });
    const { items, nextCursor } = keysetPage(rows, pageSize, (r) => [r.signedOn, r.id]);
    // `total` without a cursor only (exact up to 10,000, then estimated; issue 18.3).
    return { items: items.map(toPublished), ...(cursor ? {} : { total, totalEstimated }), page, pageSize, nextCursor };
  });

  app.get('/published-decisions/:id', {
    schema: {
      tags: ['tthc'], summary: 'One published decision (Art 16.5) — public; an unpublished one is not found', security: [],
      params: decisionParams, response: { 200: publishedDecisionSchema, 400: problemSchema, 404: problemSchema },
    },
  }, async (request) => {
    const decision = await findPublishedDecision(app.db, request.params.id);
    if (!decision) throw problem('not-found', `No published decision ${request.params.id}`);
    return toPublished(decision);
  });

  // ── The catalogue (public) ──

  app.get('/procedures', {
    schema: {
      tags: ['tthc'], summary: 'Search the TTHC catalogue (public), in code order; keyset pages (`cursor` = the previous page\'s `nextCursor`)', security: [],
      querystring: z.object({
        code: safeText(80).optional(), name: safeText(200).optional(), field: safeText(300).optional(), agency: safeCode().optional(),
        level: level.optional(), status: z.enum(tthcProcedureStatus.enumValues).optional(), localizes: safeText(80).optional(), ...pageQuery,
        cursor: cursorParam(z.tuple([cursorId])).optional(),
      }),
      response: { 200: cursorPaged(procedureSchema), 400: problemSchema },
    },
  }, async (request) => {
    const { page, pageSize, cursor, ...filters } = request.query;
    const { items: rows, total, totalEstimated } = await searchProcedures(app.db, { ...filters, ...cursorWindow({ page, pageSize, cursor }) });
    const { items, nextCursor } = keysetPage(rows, pageSize, (r) => [r.code]);
    return { items: items.map((r) => ({ ...r, updatedAt: r.updatedAt.toISOString() })), ...(cursor ? {} : { total, totalEstimated }), page, pageSize, nextCursor };
  });

  app.get('/procedures/:code', {
    schema: {
      tags: ['tthc'], security: [],
      summary: 'A TTHC with its full version history, or (?at=) the version legally in force at a date or instant — by the effective dates of its decisions, not their publication (public)',
      params: z.object({ code: tthcCode }),
      querystring: z.object({ at: dateOrInstant('to').optional() }),
      response: { 200: z.object({ procedure: procedureSchema, at: z.string().optional(), versions: z.array(versionSchema) }), 400: problemSchema, 404: problemSchema },
    },
  }, async (request) => {
    const { code } = request.params;
    const procedure = await findProcedure(app.db, code);
    if (!procedure) throw problem('not-found', `No TTHC with code ${code}`);
    // `at` is already an instant: a plain date was read as the end of that day in Viet Nam (dateOrInstant).
    const at = request.query.at ? new Date(request.query.at) : undefined;
    const rows = at ? [await procedureVersionAt(app.db, code, at)] : await procedureVersions(app.db, code);
    if (at && !rows[0]) throw problem('not-found', `TTHC ${code} was not in force at ${at.toISOString()} (by the effective dates of its decisions)`);
    const versions = rows.filter((v) => v !== undefined).map(toVersion);
    return { procedure: { ...procedure, updatedAt: procedure.updatedAt.toISOString() }, ...(at ? { at: at.toISOString() } : {}), versions };
  });

  // ── Quality reviews (Art 24.2a) ──

  app.post('/reviews', {
    config: { access: { roles: ['vpcp'] }, permission: 'tthc.review' },
    schema: {
      tags: ['tthc'], summary: 'VPCP opens a quality review of a published TTHC with its findings; the agency has 10 working days to fix (Art 24.2a)',
      body: z.object({ code: tthcCode, findings: z.array(findingSchema).min(1).max(100) }),
      response: { 201: z.object({ reviewId: z.string(), workflowId: z.string() }), ...actionErrors },
    },
  }, async (request, reply) => {
    const procedure = await findProcedure(app.db, request.body.code);
    if (!procedure) throw problem('not-found', `No TTHC with code ${request.body.code}`);
    if (procedure.status !== 'published') throw problem('unprocessable', `TTHC ${procedure.code} is ${procedure.status}; only published data is reviewed`);
    const reviewId = randomUUID();
    const workflowId = tthcReviewWorkflowId(reviewId);
    const input: StartTthcReviewInput = {
      reviewId, code: procedure.code, version: procedure.currentVersion, agency: procedure.agency, findings: request.body.findings, openedBy: actorOf(request),
      ruleSet: await ruleSetForNewCase(app.db, TTHC_REVIEW_PROCESS),
    };
    await app.temporal.workflow.start('tthcReviewWorkflow', {
      taskQueue: app.config.TASK_QUEUE, workflowId, args: [input], workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [{ key: agencyKey, value: procedure.agency }, { key: processKey, value: TTHC_REVIEW_PROCESS }, { key: stageKey, value: 'awaiting-fix' }],
    });
    return reply.status(201).send({ reviewId, workflowId });
  });

  const toReview = (r: NonNullable<Awaited<ReturnType<typeof findReview>>>) => ({ ...r, openedAt: r.openedAt.toISOString(), closedAt: iso(r.closedAt) });

  app.get('/reviews', {
    schema: {
      tags: ['tthc'], summary: 'Quality review results (public, Art 24.2a)', security: [],
      querystring: z.object({
        agency: safeCode().optional(), code: safeText(80).optional(), stage: z.enum(tthcReviewStage.enumValues).optional(), ...pageQuery,
        cursor: cursorParam(z.tuple([cursorInstant, cursorId])).optional(),
      }),
      response: { 200: cursorPaged(reviewSchema), 400: problemSchema },
    },
  }, async (request) => {
    const { page, pageSize, cursor, ...filters } = request.query;
    const { items: rows, total, totalEstimated } = await listReviews(app.db, { ...filters, ...cursorWindow({ page, pageSize, cursor }) });
    const { items, nextCursor } = keysetPage(rows, pageSize, (r) => [r.openedAt.toISOString(), r.id]);
    return { items: items.map(toReview), ...(cursor ? {} : { total, totalEstimated }), page, pageSize, nextCursor };
  });

  app.get('/reviews/:id', {
    schema: { tags: ['tthc'], summary: 'One quality review (public)', security: [], params: reviewParams, response: { 200: reviewSchema, 400: problemSchema, 404: problemSchema } },
  }, async (request) => {
    const review = await findReview(app.db, request.params.id);
    if (!review) throw problem('not-found', `No review ${request.params.id}`);
    return toReview(review);
  });

  async function reviewAction(id: string, run: (handle: ReturnType<typeof reviewHandle>) => Promise<unknown>, agencyActor?: Parameters<typeof assertAgencyScope>[0]) {
    const review = await findReview(app.db, id);
    if (!review) throw problem('not-found', `No review ${id}`);
    if (agencyActor) assertAgencyScope(agencyActor, review.agency, 'this review');
    await run(reviewHandle(id));
    const state = await reviewHandle(id).query(tthcReviewQuery);
    return { ...toReview(review), stage: state.stage, rounds: state.rounds, correctedVersion: state.correctedVersion ?? null, closedAt: state.stage === 'accepted' ? state.rounds.at(-1)?.decision?.at ?? null : null };
  }

  app.post('/reviews/:id/fix', {
    config: { access: { roles: ['agency'] }, permission: 'tthc.enter' },
    schema: {
      tags: ['tthc'], summary: 'The agency submits its fix, optionally with corrected components (Art 24.2a)', params: reviewParams,
      body: z.object({ note: safeMultilineText(2000, 3), components: componentsSchema.optional() }),
      response: { 200: reviewSchema, ...actionErrors },
    },
  }, async (request) => {
    const actor = actorOf(request);
    return reviewAction(request.params.id, (h) => runUpdate(request, h, submitTthcFixUpdate, [{ actor, ...request.body }]), actor);
  });

  app.post('/reviews/:id/decision', {
    config: { access: { roles: ['vpcp'] }, permission: 'tthc.review' },
    schema: {
      tags: ['tthc'], summary: 'VPCP accepts the fix or returns it for another round (Art 24.2a)', params: reviewParams,
      body: z.object({ outcome: z.enum(['accept', 'return']), reason: safeMultilineText(2000, 0).optional() }),
      response: { 200: reviewSchema, ...actionErrors },
    },
  }, async (request) => {
    const actor = actorOf(request);
    return reviewAction(request.params.id, (h) => runUpdate(request, h, decideTthcFixUpdate, [{ actor, ...request.body }]));
  });
};
