import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { findPayment } from '../../../db/queries/payment.js';
import { debitsOf, findRefund, landStartedRefund, listRefunds, liveRefundsOfDebit, withRefundStartLock } from '../../../db/queries/reconciliation.js';
import { refundOrigin, refundStatus } from '../../../db/schema/index.js';
import { agencyKey, processKey, stageKey } from '../../../workflows/search-attributes.js';
import {
  REFUND_PROCESS, closeUnfoundedRefundUpdate, decideRefundUpdate, payRefundUpdate, refundWorkflowId, startedRefundView, type RefundInput, type RefundView,
} from '../../../workflows/refund.definitions.js';
import { actorOf, isSupervisor, type Actor } from '../../auth.js';
import { runUpdate } from '../../idempotency.js';
import { ruleSetForNewCase } from '../rule-sets/pin.js';
import { startOnce } from '../../case-record.js';
import { problem, problemSchema } from '../../errors.js';
import { caseId, cursorId, cursorInstant, cursorParam, keysetPage, safeCode, safeMultilineText, safeText } from '../../schemas.js';
import { vndSchema } from '../payments/index.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema };
const params = z.object({ id: caseId });

const refundSchema = z
  .object({
    id: z.string(), origin: z.enum(refundOrigin.enumValues), paymentId: z.string(), agency: z.string(), bank: z.string(), bankTxnRef: z.string(),
    amount: z.number().int(), reason: z.string(), status: z.enum(refundStatus.enumValues), responsibleKind: z.enum(['bank', 'agency']),
    finding: z.string().nullable(), discrepancyId: z.string().nullable(), createdAt: z.string(), updatedAt: z.string(),
  })
  .meta({ id: 'Refund' });
type RefundRecord = NonNullable<Awaited<ReturnType<typeof findRefund>>>;
const toBody = ({ revision: _r, ...r }: RefundRecord) => ({ ...r, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString() });
const viewBody = (v: RefundView) => ({ refundId: v.refundId, status: v.status, responsibleKind: v.responsibleKind, finding: v.finding, payoutRef: v.payout?.payoutRef, refundedBy: v.refundedBy });
const viewSchema = z.object({
  refundId: z.string(), status: z.enum(refundStatus.enumValues), responsibleKind: z.enum(['bank', 'agency']),
  finding: z.string().optional(), payoutRef: z.string().optional(), refundedBy: z.string().optional(),
});

function assertCanRead(actor: Actor, r: { agency: string; bank: string }) {
  if (isSupervisor(actor) || actor.role === 'portal') return;
  if ((actor.role === 'agency' && actor.agency === r.agency) || (actor.role === 'bank' && actor.bank === r.bank)) return;
  throw problem('wrong-scope', `${actor.role} ${actor.agency ?? actor.bank ?? ''} may not see this refund`);
}

/**
 * Refunds (Art 34.6): started by reconciliation for duplicates and over-payments, by a payer's
 * request through the Portal (investigated by the bank), or by the agency (34.6c, its to pay);
 * paid by the bank or the agency, once; one opened from a difference a corrected statement
 * disproved is closed as unfounded by the bank or VPCP.
 */
