import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/client';
import { z } from 'zod';
import { findBankReceiptCertificate, findCallback, findPayment, findReceipt, landStartedPayment, listPayments } from '../../../db/queries/payment.js';
import { MAX_RECEIPT_DOCUMENT_LENGTH, ReceiptRejected, verifyReceipt } from '../../../domain/payments/receipt.js';
import { paymentReferenceErrors } from '../../../db/queries/fee-types.js';
import { paymentStatus } from '../../../db/schema/index.js';
import { agencyKey, processKey, stageKey } from '../../../workflows/search-attributes.js';
import {
  PAYMENT_PROCESS,
  cancelPaymentUpdate,
  callbackFingerprint,
  choosePayerBankUpdate,
  paymentQuery,
  paymentWorkflowId,
  recordReceiptExceptionUpdate,
  reportDebitUpdate,
  reportFailureUpdate,
  reportReceiptUpdate,
  reportSettlementUpdate,
  startedPaymentView,
  type CallbackKind,
  type CallbackResult,
  type PaymentRequest,
  type PaymentStatus,
} from '../../../workflows/payment.definitions.js';
import { actorOf, agencyInQuery, bankInQuery, isSupervisor, type Actor } from '../../auth.js';
import { runUpdate } from '../../idempotency.js';
import { startOnce } from '../../case-record.js';
import { ruleSetForNewCase } from '../rule-sets/pin.js';
import { knownFeeTypes } from '../fee-types/index.js';
import { problem, problemSchema } from '../../errors.js';
import { caseId, cursorId, cursorInstant, cursorParam, instant, keysetPage, realDate, safeCode, safeMultilineText, safeText } from '../../schemas.js';

/** Whole VND: integers only (a fractional amount is a 400), at most 2^53 - 1. */
export const vndSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const code = safeCode();
const ref = safeText(128);
const iso = (d: Date | null) => (d ? d.toISOString() : null);

const beneficiarySchema = z.object({
  kind: z.enum(['bank', 'treasury']),
  institution: code.describe("Bank code, or 'KBNN' for the State Treasury"),
  account: safeText(64),
  name: safeText(256),
});

const paymentSchema = z
  .object({
    paymentId: z.string(), agency: z.string(), requestRef: z.string(), dossierCode: z.string(), feeTypeCode: z.string(), amount: z.number().int(),
    beneficiaryKind: z.string(), beneficiaryInstitution: z.string(), beneficiaryAccount: z.string(),
    payerBank: z.string().nullable(), bankTxnRef: z.string().nullable(), status: z.enum(paymentStatus.enumValues), txnDate: z.string().nullable(),
    debitedAt: z.string().nullable().describe('When the payer was debited, as the bank states it (T of Art 33.4a)'),
    debitReportedAt: z.string().nullable().describe('When the bank reported the debit'),
    debitReportedLate: z.boolean().describe('Project rule: the debit was reported more than PAYMENT_DEBIT_REPORT_LIMIT_HOURS after it happened'),
    receiptVerifiedAt: z.string().nullable().describe("When the bank's signed receipt was verified (Art 31.2c)"),
    receiptException: z.string().nullable().describe('VPCP: why the payment settles without a verified receipt'),
    settledAt: z.string().nullable(), settlementDueAt: z.string().nullable(),
    settlementBreached: z.boolean(), settlementWorkingDaysLate: z.number().int().nullable(), endReason: z.string().nullable(),
    createdAt: z.string(), updatedAt: z.string(),
    /** A counted clock of the case breached (the payer's waits are not), and against whom. */
    slaBreached: z.boolean(), breachOwners: z.array(z.string()),
  })
  .meta({ id: 'Payment' });

const callbackResultSchema = z
  .object({
    paymentId: z.string(), callbackId: z.string(), kind: z.enum(['debit', 'receipt', 'settlement', 'failure']),
    status: z.enum(paymentStatus.enumValues), receiptBuffered: z.boolean().optional(), awaitingReceipt: z.boolean().optional(), processedAt: z.string(),
  })
  .meta({ id: 'BankCallbackResult' });

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema };
const params = z.object({ paymentId: caseId });

