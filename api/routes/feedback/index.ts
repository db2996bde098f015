import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import { findAgency, listAgencies } from '../../../db/queries/agencies.js';
import { REFERENCE_REUSE_MS, ReusedReference } from '../../reference-data.js';
import { findProcedure } from '../../../db/queries/tthc.js';
import { recordAuditRead } from '../../../db/queries/audit.js';
import { listFeedbackClocks, listFeedbackItems, listPublishedAnswers, recordFeedbackRefusal } from '../../../db/queries/feedback.js';
import {
  AGENCY_REPORT_CHANNEL,
  answerCoordinationFeedbackUpdate,
  classifyFeedbackUpdate,
  coordinateFeedbackUpdate,
  ESCALATION_GROUNDS,
  escalateFeedbackUpdate,
  FEEDBACK_CATEGORIES,
  FEEDBACK_CHANNELS,
  FEEDBACK_PROCESS,
  feedbackStateQuery,
  feedbackWorkflowId,
  OFFICER_CHANNELS,
  PORTAL_CHANNELS,
  progressFeedbackUpdate,
  publishFeedbackUpdate,
  removeStateSecretFeedbackUpdate,
  resultFeedbackUpdate,
  reviewFeedbackUpdate,
  STATE_SECRET_REFUSAL,
  supplementFeedbackUpdate,
  TTHC_DATA_CATEGORIES,
  type FeedbackStatus,
  type FeedbackSubmission,
  type FeedbackView,
  type FeedbackWorkflowInput,
} from '../../../workflows/feedback.definitions.js';
import { problem, problemSchema } from '../../errors.js';
import { cursorId, cursorInstant, cursorPaged, cursorParam, cursorWindow, dateOrInstant, instant, keysetPage, pageQuery, safeMultilineText, safeText, slaClockSchema } from '../../schemas.js';
import { actorOf, agencyInQuery, type Actor, type Role } from '../../auth.js';
import type { Permission } from '../../../domain/permissions/catalogue.js';
import { feedbackActionsFor } from '../../../domain/permissions/case-actions.js';
import { runUpdate } from '../../idempotency.js';
import { queryCase, startOnce } from '../../case-record.js';
import { ruleSetForNewCase } from '../rule-sets/pin.js';

const STATUSES = ['received', 'awaiting-supplement', 'processing', 'in-review', 'approved', 'published', 'not-accepted', 'closed', 'state-secret'] as const satisfies readonly FeedbackStatus[];
/** Project rule: an officer may back-date a paper/phone/fax/e-mail item's receipt by at most this much (typo guard). */
const MAX_BACKDATE_DAYS = 30;

const agencyCode = z.string().trim().regex(/^[A-Z0-9-]{2,32}$/, 'an agency code such as BTP or UBND-HN');
const text = (max: number) => safeMultilineText(max);
const itemParams = z.object({ id: z.string().regex(/^[a-f0-9]{24}$/, 'a feedback item id') });
const idempotencyHeaders = z.object({ 'idempotency-key': z.string().min(8).max(128) });
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const actionErrors = { ...errors, 409: problemSchema, 422: problemSchema };

/** Name and address always; phone and e-mail are required of Portal submissions only (Art 39.3, checked at intake). */
const senderSchema = z.object({
  name: safeText(200),
  address: text(500),
  phone: z.string().trim().regex(/^\+?[0-9 .-]{8,20}$/, 'a phone number').optional(),
  email: z.email().optional(),
  portalAccountId: safeText(64).optional(),
});
const intakeSchema = z.object({
  sender: senderSchema,
  /** Vietnamese content (Art 39.1); whether it conforms is the receiving agency's call (Art 42.3a). */
  content: safeMultilineText(20_000, 10),
  agency: agencyCode,
  tthcCode: safeText(32).optional(),
  category: z.enum(FEEDBACK_CATEGORIES),
  channel: z.enum(FEEDBACK_CHANNELS),
  /** Art 44.3: content involving state secrets is refused and never stored. */
  stateSecret: z.boolean().default(false),
  /** Officer-entered items only (Art 42.2b): when the paper, call, fax or e-mail was received. */
  receivedAt: instant.optional(),
});
/** `agency`: where the item went (an agency report goes to the TTHC's owner, Art 25.3). */
const intakeResultSchema = z.object({ id: z.string(), workflowId: z.string(), agency: z.string(), status: z.string(), replayed: z.boolean() }).meta({ id: 'FeedbackIntake' });