export const refundRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/', {
    config: { access: { roles: ['portal', 'agency'] }, permission: 'refund.start' },
    schema: {
      tags: ['refunds'],
      summary: "A payer's refund request (Art 34.6b, role portal): the payer's bank investigates it; or the agency's own refund of its payment (Art 34.6c, role agency): the agency pays it",
      body: z.object({ paymentId: safeText(200), bankTxnRef: safeText(128).optional(), amount: vndSchema, reason: safeMultilineText(4000) }),
      response: {
        201: z.object({ refundId: z.string(), status: z.enum(['investigating', 'awaitingRefund']) }),
        200: z.object({ refundId: z.string(), status: z.enum(refundStatus.enumValues) }).describe('The same request made before: its refund, as it is now'),
        ...errors,
      },
    },
  }, async (request, reply) => {
    const { body } = request;
    const actor = actorOf(request);
    const payment = await findPayment(app.db, body.paymentId);
    if (!payment) throw problem('not-found', `No payment ${body.paymentId}`);
    if (actor.role === 'agency' && actor.agency !== payment.agency) throw problem('wrong-scope', `agency ${actor.agency ?? ''} may not refund payment ${payment.paymentId} of ${payment.agency}`);
    const origin = actor.role === 'agency' ? ('agencyInitiated' as const) : ('payerRequest' as const);
    const debited = payment.status === 'debited' || payment.status === 'settled';
    const debits = await debitsOf(app.db, { paymentId: payment.paymentId, bankTxnRef: payment.bankTxnRef, amount: payment.amount, debited });
    if (!payment.payerBank || debits.length === 0) {
      throw problem('unprocessable', `Payment ${body.paymentId} was never debited (${payment.status}); there is nothing to refund`);
    }
    // Only a debit the payment really took: the Portal's, or a further one reconciliation found (Art 34.6).
    const bankTxnRef = body.bankTxnRef ?? payment.bankTxnRef ?? debits[0]!.bankTxnRef;
    const debit = debits.find((d) => d.bankTxnRef === bankTxnRef);
    if (!debit) throw problem('unprocessable', `Debit ${bankTxnRef} is neither the Portal's debit of payment ${payment.paymentId} nor a duplicate found by reconciliation`);
    const input: RefundInput = {
      origin, paymentId: payment.paymentId, agency: payment.agency, bank: payment.payerBank,
      bankTxnRef, amount: body.amount, reason: body.reason, actor,
      ruleSet: await ruleSetForNewCase(app.db, REFUND_PROCESS),
    };
    const refundId = refundWorkflowId(input);
    const started = startedRefundView(refundId, input, new Date().toISOString());
    // One live refund case per debit (Art 34.6): the payer's request and the agency's own refund have
    // different keys, so the check, the key's claim, the start and the first row run alone per debit
    // (withRefundStartLock says why a session lock on one connection); the loser of a race then finds
    // the winner's row and is refused exactly as a request sent after it.
    const answer = await withRefundStartLock(app.db, { paymentId: payment.paymentId, bankTxnRef }, async (db) => {
      // A debit is refunded at most once and at most its amount: the cases already open or paid for it count.
      const committed = (await liveRefundsOfDebit(db, payment.paymentId, bankTxnRef)).filter((r) => r.id !== refundId);
      if (committed.length > 0) {
        throw problem('already-exists', `Debit ${bankTxnRef} of payment ${payment.paymentId} already has refund ${committed.map((r) => r.id).join(', ')}`);
      }
      if (body.amount > debit.amount) throw problem('unprocessable', `A refund of ${body.amount} VND exceeds the ${debit.amount} VND debited under ${bankTxnRef}`);
      const business = { kind: 'refund', key: refundId };
      try {
        await startOnce({ db }, {
          ...business, workflowId: refundId, content: { amount: body.amount },
          conflict: `Debit ${bankTxnRef} of payment ${payment.paymentId} already has refund ${refundId}`,
        }, () => app.temporal.workflow.start('refundWorkflow', {
          taskQueue: app.config.TASK_QUEUE, workflowId: refundId, args: [input], workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          typedSearchAttributes: [{ key: agencyKey, value: input.agency }, { key: processKey, value: REFUND_PROCESS }, { key: stageKey, value: started.status }],
        }),
        // Read your writes: the API lands the refund's first projection row itself (revision 0, the
        // state the workflow starts in) with the key's "started" mark, so a GET right after the 201
        // finds it without waiting for the worker; the workflow's own writes (revision 1 on) win.
        () => landStartedRefund(db, started, business));
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        // The same request again (its key claimed with the same content) is answered with its case, also
        // while the first request's row had not landed (startOnce lands it then, so the answer and a
        // GET right after need no worker). A different one for the same debit is a conflict.
        const existing = await findRefund(db, refundId);
        if (existing && existing.amount !== body.amount) throw problem('already-exists', `Debit ${bankTxnRef} of payment ${payment.paymentId} already has refund ${refundId}`);
        return { code: 200 as const, status: existing?.status ?? started.status };
      }
      return { code: 201 as const, status: started.status };
    });
    if (!answer.acquired) throw problem('busy', `Another refund of debit ${bankTxnRef} of payment ${payment.paymentId} is being started; retry`);
    return reply.status(answer.value.code).send({ refundId, status: answer.value.status });
  });

  app.get('/', {
    config: { access: { roles: ['agency', 'bank', 'vpcp', 'auditor'] } },
    schema: {
      tags: ['refunds'], summary: 'Refunds, newest first, keyset pages of `limit` (`cursor` = the previous page\'s `nextCursor`): a bank sees its own, an agency its own',
      querystring: z.object({
        status: z.enum(refundStatus.enumValues).optional(), paymentId: safeText(200).optional(), agency: safeCode().optional(), bank: safeCode().optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
        cursor: cursorParam(z.tuple([cursorInstant, cursorId])).optional(),
      }),
      response: { 200: z.object({ items: z.array(refundSchema), nextCursor: z.string().nullable() }), ...errors },
    },
  }, async (request) => {
    const actor = actorOf(request);
    const { cursor, limit, ...query } = request.query;
    const rows = await listRefunds(app.db, {
      ...query, agency: actor.role === 'agency' ? actor.agency : query.agency, bank: actor.role === 'bank' ? actor.bank : query.bank,
      limit: limit + 1, after: cursor,
    });
    const { items, nextCursor } = keysetPage(rows, limit, (r) => [r.createdAt.toISOString(), r.id]);
    return { items: items.map(toBody), nextCursor };
  });

  app.get('/:id', {
    config: { access: { roles: ['agency', 'bank', 'vpcp', 'auditor', 'portal'] } },
    schema: { tags: ['refunds'], summary: 'One refund', params, response: { 200: refundSchema, ...errors } },
  }, async (request) => {
    const r = await findRefund(app.db, request.params.id);
    if (!r) throw problem('not-found', `No refund ${request.params.id}`);
    assertCanRead(actorOf(request), r);
    return toBody(r);
  });

  app.post('/:id/decision', {
    config: { access: { roles: ['bank'] } },
    schema: {
      tags: ['refunds'], summary: "The bank's finding (Art 34.6b): its own fault → it refunds; the agency's → routed to the agency; unfounded → rejected",
      params, body: z.object({ finding: z.enum(['bankFault', 'agencyFault', 'unfounded']), note: safeMultilineText(4000) }),
      response: { 200: viewSchema, ...errors },
    },
  }, async (request) =>
    viewBody(await runUpdate(request, app.temporal.workflow.getHandle(request.params.id), decideRefundUpdate, [{ ...request.body, actor: actorOf(request) }])));

  app.post('/:id/close-unfounded', {
    config: { access: { roles: ['bank', 'vpcp'] }, permission: 'refund.closeUnfounded' },
    schema: {
      tags: ['refunds'],
      summary: 'Close, unpaid, a refund opened from a reconciliation difference that proved unfounded (a corrected statement, Art 34.6): the bank of the payment or VPCP, with the reason',
      params, body: z.object({ reason: safeMultilineText(4000) }), response: { 200: viewSchema, ...errors },
    },
  }, async (request) =>
    viewBody(await runUpdate(request, app.temporal.workflow.getHandle(request.params.id), closeUnfoundedRefundUpdate, [{ reason: request.body.reason, actor: actorOf(request) }])));

  app.post('/:id/payout', {
    config: { access: { roles: ['bank', 'agency'] }, permission: 'refund.payout' },
    schema: {
      tags: ['refunds'], summary: 'The responsible party records the money returned to the payer; a refund is paid once',
      params, body: z.object({ payoutRef: safeText(128) }), response: { 200: viewSchema, ...errors },
    },
  }, async (request) => {
    try {
      return viewBody(await runUpdate(request, app.temporal.workflow.getHandle(request.params.id), payRefundUpdate, [{ ...request.body, actor: actorOf(request) }]));
    } catch (err) {
      // A refunded case has closed: a second payout is a conflict, not an unknown refund.
      const closed = err instanceof WorkflowNotFoundError ? await findRefund(app.db, request.params.id) : undefined;
      if (closed) throw problem('invalid-transition', `Refund ${closed.id} is ${closed.status}; a refund is paid once`);
      throw err;
    }
  });
};