type PaymentRow = NonNullable<Awaited<ReturnType<typeof findPayment>>>;
const toBody = (r: PaymentRow) => ({
  ...r, debitedAt: iso(r.debitedAt), debitReportedAt: iso(r.debitReportedAt), receiptVerifiedAt: iso(r.receiptVerifiedAt), settledAt: iso(r.settledAt), settlementDueAt: iso(r.settlementDueAt), createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
});

interface RegisteredRequest {
  status: PaymentStatus;
  dossierCode: string;
  feeTypeCode: string;
  amount: number;
  beneficiary: { kind: string; institution: string; account: string };
}
/** A repeated registration is the same request when what the payer pays, for what and to whom is the same. */
const sameRequest = (a: RegisteredRequest, b: Omit<RegisteredRequest, 'status'>) =>
  a.dossierCode === b.dossierCode && a.feeTypeCode === b.feeTypeCode && a.amount === b.amount &&
  a.beneficiary.kind === b.beneficiary.kind && a.beneficiary.institution === b.beneficiary.institution && a.beneficiary.account === b.beneficiary.account;

/** Read scope: the agency of the payment, the payer's bank, the Portal front end and supervisors. */
function assertCanRead(actor: Actor, payment: { agency: string; payerBank: string | null }) {
  if (isSupervisor(actor) || actor.role === 'portal') return;
  if (actor.role === 'agency' && actor.agency === payment.agency) return;
  if (actor.role === 'bank' && actor.bank === payment.payerBank) return;
  throw problem('wrong-scope', `${actor.role} ${actor.agency ?? actor.bank ?? ''} may not see this payment`);
}

/**
 * Online payments (Art 31–33). Agencies register payment requests; the Portal front end records
 * the payer's bank; the payer's bank reports debit, receipt, settlement or failure through
 * idempotent callbacks (its callback id: a duplicate gets the first answer, even after the case closed).
 */
