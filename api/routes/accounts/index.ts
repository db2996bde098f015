import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyInstance } from 'fastify';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import { findAccount, inactivitySummary, ingestActivityBatch, listAccountIssues } from '../../../db/queries/account.js';
import {
  ACCOUNT_ISSUE_CHANNELS,
  ACCOUNT_PROCESS,
  ACCOUNT_ISSUE_KINDS,
  ACCOUNT_ISSUE_STATUSES,
  acceptAccountUpdate,
  accountIssueStateQuery,
  accountIssueWorkflowId,
  INACTIVITY_RULES,
  notifyPartiesAccountUpdate,
  resolveAccountUpdate,
  type AccountIssueView,
  type AccountIssueWorkflowInput,
} from '../../../workflows/account.definitions.js';
import { problem, problemSchema } from '../../errors.js';
import { cursorId, cursorInstant, cursorParam, cursorWindow, instant, cursorPaged, keysetPage, pageQuery, safeCode, safeMultilineText, safeText, slaClockSchema } from '../../schemas.js';
import { actorOf, type Actor, type Role } from '../../auth.js';
import { accountIssueActionsFor } from '../../../domain/permissions/case-actions.js';
import { runUpdate } from '../../idempotency.js';
import { queryCase, startOnce } from '../../case-record.js';
import { ruleSetForNewCase } from '../rule-sets/pin.js';
import { recordAuditRead } from '../../../db/queries/audit.js';

/** Project rule: a support-line call may be typed in at most this long after it was taken. */
const MAX_BACKDATE_HOURS = 72;
/** Project rule: events per ingestion call, and how far ahead of our clock an event may be (clock skew). */
const MAX_EVENTS = 10_000;
const MAX_SKEW_MS = 5 * 60_000;

const accountId = safeCode(64);
const issueParams = z.object({ id: z.string().regex(/^[a-f0-9]{24}$/, 'an account issue id') });
const idempotencyHeaders = z.object({ 'idempotency-key': z.string().min(8).max(128) });
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const actionErrors = { ...errors, 409: problemSchema, 422: problemSchema };

const intakeSchema = z.object({
  accountId,
  kind: z.enum(ACCOUNT_ISSUE_KINDS),
  channel: z.enum(ACCOUNT_ISSUE_CHANNELS),
  owner: z.object({
    name: safeText(200),
    phone: z.string().trim().regex(/^\+?[0-9 .-]{8,20}$/, 'a phone number').optional(),
    email: z.email().optional(),
  }),
  description: safeMultilineText(5_000, 10),
  /** Support-line calls typed in by the operator: when the call was taken. */
  receivedAt: instant.optional(),
});
const intakeResultSchema = z.object({ id: z.string(), workflowId: z.string(), status: z.string(), replayed: z.boolean() }).meta({ id: 'AccountIssueIntake' });

const viewSchema = z
  .looseObject({
    caseId: z.string(),
    workflowId: z.string(),
    status: z.enum(ACCOUNT_ISSUE_STATUSES),
    receivedAt: z.string(),
    parties: z.array(z.string()),
    actionsAllowed: z.array(z.string()),
    clocks: z.array(slaClockSchema),
  })
  .meta({ id: 'AccountIssue' });
type ViewBody = z.infer<typeof viewSchema>;
const asBody = async (app: FastifyInstance, view: AccountIssueView, actor: Actor): Promise<ViewBody> =>
  ({ ...view, actionsAllowed: accountIssueActionsFor(view, await app.permissions.callerOf(actor)) });

const activitySchema = z.object({
  /** The identity system's id of this batch: a retried batch is recognised by it (the same content → the first answer). */
  batchId: safeCode(128),
  events: z.array(z.object({ accountId, at: instant, kind: z.enum(['login', 'activity']) })).min(1).max(MAX_EVENTS),
});
const activityResultSchema = z.object({
  batchId: z.string(), events: z.number().int(), accounts: z.number().int(), receivedAt: z.date(), replayed: z.boolean(),
}).meta({ id: 'AccountActivityBatch' });