const viewSchema = z
  .looseObject({
    itemId: z.string(),
    workflowId: z.string(),
    status: z.enum(STATUSES),
    agency: z.string(),
    receivingAgency: z.string(),
    /** Art 45.1–45.2: who checks and publishes the answer (absent from answers recorded before it was shown). */
    reviewingAgency: z.string().optional(),
    round: z.number(),
    receivedAt: z.string(),
    actionsAllowed: z.array(z.string()),
    clocks: z.array(slaClockSchema),
    /** Every clock of every round (from the sla_clocks projection); `clocks` are the current run's. */
    clockHistory: z.array(z.looseObject({ key: z.string(), outcome: z.string(), owner: z.string(), dueAt: z.date() })).optional(),
  })
  .meta({ id: 'FeedbackItem' });

type ViewBody = z.infer<typeof viewSchema>;
/** The query returns a FeedbackView; the schema documents its main fields and passes the rest through. */
const asBody = (view: FeedbackView, extra: Partial<ViewBody> = {}): ViewBody => ({ ...view, ...extra });

const itemIdOf = (actor: Actor, key: string) => createHash('sha256').update(`${actor.role}|${actor.agency ?? ''}|${key}`).digest('hex').slice(0, 24);
const fingerprintOf = (body: unknown) => createHash('sha256').update(JSON.stringify(body)).digest('hex');

/** Agencies see items they handle(d) or coordinate on; VPCP, auditors and the Portal front end see all. */
function assertCanSee(actor: Actor, view: Pick<FeedbackView, 'involvedAgencies' | 'itemId'>): void {
  if (actor.role === 'agency' && !view.involvedAgencies.includes(actor.agency ?? '')) {
    throw problem('wrong-scope', `Agency ${actor.agency} is not involved in feedback item ${view.itemId}`);
  }
}

/** The agency register's codes, reused for a moment per API process (every intake checks its agency). */
const agencyCodes = new ReusedReference(REFERENCE_REUSE_MS, async (db) => new Set((await listAgencies(db, {})).map((agency) => agency.code)));

