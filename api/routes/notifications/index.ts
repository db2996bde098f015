import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findNotice, listNotices, markNoticeRead, type Notice, type NoticeScope } from '../../../db/queries/notifications.js';
import { notificationChannel, notificationRecipientKind } from '../../../db/schema/index.js';
import { actorOf, agencyInQuery, bankInQuery, type Actor } from '../../auth.js';
import { problem, problemSchema } from '../../errors.js';
import { caseId, cursorInstant, cursorPaged, cursorParam, cursorWindow, keysetPage, pageQuery, safeCode, safeText } from '../../schemas.js';

const noticeSchema = z
  .object({
    id: z.string(),
    /** The case (workflow id) the notice is about; none for a change of the bank register. */
    caseId: z.string().nullable(),
    kind: z.string(),
    recipientKind: z.enum(notificationRecipientKind.enumValues),
    recipient: z.string(),
    channel: z.enum(notificationChannel.enumValues),
    subjectVi: z.string(),
    subject: z.string(),
    bodyVi: z.string(),
    body: z.string(),
    data: z.record(z.string(), z.unknown()).nullable(),
    createdAt: z.string(),
    readAt: z.string().nullable(),
    readBy: z.string().nullable(),
  })
  .meta({ id: 'Notice' });

const toDto = (n: Notice): z.infer<typeof noticeSchema> => ({
  ...n,
  createdAt: n.createdAt.toISOString(),
  readAt: n.readAt?.toISOString() ?? null,
});

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };

/** An agency reads its own agency's notices, a bank its own bank's; VPCP and auditors every notice to an agency or bank. */
const scopeOf = (actor: Actor): NoticeScope =>
  actor.role === 'agency' ? { agency: actor.agency } : actor.role === 'bank' ? { bank: actor.bank } : {};

/** Only the addressee marks a notice read (VPCP its own notices, as the agency VPCP). */
const isAddressee = (actor: Actor, notice: Notice): boolean =>
  notice.recipientKind === 'bank'
    ? actor.role === 'bank' && actor.bank === notice.recipient
    : (actor.role === 'vpcp' ? 'VPCP' : actor.role === 'agency' ? actor.agency : undefined) === notice.recipient;

/**
 * The Portal notices of agencies and banks: every message the processes send them through the
 * notification outbox (and VPCP's changes of a bank's status, Art 33.7), each linked to its case.
 */
export const notificationRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/', {
    config: { access: { roles: ['agency', 'bank', 'vpcp', 'auditor'], agencyOf: agencyInQuery, bankOf: bankInQuery } },
    schema: {
      tags: ['notifications'],
      summary: 'Notices to agencies and banks, newest first (an agency or bank sees its own; VPCP and auditors all)',
      querystring: z.object({
        agency: safeCode().optional(),
        bank: safeCode().optional(),
        unread: z.stringbool().optional(),
        /** The notice's template, e.g. payment.debited, dvctt.published, bank.suspended. */
        kind: safeText(100).optional(),
        caseId: caseId.optional(),
        ...pageQuery,
        // A notice's key (its id) runs up to 1,000 characters.
        cursor: cursorParam(z.tuple([cursorInstant, z.string().min(1).max(1000)])).optional(),
      }),
      response: { 200: cursorPaged(noticeSchema), ...errors },
    },
  }, async (request) => {
    const { page, pageSize, cursor, ...filter } = request.query;
    const { items: rows, total, totalEstimated } = await listNotices(app.db, scopeOf(actorOf(request)), { ...filter, ...cursorWindow({ page, pageSize, cursor }) });
    const { items, nextCursor } = keysetPage(rows, pageSize, (n) => [n.cursorAt, n.id]);
    return { items: items.map(toDto), ...(cursor ? {} : { total, totalEstimated }), page, pageSize, nextCursor };
  });

  app.post('/:id/read', {
    config: { access: { roles: ['agency', 'bank', 'vpcp'] } },
    schema: {
      tags: ['notifications'],
      summary: 'Mark a notice read (its addressee only; idempotent: the first reading stands)',
      // A notice id is its outbox key: the case id, the step and the channel.
      params: z.object({ id: safeText(1000) }),
      response: { 200: noticeSchema, ...errors },
    },
  }, async (request) => {
    const actor = actorOf(request);
    const notice = await findNotice(app.db, request.params.id);
    if (!notice) throw problem('not-found', `No notice ${request.params.id}`);
    if (!isAddressee(actor, notice)) throw problem('wrong-scope', `${actor.role} ${actor.agency ?? actor.bank ?? ''} may not mark a notice to ${notice.recipientKind} ${notice.recipient} read`);
    return toDto((await markNoticeRead(app.db, notice.id, actor.userId)) ?? notice);
  });
};