const caseIdOf = (role: string, key: string) => createHash('sha256').update(`${role}|account|${key}`).digest('hex').slice(0, 24);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Portal accounts (Art 13): account issues (13.1), activity ingestion and inactivity supervision (13.2). */
export const accountRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/issues', {
    config: { ownIdempotency: true, access: { roles: ['portal', 'vpcp'] }, permission: 'account.handle' },
    schema: {
      tags: ['accounts'],
      summary: 'Report a complaint or wrong identity data about a Portal account: through the Portal, or typed in by the support line (Art 13.1)',
      description: 'Idempotent on the Idempotency-Key header: a retried report returns the same case (200).',
      headers: idempotencyHeaders,
      body: intakeSchema,
      response: { 201: intakeResultSchema, 200: intakeResultSchema, ...actionErrors },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const { receivedAt, ...submission } = request.body;
    const issues: { path: string; message: string }[] = [];
    if (actor.role === 'portal' && submission.channel !== 'portal') issues.push({ path: 'body.channel', message: 'the Portal front end reports through channel portal' });
    if (actor.role === 'vpcp' && submission.channel !== 'support-line') issues.push({ path: 'body.channel', message: 'the support line types in calls through channel support-line' });
    if (!submission.owner.phone && !submission.owner.email) issues.push({ path: 'body.owner', message: 'a phone number or an e-mail address is required to give the owner the result (Art 13.1)' });
    if (receivedAt) {
      const at = Date.parse(receivedAt);
      if (actor.role !== 'vpcp') issues.push({ path: 'body.receivedAt', message: 'only the support line may type in a call taken earlier' });
      else if (at > Date.now() || at < Date.now() - MAX_BACKDATE_HOURS * 3_600_000) issues.push({ path: 'body.receivedAt', message: `must be within the last ${MAX_BACKDATE_HOURS} hours (project rule) and not in the future` });
    }
    if (issues.length > 0) throw problem('unprocessable', 'The report does not meet the intake requirements', issues);

    const caseId = caseIdOf(actor.role, request.headers['idempotency-key']);
    const workflowId = accountIssueWorkflowId(caseId);
    const fingerprint = sha256(JSON.stringify(request.body));
    const input: AccountIssueWorkflowInput = {
      caseId, submission, submittedBy: actor, fingerprint, ...(receivedAt ? { receivedAt: new Date(receivedAt).toISOString() } : {}),
      ruleSet: await ruleSetForNewCase(app.db, ACCOUNT_PROCESS, undefined, receivedAt ? new Date(receivedAt) : new Date()),
    };
    try {
      await startOnce(app, {
        kind: 'account-issue', key: caseId, workflowId, content: { fingerprint },
        conflict: 'This Idempotency-Key was already used for a different report',
      }, () => app.temporal.workflow.start('accountIssueWorkflow', {
        taskQueue: app.config.TASK_QUEUE, workflowId, args: [input], workflowIdReusePolicy: 'REJECT_DUPLICATE',
      }));
      request.log.info({ workflowId, kind: submission.kind, channel: submission.channel }, 'account issue received');
      return reply.status(201).send({ id: caseId, workflowId, status: 'received', replayed: false });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    const view = await queryCase(app, workflowId, accountIssueStateQuery);
    if (view.fingerprint !== fingerprint) throw problem('conflict', 'This Idempotency-Key was already used for a different report');
    return reply.status(200).send({ id: caseId, workflowId, status: view.status, replayed: true });
  });

  app.get('/issues', {
    config: { access: { roles: ['vpcp', 'auditor'] } },
    schema: {
      tags: ['accounts'],
      summary: 'List account issues (Art 13.1), newest first, with their breach flag; keyset pages (`cursor` = the previous page\'s `nextCursor`)',
      querystring: z.object({ status: z.enum(ACCOUNT_ISSUE_STATUSES).optional(), accountId: accountId.optional(), ...pageQuery, cursor: cursorParam(z.tuple([cursorInstant, cursorId])).optional() }),
      response: {
        200: cursorPaged(z.object({
          caseId: z.string(), workflowId: z.string(), accountId: z.string(), kind: z.string(), channel: z.string(), status: z.string(),
          parties: z.array(z.string()), receivedAt: z.date(), partiesNotifiedAt: z.date().nullable(), acceptedAt: z.date().nullable(),
          closedAt: z.date().nullable(), slaBreached: z.boolean(), breachOwners: z.array(z.string()),
        })),
        ...errors,
      },
    },
  }, async (request) => {
    const { page, pageSize, cursor, ...filter } = request.query;
    const { items: rows, total, totalEstimated } = await listAccountIssues(app.db, { ...filter, ...cursorWindow({ page, pageSize, cursor }) });
    const { items, nextCursor } = keysetPage(rows, pageSize, (r) => [r.receivedAt.toISOString(), r.caseId]);
    return { items, ...(cursor ? {} : { total, totalEstimated }), page, pageSize, nextCursor };
  });

  app.get('/issues/:id', {
    config: { access: { roles: ['vpcp', 'auditor', 'portal'] } },
    schema: { tags: ['accounts'], summary: 'One account issue: state, clocks and the actions allowed now', params: issueParams, response: { 200: viewSchema, ...errors } },
  }, async (request) => {
    const actor = actorOf(request);
    const workflowId = accountIssueWorkflowId(request.params.id);
    const view = await queryCase(app, workflowId, accountIssueStateQuery);
    // Issue 14.5: the owner's name, phone and e-mail are personal data: every read is in the audit trail.
    await recordAuditRead(app.db, {
      userId: actor.userId, role: actor.role, agency: actor.agency, action: 'personal-data', workflowId, outcome: 'granted',
      requestId: request.id, detail: 'account issue: owner and content',
    });
    return asBody(app, view, actor);
  });

  /** One route per action of the Portal operator; the workflow's validator refuses a wrong state or input. */
  function action<B extends z.ZodObject, I>(path: string, spec: { summary: string; body: B; update: UpdateDefinition<AccountIssueView, [I]> }) {
    const roles: readonly Role[] = ['vpcp'];
    app.post(`/issues/:id/${path}`, {
      config: { access: { roles }, permission: 'account.handle' },
      schema: { tags: ['accounts'], summary: spec.summary, params: issueParams, body: spec.body, response: { 200: viewSchema, ...actionErrors } },
    }, async (request) => {
      const handle = app.temporal.workflow.getHandle(accountIssueWorkflowId(request.params.id));
      try {
        return asBody(app, await runUpdate(request, handle, spec.update, [{ ...(request.body as object), actor: actorOf(request) } as I]), actorOf(request));
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) {
          const closed = await handle.describe().then((d) => d.status.name, () => undefined);
          if (closed) throw problem('invalid-transition', `Account issue ${request.params.id} is closed`);
        }
        throw err;
      }
    });
  }
  action('notify-parties', {
    summary: 'Notify the related parties to coordinate (Art 13.1: within 24 hours of receipt)',
    body: z.object({ parties: z.array(z.string().trim().regex(/^[A-Z0-9-]{2,32}$/, 'a party code')).min(1).max(20), message: safeMultilineText(5_000) }),
    update: notifyPartiesAccountUpdate,
  });
  action('accept', {
    summary: 'Formally accept the issue for handling (Art 13.1: the 48-hour clock starts)',
    body: z.object({}),
    update: acceptAccountUpdate,
  });
  action('resolve', {
    summary: 'Give the owner the result by SMS and e-mail: resolved, or rejected with the reason (Art 13.1: within 48 hours of acceptance)',
    body: z.object({ outcome: z.enum(['resolved', 'rejected']), result: safeMultilineText(5_000) }),
    update: resolveAccountUpdate,
  });

  app.post('/activity', {
    config: { ownIdempotency: true, access: { roles: ['portal'] } },
    bodyLimit: 4 * 1024 * 1024,
    schema: {
      tags: ['accounts'],
      summary: `Logins and activity reported by the Portal's identity system, up to ${MAX_EVENTS.toLocaleString('en-US')} events per batch (Art 13.2)`,
      description: 'Idempotent per batchId: the same batch again returns the first answer (200, replayed); another batch under a used id is 409.',
      body: activitySchema,
      response: { 201: activityResultSchema, 200: activityResultSchema, ...actionErrors, 413: problemSchema },
    },
  }, async (request, reply) => {
    const { batchId, events } = request.body;
    const latest = new Map<string, Date>();
    const limit = Date.now() + MAX_SKEW_MS;
    const future: { path: string; message: string }[] = [];
    for (const [i, e] of events.entries()) {
      const at = Date.parse(e.at);
      if (at > limit) {
        if (future.length < 20) future.push({ path: `body.events.${i}.at`, message: 'an activity cannot be in the future' });
        continue;
      }
      const known = latest.get(e.accountId);
      if (!known || known.getTime() < at) latest.set(e.accountId, new Date(at));
    }
    if (future.length > 0) throw problem('unprocessable', 'The batch has events in the future; nothing was recorded', future);
    const result = await ingestActivityBatch(app.db, {
      batchId, contentSha256: sha256(JSON.stringify(events)), events: events.length, latest,
    }, INACTIVITY_RULES.inactiveFor);
    if (result.outcome === 'conflict') throw problem('conflict', `Batch ${batchId} was already received with other events; nothing was recorded`);
    const { outcome, ...body } = result;
    return reply.status(outcome === 'ingested' ? 201 : 200).send({ ...body, replayed: outcome === 'replayed' });
  });

  app.get('/inactivity', {
    config: { access: { roles: ['vpcp', 'auditor'] } },
    schema: {
      tags: ['accounts'],
      summary: 'Inactivity supervision (Art 13.2): accounts due for their next step now, and accounts in their notice period',
      response: { 200: z.object({ asOf: z.date(), dueNow: z.number().int(), firstNotice: z.number().int(), secondNotice: z.number().int(), rules: z.record(z.string(), z.union([z.string(), z.number()])) }), ...errors },
    },
  }, async () => {
    const asOf = new Date();
    return { asOf, ...(await inactivitySummary(app.db, asOf, INACTIVITY_RULES.noticeEvery)), rules: { ...INACTIVITY_RULES } };
  });

  app.get('/:accountId/inactivity', {
    config: { access: { roles: ['vpcp', 'auditor', 'portal'] } },
    schema: {
      tags: ['accounts'],
      summary: "One account's inactivity state (Art 13.2): last activity, notices sent, next step and when, lock",
      params: z.object({ accountId }),
      response: {
        200: z.object({
          accountId: z.string(), lastActivityAt: z.date(), noticeStage: z.number().int(), stage: z.string(),
          nextActionAt: z.date().nullable(), lastNoticeAt: z.date().nullable(), lockedAt: z.date().nullable(),
        }),
        ...errors,
      },
    },
  }, async (request) => {
    const row = await findAccount(app.db, request.params.accountId);
    if (!row) throw problem('not-found', `No activity was reported for account ${request.params.accountId}`);
    const stage = ['active', 'first-notice-sent', 'second-notice-sent', 'locked'][row.noticeStage] ?? 'unknown';
    return { ...row, stage };
  });
};