/** Citizen feedback — phản ánh, kiến nghị (Art 36–45): intake, one route per action, reads. */
export const feedbackRoutes: FastifyPluginAsyncZod = async (app) => {
  const handleOf = (id: string): WorkflowHandle => app.temporal.workflow.getHandle(feedbackWorkflowId(id));
  /** Issue 13.6: the actions this caller may take now (role, agency, permissions), named as their routes. */
  const actionsFor = async (view: FeedbackView, actor: Actor) => feedbackActionsFor(view, await app.permissions.callerOf(actor));

  async function requireAgencyExists(code: string, path: string): Promise<void> {
    // Agencies are only ever added: a code in the reused register is known, any other is looked up.
    if ((await agencyCodes.get(app.db)).has(code)) return;
    if (!(await findAgency(app.db, code))) {
      throw problem('unprocessable', `No agency with code ${code}`, [{ path, message: 'unknown agency code' }]);
    }
  }

  /** Starts the item's workflow once per idempotency key: 201 the first time, 200 with the same item on a replay. */
  async function startItem(request: FastifyRequest, input: FeedbackWorkflowInput) {
    const workflowId = feedbackWorkflowId(input.itemId);
    try {
      // A key stays used even after its item closed and was purged: a late retry must not open a second item.
      await startOnce(app, {
        kind: 'feedback', key: input.itemId, workflowId, content: { fingerprint: input.fingerprint },
        conflict: 'This Idempotency-Key was already used for a different submission',
      }, () => app.temporal.workflow.start('feedbackWorkflow', {
        taskQueue: app.config.TASK_QUEUE,
        workflowId,
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      }));
      request.log.info({ workflowId, agency: input.submission.agency }, 'feedback received');
      return { status: 201 as const, body: { id: input.itemId, workflowId, agency: input.submission.agency, status: 'received', replayed: false } };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    const view = await queryCase(app, workflowId, feedbackStateQuery);
    if (view.fingerprint !== input.fingerprint) {
      throw problem('conflict', 'This Idempotency-Key was already used for a different submission');
    }
    return { status: 200 as const, body: { id: input.itemId, workflowId, agency: view.submission.agency, status: view.status, replayed: true } };
  }

  /**
   * Art 25.3: the agency an agency's report on TTHC data goes to — the TTHC's owner in the catalogue
   * (its publishing agency; a province for its localized copy), unless it is addressed to VPCP (Cục
   * Kiểm soát TTHC) or the TTHC is not in the catalogue (then the agency the report names).
   */
  async function reportTarget(body: { agency: string; tthcCode?: string | undefined }): Promise<string> {
    if (body.agency === 'VPCP' || !body.tthcCode) return body.agency;
    return (await findProcedure(app.db, body.tthcCode))?.agency ?? body.agency;
  }

  app.post('/', {
    config: {
      ownIdempotency: true,
      permission: 'feedback.receive',
      access: {
        roles: ['portal', 'agency'],
        // Officers type in items for their own agency; an agency report (Art 25.3) goes to another one.
        agencyOf: (req) => {
          const body = req.body as { agency?: string; channel?: string } | undefined;
          return body?.channel === AGENCY_REPORT_CHANNEL ? undefined : body?.agency;
        },
      },
    },
    schema: {
      tags: ['feedback'],
      summary: 'Submit feedback (Portal), type in feedback received on paper, by phone, fax or e-mail (agency officer, Art 42.2b), or report wrong TTHC data of another agency (Art 25.3)',
      description: 'Idempotent on the Idempotency-Key header: a retried submission returns the same item (200).',
      headers: idempotencyHeaders,
      body: intakeSchema,
      response: { 201: intakeResultSchema, 200: intakeResultSchema, ...actionErrors },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const { stateSecret, receivedAt, ...fields } = request.body;
    const itemId = itemIdOf(actor, request.headers['idempotency-key']);
    if (stateSecret) {
      // Art 44.3: only the fact of the refusal is kept — no content, no sender data.
      await recordFeedbackRefusal(app.db, {
        intakeKey: itemId, article: STATE_SECRET_REFUSAL.article, reason: STATE_SECRET_REFUSAL.reason,
        targetAgency: fields.agency, channel: fields.channel, submittedByRole: actor.role, submittedByUser: actor.userId,
      });
      throw problem('refused', `${STATE_SECRET_REFUSAL.reasonVi} / ${STATE_SECRET_REFUSAL.reason}`);
    }
    const issues: { path: string; message: string }[] = [];
    let agency = fields.agency;
    if (actor.role === 'portal') {
      if (!(PORTAL_CHANNELS as readonly string[]).includes(fields.channel)) issues.push({ path: 'body.channel', message: `Portal submissions use ${PORTAL_CHANNELS.join(' or ')} (Art 38)` });
      if (!fields.sender.portalAccountId) issues.push({ path: 'body.sender.portalAccountId', message: 'a Portal account is required to send feedback (Art 39.3)' });
      if (!fields.sender.phone) issues.push({ path: 'body.sender.phone', message: 'a phone number is required of Portal submissions (Art 39.3)' });
      if (!fields.sender.email) issues.push({ path: 'body.sender.email', message: 'an e-mail address is required of Portal submissions (Art 39.3)' });
      if (receivedAt) issues.push({ path: 'body.receivedAt', message: 'only officers typing in an item received earlier may set it' });
    } else if (fields.channel === AGENCY_REPORT_CHANNEL) {
      if (!(TTHC_DATA_CATEGORIES as readonly string[]).includes(fields.category)) {
        issues.push({ path: 'body.category', message: `an agency reports wrong TTHC data: ${TTHC_DATA_CATEGORIES.join(', ')} (Art 25.3)` });
      }
      if (receivedAt) issues.push({ path: 'body.receivedAt', message: 'only officers typing in an item received earlier may set it' });
      agency = await reportTarget(fields);
      if (agency === actor.agency) issues.push({ path: 'body.agency', message: 'an agency corrects its own TTHC data in the catalogue; reports go to another agency or VPCP (Art 25.3)' });
    } else {
      if (!(OFFICER_CHANNELS as readonly string[]).includes(fields.channel)) issues.push({ path: 'body.channel', message: `officers type in items received by ${OFFICER_CHANNELS.join(', ')} (Art 42.2b)` });
      const at = receivedAt ? Date.parse(receivedAt) : undefined;
      if (at !== undefined && (at > Date.now() || at < Date.now() - MAX_BACKDATE_DAYS * 86_400_000)) {
        issues.push({ path: 'body.receivedAt', message: `must be within the last ${MAX_BACKDATE_DAYS} days (project rule) and not in the future` });
      }
    }
    if (issues.length > 0) throw problem('unprocessable', 'The submission does not meet the intake requirements', issues);
    await requireAgencyExists(agency, 'body.agency');
    const submission: FeedbackSubmission = { ...fields, agency };
    const result = await startItem(request, {
      itemId, submission, submittedBy: actor, fingerprint: fingerprintOf(request.body),
      ...(receivedAt ? { receivedAt: new Date(receivedAt).toISOString() } : {}),
      // The rule set in force on the day of receipt (an item typed in later: the day it was received).
      ruleSet: await ruleSetForNewCase(app.db, FEEDBACK_PROCESS, undefined, receivedAt ? new Date(receivedAt) : new Date()),
    });
    return reply.status(result.status).send(result.body);
  });

  app.get('/', {
    config: { access: { roles: ['agency', 'vpcp', 'auditor'], agencyOf: agencyInQuery } },
    schema: {
      tags: ['feedback'],
      summary: 'List feedback items (agencies: the items they handle(d) or coordinate on)',
      querystring: z.object({
        status: z.enum(STATUSES).optional(),
        agency: agencyCode.optional(),
        category: z.enum(FEEDBACK_CATEGORIES).optional(),
        channel: z.enum(FEEDBACK_CHANNELS).optional(),
        from: dateOrInstant('from').optional(),
        to: dateOrInstant('to').optional(),
        ...pageQuery,
        cursor: cursorParam(z.tuple([cursorInstant, cursorId])).optional(),
      }),
      response: {
        200: cursorPaged(z.object({
          itemId: z.string(), workflowId: z.string(), receivingAgency: z.string(), agency: z.string(), status: z.string(),
          category: z.string(), channel: z.string(), tthcCode: z.string().nullable(), round: z.number(), escalatedFrom: z.string().nullable(),
          receivedAt: z.date(), publishedAt: z.date().nullable(), updatedAt: z.date(),
          /** A counted clock of the item breached (not a citizen's wait), and against whom. */
          slaBreached: z.boolean(), breachOwners: z.array(z.string()),
        })),
        ...errors,
      },
    },
  }, async (request) => {
    const actor = actorOf(request);
    const { from, to, page, pageSize, cursor, ...rest } = request.query;
    const { items: rows, total, totalEstimated } = await listFeedbackItems(app.db, actor.role === 'agency' ? { agency: actor.agency } : {}, {
      ...rest, ...(from ? { from: new Date(from) } : {}), ...(to ? { to: new Date(to) } : {}), ...cursorWindow({ page, pageSize, cursor }),
    });
    // Newest first, keyset pages (issue 18.3): `nextCursor` continues after the last item.
    const { items, nextCursor } = keysetPage(rows, pageSize, (i) => [i.receivedAt.toISOString(), i.itemId]);
    return { items, ...(cursor ? {} : { total, totalEstimated }), page, pageSize, nextCursor };
  });

  app.get('/published', {
    schema: {
      tags: ['feedback'],
      summary: 'Published answers (Art 45.1), the latest published first, keyset pages (`cursor` = the previous page\'s `nextCursor`) — public, no token. `question` is the officer-approved public version, never the citizen\'s raw text',
      security: [],
      querystring: z.object({
        agency: agencyCode.optional(),
        category: z.enum(FEEDBACK_CATEGORIES).optional(),
        tthcCode: safeText(32).optional(),
        ...pageQuery,
        cursor: cursorParam(z.tuple([cursorInstant, cursorId])).optional(),
      }),
      response: {
        200: cursorPaged(z.object({
          itemId: z.string(), agency: z.string(), category: z.string(), tthcCode: z.string().nullable(),
          question: z.string(), answer: z.string(), receivedAt: z.date(), publishedAt: z.date(),
        })),
        400: problemSchema,
      },
    },
  }, async (request) => {
    const { page, pageSize, cursor, ...filter } = request.query;
    const { items: rows, total, totalEstimated } = await listPublishedAnswers(app.db, { ...filter, ...cursorWindow({ page, pageSize, cursor }) });
    // The latest published first, keyset pages (issue 18.3); `total` without a cursor only (exact up to 10,000, then estimated).
    const { items, nextCursor } = keysetPage(rows, pageSize, (i) => [i.publishedAt.toISOString(), i.itemId]);
    // The public page names the answering agency, never the officer.
    return { items: items.map(({ publishedBy: _by, ...item }) => item), ...(cursor ? {} : { total, totalEstimated }), page, pageSize, nextCursor };
  });

  app.get('/:id', {
    config: { access: { roles: ['agency', 'vpcp', 'auditor', 'portal'] } },
    schema: {
      tags: ['feedback'],
      summary: 'One feedback item: state, clocks and the actions allowed now',
      params: itemParams,
      response: { 200: viewSchema, ...errors },
    },
  }, async (request) => {
    const actor = actorOf(request);
    const workflowId = feedbackWorkflowId(request.params.id);
    const view = await queryCase(app, workflowId, feedbackStateQuery);
    // Issue 14.5: every read of a citizen's personal data (sender, content) is in the audit trail, refusals too.
    const readOf = (outcome: 'granted' | 'denied') => recordAuditRead(app.db, {
      userId: actor.userId, role: actor.role, agency: actor.agency, action: 'personal-data', workflowId, outcome,
      requestId: request.id, detail: 'feedback item: sender and content',
    });
    try {
      assertCanSee(actor, view);
    } catch (err) {
      await readOf('denied');
      throw err;
    }
    await readOf('granted');
    return asBody(view, { actionsAllowed: await actionsFor(view, actor), clockHistory: await listFeedbackClocks(app.db, view.workflowId) });
  });

  /** One route per action: the workflow's update validator refuses wrong state, agency, role or a missing reason. */
  function action<B extends z.ZodObject, I>(path: string, spec: {
    summary: string;
    roles: readonly Role[];
    permission: Permission;
    body: B;
    update: UpdateDefinition<FeedbackView, [I]>;
    precheck?: (body: z.infer<B>) => Promise<void>;
  }) {
    app.post(`/:id/${path}`, {
      config: { access: { roles: spec.roles }, permission: spec.permission },
      schema: { tags: ['feedback'], summary: spec.summary, params: itemParams, body: spec.body, response: { 200: viewSchema, ...actionErrors } },
    }, async (request) => {
      const actor = actorOf(request);
      const body = request.body as z.infer<B>;
      await spec.precheck?.(body);
      const handle = handleOf(request.params.id);
      try {
        const view = await runUpdate(request, handle, spec.update, [{ ...body, actor } as I]);
        return asBody(view, { actionsAllowed: await actionsFor(view, actor) });
      } catch (err) {
        // An update cannot reach a closed item: say so rather than "not found".
        if (err instanceof WorkflowNotFoundError) {
          const closed = await handle.describe().then((d) => d.status.name, () => undefined);
          if (closed) throw problem('invalid-transition', `Feedback item ${request.params.id} is closed`);
        }
        throw err;
      }
    });
  }

  const handlers: readonly Role[] = ['agency', 'vpcp'];
  action('classify', {
    permission: 'feedback.classify',
    summary: 'Classify (Art 42.3): reject with reasons, ask to clarify, transfer to the competent agency, accept, or escalate to VPCP',
    roles: handlers,
    body: z.object({ decision: z.enum(['reject', 'clarify', 'transfer', 'accept', 'escalate']), reason: text(5000).optional(), toAgency: agencyCode.optional() }),
    update: classifyFeedbackUpdate,
    precheck: async (body) => {
      if (body.toAgency) await requireAgencyExists(body.toAgency, 'body.toAgency');
    },
  });
  action('supplement', {
    permission: 'feedback.receive',
    summary: 'Supplement or clarify the feedback (the citizen through the Portal, or an officer typing it in)',
    roles: ['portal', 'agency'],
    body: z.object({ content: safeMultilineText(20_000), portalAccountId: safeText(64).optional() }),
    update: supplementFeedbackUpdate,
  });
  action('coordinate', {
    permission: 'feedback.answer',
    summary: 'Ask coordinating agencies for their opinion (Art 43.2)',
    roles: handlers,
    body: z.object({ agencies: z.array(agencyCode).min(1).max(20), request: text(5000) }),
    update: coordinateFeedbackUpdate,
    precheck: async (body) => {
      for (const [i, code] of body.agencies.entries()) await requireAgencyExists(code, `body.agencies.${i}`);
    },
  });
  action('coordination-answer', {
    permission: 'feedback.answer',
    summary: "A coordinating agency's answer (Art 43.2)",
    roles: ['agency'],
    body: z.object({ answer: text(20_000) }),
    update: answerCoordinationFeedbackUpdate,
  });
  action('progress', {
    permission: 'feedback.answer',
    summary: 'Post a progress update (Art 44.1: every 7 days once the 20 days have passed)',
    roles: handlers,
    body: z.object({ note: text(5000) }),
    update: progressFeedbackUpdate,
  });
  action('result', {
    permission: 'feedback.answer',
    summary: 'Enter the result (Art 44.2: within 2 working days of having it)',
    roles: handlers,
    body: z.object({ answer: text(20_000), resultObtainedAt: instant }),
    update: resultFeedbackUpdate,
  });
  action('review', {
    permission: 'feedback.review',
    summary: 'The body that received and dispatched the item checks the answer: approve, or return it to the handling agency (Art 45.2)',
    roles: handlers,
    body: z.object({ decision: z.enum(['approve', 'return']), reason: text(5000).optional() }),
    update: reviewFeedbackUpdate,
  });
  action('publish', {
    permission: 'feedback.publish',
    summary: 'The body that received and dispatched the item publishes the answer on the Portal with the public version of the question it approved (personal details removed); the citizen is notified (Art 45.1, 36.3c)',
    roles: handlers,
    body: z.object({
      publicQuestion: text(20_000).describe('The question as it will be shown on the Portal, written or approved by the publishing officer, without the sender\'s name, phone, e-mail or address (project rule)'),
    }),
    update: publishFeedbackUpdate,
  });
  action('escalate', {
    permission: 'feedback.classify',
    summary: 'Hand the item to VPCP at any stage while it is open: the Government\'s competence, or agencies that cannot agree (Art 42.3đ)',
    roles: handlers,
    body: z.object({ ground: z.enum(ESCALATION_GROUNDS), reason: text(5000) }),
    update: escalateFeedbackUpdate,
  });
  action('state-secret', {
    permission: 'feedback.remove',
    summary: 'Found to involve state secrets: take the item off the system — content removed, a content-free record kept (Art 44.3)',
    roles: handlers,
    body: z.object({}),
    update: removeStateSecretFeedbackUpdate,
  });

  app.post('/:id/reopen', {
    config: { access: { roles: ['portal'] } },
    schema: {
      tags: ['feedback'],
      summary: 'The citizen disagrees with the published answer and writes again: a linked item for VPCP (Art 42.3đ)',
      params: itemParams,
      headers: idempotencyHeaders,
      body: z.object({ content: safeMultilineText(20_000, 10), portalAccountId: safeText(64) }),
      response: { 201: intakeResultSchema, 200: intakeResultSchema, ...actionErrors },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const original = await queryCase(app, feedbackWorkflowId(request.params.id), feedbackStateQuery);
    if (original.status !== 'published') throw problem('invalid-transition', `Feedback item ${original.itemId} has no published answer to disagree with (it is ${original.status})`);
    if (original.submission.sender.portalAccountId !== request.body.portalAccountId) {
      throw problem('wrong-scope', 'Only the Portal account that sent the feedback may write again about its answer');
    }
    const submission: FeedbackSubmission = { ...original.submission, content: request.body.content, agency: 'VPCP', channel: 'portal' };
    const result = await startItem(request, {
      itemId: itemIdOf(actor, `${original.itemId}|${request.headers['idempotency-key']}`), submission, submittedBy: actor,
      fingerprint: fingerprintOf({ original: original.itemId, ...request.body }), escalatedFrom: original.itemId,
    });
    return reply.status(result.status).send(result.body);
  });
};