export const paymentRoutes: FastifyPluginAsyncZod = async (app) => {
  const handle = (paymentId: string) => app.temporal.workflow.getHandle(paymentId);

  app.post('/', {
    config: { access: { roles: ['agency'], agencyOf: (req) => (req.body as { agency?: string }).agency }, permission: 'payment.request' },
    schema: {
      tags: ['payments'], summary: 'Register a payment request (Art 31.2b, 33.3): dossier, amount in whole VND, fee type, beneficiary account',
      body: z.object({
        agency: code, requestRef: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), dossierCode: ref, feeTypeCode: code, amount: vndSchema,
        beneficiary: beneficiarySchema, expiryDays: z.number().int().min(1).max(30).optional(),
      }),
      response: {
        201: z.object({ paymentId: z.string(), status: z.literal('awaitingPayer') }),
        200: z.object({ paymentId: z.string(), status: z.enum(paymentStatus.enumValues) }).describe('The same request registered before: its payment, as it is now'),
        ...errors,
      },
    },
  }, async (request, reply) => {
    const { body } = request;
    // Art 34.1, 33.4: a catalogued fee type, a beneficiary at a registered bank or the State Treasury.
    const [unknown, ruleSet] = await Promise.all([
      knownFeeTypes.get(app.db).then((codes) => paymentReferenceErrors(app.db, body, codes)), ruleSetForNewCase(app.db, PAYMENT_PROCESS),
    ]);
    if (unknown.length > 0) throw problem('validation', 'The payment request names a fee type or beneficiary the Portal does not know', unknown);
    const paymentId = paymentWorkflowId(body.agency, body.requestRef);
    const input: PaymentRequest = { ...body, debitReportLimitHours: app.config.PAYMENT_DEBIT_REPORT_LIMIT_HOURS, actor: actorOf(request), ruleSet };
    // One payment per request reference, ever: a closed payment is not started again (its
    // projection would keep the first run's newer revisions and drop the second run's writes).
    // The key is claimed in PostgreSQL first: Temporal forgets a purged run, the claim does not.
    const business = { kind: 'payment', key: `${body.agency}/${body.requestRef}` };
    try {
      await startOnce(app, {
        ...business, workflowId: paymentId,
        content: { dossierCode: body.dossierCode, feeTypeCode: body.feeTypeCode, amount: body.amount, beneficiary: body.beneficiary },
        conflict: `Payment request ${body.requestRef} of ${body.agency} was already registered with different content (${paymentId})`,
      }, () => app.temporal.workflow.start('paymentWorkflow', {
        taskQueue: app.config.TASK_QUEUE, workflowId: paymentId, args: [input], workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [{ key: agencyKey, value: body.agency }, { key: processKey, value: PAYMENT_PROCESS }, { key: stageKey, value: 'awaitingPayer' }],
      }),
      // Read your writes: the API lands the payment's first projection row itself (revision 0, the
      // state the workflow starts in) with the key's "started" mark, so a GET right after the 201
      // finds it without waiting for the worker; the workflow's own writes (revision 1 on) win.
      () => landStartedPayment(app.db, startedPaymentView(paymentId, body, new Date().toISOString()), business));
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const existing = await registeredRequest(paymentId);
      if (!existing || !sameRequest(existing, body)) {
        throw problem('already-exists', `Payment request ${body.requestRef} of ${body.agency} was already registered with different content (${paymentId})`);
      }
      return reply.status(200).send({ paymentId, status: existing.status });
    }
    return reply.status(201).send({ paymentId, status: 'awaitingPayer' as const });
  });

  /** The registered request: the projection, or the workflow itself when its first write is still under way. */
  async function registeredRequest(paymentId: string): Promise<RegisteredRequest | undefined> {
    const row = await findPayment(app.db, paymentId);
    if (row) return { ...row, beneficiary: { kind: row.beneficiaryKind, institution: row.beneficiaryInstitution, account: row.beneficiaryAccount } };
    try {
      return await handle(paymentId).query(paymentQuery);
    } catch {
      return undefined;
    }
  }

  app.get('/', {
    config: { access: { roles: ['agency', 'bank', 'vpcp', 'auditor'], agencyOf: agencyInQuery, bankOf: bankInQuery } },
    schema: {
      tags: ['payments'], summary: 'Payments, newest first, keyset pages of `limit` (`cursor` = the previous page\'s `nextCursor`): an agency sees its own, a bank those made through it, supervisors all',
      querystring: z.object({
        agency: code.optional(), bank: code.optional(), status: z.enum(paymentStatus.enumValues).optional(),
        txnDate: realDate.optional(), settlementBreached: z.enum(['true', 'false']).optional(),
        debitReportedLate: z.enum(['true', 'false']).optional().describe('Project rule (Art 33.4a): debits the bank reported late'),
        limit: z.coerce.number().int().min(1).max(500).default(100), cursor: cursorParam(z.tuple([cursorInstant, cursorId])).optional(),
      }),
      response: { 200: z.object({ items: z.array(paymentSchema), nextCursor: z.string().nullable() }), ...errors },
    },
  }, async (request) => {
    const actor = actorOf(request);
    const { cursor, limit, ...query } = request.query;
    const rows = await listPayments(app.db, {
      ...query, limit: limit + 1, after: cursor,
      agency: actor.role === 'agency' ? actor.agency : query.agency,
      bank: actor.role === 'bank' ? actor.bank : query.bank,
      settlementBreached: query.settlementBreached === undefined ? undefined : query.settlementBreached === 'true',
      debitReportedLate: query.debitReportedLate === undefined ? undefined : query.debitReportedLate === 'true',
    });
    const { items, nextCursor } = keysetPage(rows, limit, (row) => [row.createdAt.toISOString(), row.paymentId]);
    return { items: items.map(toBody), nextCursor };
  });

  app.get('/:paymentId', {
    config: { access: { roles: ['agency', 'bank', 'vpcp', 'auditor', 'portal'] } },
    schema: { tags: ['payments'], summary: 'One payment (Portal status)', params, response: { 200: paymentSchema, ...errors } },
  }, async (request) => {
    const row = await findPayment(app.db, request.params.paymentId);
    if (!row) throw problem('not-found', `No payment ${request.params.paymentId}`);
    assertCanRead(actorOf(request), row);
    return toBody(row);
  });

  app.get('/:paymentId/receipt', {
    config: { access: { roles: ['agency', 'bank', 'vpcp', 'auditor', 'portal'] } },
    schema: {
      tags: ['payments'], summary: 'The bank\'s digitally signed receipt (chứng từ nộp NSNN, Art 31.2c) with its signature metadata', params,
      response: {
        200: z.object({
          paymentId: z.string(), bank: z.string(), receiptNo: z.string(), issuedAt: z.string(), document: z.string(),
          signature: z.object({ signer: z.string(), algorithm: z.string(), value: z.string(), signedAt: z.string() }), receivedAt: z.string(),
          verification: z.object({ certFingerprint: z.string(), documentSha256: z.string(), verifiedAt: z.string() }).nullable()
            .describe("How the signature was verified against the bank's registered certificate; null for receipts from before verification"),
        }),
        ...errors,
      },
    },
  }, async (request) => {
    const payment = await findPayment(app.db, request.params.paymentId);
    if (!payment) throw problem('not-found', `No payment ${request.params.paymentId}`);
    assertCanRead(actorOf(request), payment);
    const r = await findReceipt(app.db, request.params.paymentId);
    if (!r) throw problem('not-found', `No receipt yet for payment ${request.params.paymentId}`);
    return {
      paymentId: r.paymentId, bank: r.bank, receiptNo: r.receiptNo, issuedAt: r.issuedAt.toISOString(), document: r.document,
      signature: { signer: r.signer, algorithm: r.signatureAlgorithm, value: r.signatureValue, signedAt: r.signedAt.toISOString() }, receivedAt: r.receivedAt.toISOString(),
      verification: r.verifiedAt ? { certFingerprint: r.certFingerprint ?? '', documentSha256: r.documentSha256 ?? '', verifiedAt: r.verifiedAt.toISOString() } : null,
    };
  });

  app.post('/:paymentId/payer-bank', {
    config: { access: { roles: ['portal'] } },
    schema: {
      tags: ['payments'], summary: 'The payer picks a connected bank or intermediary (Art 31.2b); a suspended bank is refused (422, Art 33.7)',
      params, body: z.object({ bank: code, payerEmail: z.email().max(254).optional().describe('Where the signed receipt is e-mailed (Art 31.2c)') }), response: { 200: z.object({ paymentId: z.string(), status: z.enum(paymentStatus.enumValues), payerBank: z.string().optional() }), ...errors },
    },
  }, async (request) => {
    // The same bank again (a retry after a lost answer) is already in place: the payment as it is now.
    const row = await findPayment(app.db, request.params.paymentId);
    if (row && row.payerBank === request.body.bank) return { paymentId: row.paymentId, status: row.status, payerBank: row.payerBank };
    const view = await runUpdate(request, handle(request.params.paymentId), choosePayerBankUpdate, [{ ...request.body, actor: actorOf(request) }]);
    return { paymentId: view.paymentId, status: view.status, payerBank: view.payerBank };
  });

  app.post('/:paymentId/cancel', {
    config: { access: { roles: ['agency'] }, permission: 'payment.cancel' },
    schema: {
      tags: ['payments'], summary: 'The agency withdraws an unpaid payment request', params, body: z.object({ reason: safeMultilineText(2000) }),
      response: { 200: z.object({ paymentId: z.string(), status: z.enum(paymentStatus.enumValues) }), ...errors },
    },
  }, async (request) => {
    const view = await runUpdate(request, handle(request.params.paymentId), cancelPaymentUpdate, [{ reason: request.body.reason, actor: actorOf(request) }]);
    return { paymentId: view.paymentId, status: view.status };
  });

  /**
   * A bank callback is a workflow update (the workflow decides and remembers it by callback id).
   * A callback id already on record is answered from `payment_callbacks` without reaching the
   * workflow (a duplicate does not grow its history; also after the case closed); a new one goes to
   * the workflow, the source of truth.
   */
  const bankCallback = <B extends z.ZodObject>(kind: CallbackKind, summary: string, body: B, execute: (request: Parameters<typeof runUpdate>[0], paymentId: string, input: z.infer<B> & { actor: Actor }, updateId: string) => Promise<CallbackResult>) =>
    app.post(`/:paymentId/callbacks/${kind}`, {
      config: { access: { roles: ['bank'] } },
      schema: { tags: ['payments', 'bank callbacks'], summary, params, body, response: { 200: callbackResultSchema, ...errors } },
    }, async (request) => {
      const actor = actorOf(request);
      const input = { ...(request.body as z.infer<B>), actor };
      const { callbackId } = request.body as { callbackId: string };
      const known = await findCallback(app.db, actor.bank ?? '', callbackId);
      if (known) {
        if (known.paymentId !== request.params.paymentId || known.kind !== kind) {
          throw problem('already-exists', `callback ${callbackId} was already used for a ${known.kind} report on ${known.paymentId}`);
        }
        if (known.fingerprint && known.fingerprint !== callbackFingerprint(input)) {
          throw problem('already-exists', `callback ${callbackId} was already used for a different ${kind} report; nothing was changed`);
        }
        return known;
      }
      try {
        // The bank's callback id is its idempotency key: a redelivery is the same Temporal update.
        return await execute(request, request.params.paymentId, input, `callback-${actor.bank}-${callbackId}`);
      } catch (err) {
        // The case may have closed since the first delivery: the recorded answer is the answer.
        const recorded = await findCallback(app.db, actor.bank ?? '', callbackId);
        if (recorded && recorded.paymentId === request.params.paymentId && recorded.kind === kind) return recorded;
        throw err;
      }
    });

  const callbackId = safeText(128);
  bankCallback('debit', 'The payer was debited (Art 31.2c): Portal status updated and agency notified at once; the T+1 clock runs from debitedAt (Art 33.4a)',
    z.object({
      callbackId, bankTxnRef: ref, amount: vndSchema,
      debitedAt: instant.describe('When the payer was debited: T of Art 33.4a; not after this report, not before the request'),
    }),
    (request, id, input, updateId) => runUpdate(request, handle(id), reportDebitUpdate, [input], updateId));
  bankCallback('receipt', "The digitally signed receipt (chứng từ nộp NSNN, Art 31.2c): XML-DSig over the whole PaymentReceipt, verified against the bank's registered certificate (422 with the reason when it does not verify); before the debit it is kept and applied with the debit",
    z.object({
      callbackId,
      document: z.string().min(1).max(MAX_RECEIPT_DOCUMENT_LENGTH).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64').describe('base64 of the signed receipt XML'),
    }),
    async (request, id, input, updateId) => {
      // Workflow code cannot do crypto: the signature is verified here, before the update, so an
      // unverifiable receipt never enters the case's history.
      const bank = input.actor.bank ?? '';
      const certificate = await findBankReceiptCertificate(app.db, bank);
      if (!certificate) throw problem('refused', `receipt refused: bank ${bank} has no receipt certificate registered with VPCP`);
      let verified;
      try {
        verified = verifyReceipt(input.document, certificate.pem, new Date());
      } catch (err) {
        if (err instanceof ReceiptRejected) throw problem('refused', `receipt refused: ${err.reason}`);
        throw err;
      }
      if (verified.bank !== bank) throw problem('refused', `receipt refused: the signed receipt names bank ${verified.bank}, not ${bank}`);
      if (verified.paymentId !== id) throw problem('refused', `receipt refused: the signed receipt is for payment ${verified.paymentId}`);
      return runUpdate(request, handle(id), reportReceiptUpdate, [{ ...input, verified }], updateId);
    });
  bankCallback('settlement', 'The money reached the beneficiary account (Art 33.4a, due T+1); refused before the debit',
    z.object({ callbackId, transferRef: ref, amount: vndSchema }),
    (request, id, input, updateId) => runUpdate(request, handle(id), reportSettlementUpdate, [input], updateId));
  app.post('/:paymentId/receipt-exception', {
    config: { access: { roles: ['vpcp'] }, permission: 'payment.receiptException' },
    schema: {
      tags: ['payments'], summary: 'VPCP lets a debited payment settle without a verified signed receipt (Art 31.2c–d exception), with the reason',
      params, body: z.object({ reason: safeMultilineText(2000) }),
      response: { 200: z.object({ paymentId: z.string(), status: z.enum(paymentStatus.enumValues) }), ...errors },
    },
  }, async (request) => {
    const view = await runUpdate(request, handle(request.params.paymentId), recordReceiptExceptionUpdate, [{ reason: request.body.reason, actor: actorOf(request) }]);
    return { paymentId: view.paymentId, status: view.status };
  });

  bankCallback('failure', 'The payment failed before any debit',
    z.object({ callbackId, reason: safeMultilineText(2000) }),
    (request, id, input, updateId) => runUpdate(request, handle(id), reportFailureUpdate, [input], updateId));
};
